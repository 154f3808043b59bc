"""After an import, before it commits: read every imported version back through the store and
check that it is whole and that its recomputed digest is the one recorded."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import SkillyardError
from .store import Store

MAX_SHOWN = 5


class VerifyError(SkillyardError):
    """An imported version does not read back as the archive recorded it."""


def verify_imported(store: Store, versions: Sequence[tuple[str, int, str]],
                    progress: Callable[[str, int, int], None] | None = None) -> int:
    """Check (skill id, version, digest) triples and every skill's current-version pointer
    (the skill table's digest, name and description are its current version's);
    return how many versions were verified. Raises VerifyError listing the first failures."""
    failures: list[str] = []
    count = 0
    for done, (skill_id, version, digest) in enumerate(versions, 1):
        try:
            got = store.get(skill_id, version).digest
        except Exception as exc:  # a missing SKILL.md or body blob, a damaged manifest
            got = f"unreadable ({type(exc).__name__}: {exc})"
        if got != digest:
            count += 1
            if len(failures) < MAX_SHOWN:
                failures.append(f"{skill_id} v{version}: recorded {str(digest)[:12]}, "
                                f"recomputed {got[:60]}")
        if progress is not None and (done % 500 == 0 or done == len(versions)):
            progress("verify", done, len(versions))
    dangling = store.query(
        "SELECT s.id, s.version FROM skills s LEFT JOIN versions v ON v.skill_id = s.id "
        "AND v.version = s.version WHERE v.skill_id IS NULL OR v.digest <> s.digest "
        "OR v.name <> s.name OR v.description <> s.description ORDER BY s.id LIMIT 6")
    for skill_id, version in dangling:
        count += 1
        if len(failures) < MAX_SHOWN:
            failures.append(f"{skill_id}: current version {version} missing, or with another "
                            "digest, name or description")
    if count:
        raise VerifyError(f"{count} imported versions fail verification, nothing imported: "
                          + "; ".join(failures))
    return len(versions)
