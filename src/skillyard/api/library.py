"""The Library façade: one object that indexes sources and answers questions about skills."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AmbiguousNameError, NotFoundError
from ..library.backends import open_store
from ..library.disclosure import (
    DEFAULT_MAX_RESOURCE_BYTES,
    Activation,
    Catalog,
    CatalogEntry,
    activation,
    build_catalog,
    resource_entry,
)
from ..library.store import PutOutcome, SkillSummary, Store, VersionInfo
from ..skill import Skill
from ..sources import LoadResult, open_source
from ..utf8 import readable

BATCH = 200


@dataclass
class IndexReport:
    """What an index run did, skill by skill in summary."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    warned: dict[str, list[str]] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    shadowed: list[tuple[str, str]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # sources that held no skill at all
    # signatures (audit.signindex): problems that block the skill, and verified signers
    signatures: list[Any] = field(default_factory=list)
    signers: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def loaded(self) -> int:
        return self.added + self.updated + self.unchanged

    def to_dict(self) -> dict[str, Any]:
        return {
            "loaded": self.loaded, "added": self.added, "updated": self.updated,
            "unchanged": self.unchanged, "warned": len(self.warned),
            "rejected": [{"where": w, "reason": r} for w, r in self.rejected],
            "shadowed": [{"where": w, "shadowed_by": by} for w, by in self.shadowed],
            "warnings": self.warned,
            "empty_sources": self.empty,
            "signature_findings": [f.to_dict() for f in self.signatures],
            "signers": self.signers,
        }


def _dir_aliases(path: str) -> list[str]:
    """Other spellings of a ``dir:`` id: absolute, and with symlinks resolved."""
    out = []
    for form in (os.path.abspath(path), os.path.realpath(path)):
        if f"dir:{form}" not in out and form != path:
            out.append(f"dir:{form}")
    return out


class Library:
    """A skill library on a store: an SQLite file (the default) or a PostgreSQL database
    (``Library("postgresql://user@host/db")``). ``create=False`` opens only an existing one."""

    def __init__(
        self, db: str | Path | None = None, *, store: Store | None = None, create: bool = True
    ) -> None:
        self.store = store if store is not None else open_store(db, create=create)

    @property
    def path(self) -> str:
        return self.store.path

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- writing -------------------------------------------------------------------------
    def add(self, skills: Sequence[Skill]) -> list[PutOutcome]:
        """Store skills atomically (one transaction); unchanged digests add no version."""
        return self.store.put(skills)

    def index(
        self,
        sources: Iterable[str],
        *,
        strict: bool = False,
        progress: Callable[[LoadResult], None] | None = None,
        policy: Any = None,
    ) -> IndexReport:
        """Load every source and store its skills in batches; return what happened. Each
        skill's signature is checked against ``policy`` (a Policy or a policy file; None: no
        allowed signers, so only tampering is found): a verified signer is recorded, a bad
        signature is reported in ``report.signatures``."""
        from ..audit import Policy, load_policy, load_rules
        from ..audit.signindex import check_for_index

        if policy is None:
            policy = Policy()
        elif isinstance(policy, str | Path):
            policy = load_policy(policy, load_rules())
        report = IndexReport()
        batch: list[Skill] = []

        def flush() -> None:
            for outcome in self.store.put(batch):
                setattr(report, outcome.status, getattr(report, outcome.status) + 1)
                report.ids.append(outcome.skill_id)
            batch.clear()

        for spec in sources:
            seen = False
            for result in open_source(spec, strict=strict):
                seen = True
                if progress is not None:
                    progress(result)
                if result.skill is None:
                    report.rejected.append((result.where, result.error or "unknown error"))
                    continue
                if result.shadowed_by is not None:
                    report.shadowed.append((result.skill.id, result.shadowed_by))
                    continue
                if result.skill.warnings:
                    report.warned[result.skill.id] = [d.message for d in result.skill.warnings]
                skill, problems = check_for_index(result.skill, policy)
                report.signatures += problems
                if signer := skill.provenance.extra.get("signer"):
                    report.signers[skill.id] = signer
                batch.append(skill)
                if len(batch) >= BATCH:
                    flush()
            flush()
            if not seen:
                report.empty.append(spec)
        return report

    # -- reading -------------------------------------------------------------------------
    def resolve(self, ref: str) -> str:
        """Turn an id, a name or a unique id suffix into an id; ambiguity lists candidates."""
        asked, ref = ref, readable(ref)  # as the store keeps it (utf8.py)
        if self.store.has_id(ref):
            return ref
        if ref.startswith("dir:"):  # the same folder through or around a symlink
            for alias in _dir_aliases(ref[4:]):
                if self.store.has_id(alias):
                    return alias
        ids = self.store.ids_for_name(ref)
        if not ids and len(ref) > 2:
            ids = [i for i in self.store.ids_with_suffix("/" + ref) if i.endswith("/" + ref)]
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise AmbiguousNameError(ref, ids)
        raise NotFoundError(f"no skill with id or name {asked!r} in {self.path}")

    def get(self, ref: str, version: int | None = None) -> Skill:
        return self.store.get(self.resolve(ref), version)

    def list(self) -> list[SkillSummary]:
        return self.store.summaries()

    def versions(self, ref: str) -> list[VersionInfo]:
        return self.store.versions(self.resolve(ref))

    def stats(self) -> dict[str, int]:
        return self.store.stats()

    # -- progressive disclosure ----------------------------------------------------------
    def catalog(
        self, budget: int | None = None, fmt: str = "xml", *, exclude_blocked: bool = False,
        policy: Any = None,
    ) -> Catalog:
        """Names and descriptions within ``budget`` characters. With ``exclude_blocked`` (or a
        ``policy``), the library is audited first and skills the policy blocks are left out."""
        blocked: set[str] = set()
        if exclude_blocked or policy is not None:
            blocked = {r.skill for r in self.audit(policy=policy) if r.verdict == "block"}
        entries = [
            CatalogEntry(s.id, s.name, s.description)
            for s in self.store.summaries()
            if s.id not in blocked
        ]
        return build_catalog(entries, fmt=fmt, budget=budget)

    def activate(self, ref: str) -> Activation:
        return activation(self.get(ref))

    def read_resource(
        self, ref: str, path: str, *, max_bytes: int = DEFAULT_MAX_RESOURCE_BYTES
    ) -> bytes:
        entry = resource_entry(self.get(ref), path, max_bytes)
        return entry.data if entry.data is not None else self.store.read_blob(entry.sha256)

    # -- routing (skillyard.route) -------------------------------------------------------
    def route(self, query: str, k: int = 5, *, explain: bool = False,
              reranker: Any = None) -> Any:
        """The best skills for a task (a RouteResult: results, abstain, latency). Builds the
        routing index on first use; ``reranker`` is None, "llm" or a Reranker."""
        from ..route.api import route

        return route(self, query, k, explain=explain, reranker=reranker)

    def route_index(self, *, full: bool = False, full_model: bool | None = None,
                    multilingual: bool | None = None, progress: Any = None) -> Any:
        """Bring the routing index up to date (only new or changed skills are read again).
        ``full_model`` True also encodes every description with the MiniLM model (slow; only
        the ``desc_weight`` signal reads it), False uses the static encoder alone (the
        default), None keeps what the current index used. ``multilingual`` True also encodes
        names and descriptions with the multilingual encoder, so requests in other languages
        find English-described skills; False drops it (English requests only) and later
        updates keep that choice; None (the default) is on unless False was chosen."""
        from ..route.api import reindex

        return reindex(self, full=full, full_model=full_model, multilingual=multilingual,
                       progress=progress)

    # -- audit (skillyard.audit) -----------------------------------------------------------
    def audit(self, refs: Sequence[str] | None = None, *, policy: Any = None,
              judge: Any = None, force: bool = False,
              progress: Callable[[Skill], None] | None = None) -> list[Any]:
        """Audit library skills (all, or ``refs``); verdicts are cached per skill digest and
        rules digest, and the latest verdict and tier of each skill is recorded."""
        from ..audit import load_policy, load_rules
        from ..audit.batch import audit_store

        if policy is None or isinstance(policy, str | Path):
            policy = load_policy(policy, load_rules())
        ids = None if refs is None else [self.resolve(r) for r in refs]
        return audit_store(self.store, ids, policy=policy, judge=judge, force=force,
                           progress=progress)

    def audit_verdicts(self) -> dict[str, dict[str, Any]]:
        """The recorded verdict and tier of every audited skill, by id."""
        from ..audit.store import VerdictStore

        return VerdictStore(self.store).verdicts()

    # -- evaluation (skillyard.evaluate) -------------------------------------------------------
    def evaluate(self, tasks: Any, *, runner: Any, **options: Any) -> Any:
        """Paired experiment: run ``tasks`` under each arm (default none,skill), store every
        trial, and return the Experiment with its analysis. See skillyard.evaluate."""
        from ..evaluate import run_experiment

        return run_experiment(self, tasks, runner=runner, **options)

    def evaluation(self, run: str = "latest", **options: Any) -> Any:
        """A stored experiment re-analysed from its trials (nothing is rerun)."""
        from ..evaluate import load_experiment

        return load_experiment(self, run, **options)

    # -- learning (skillyard.learn) ----------------------------------------------------------
    def learn(self, sources: Iterable[Any], options: Any = None, **kwargs: Any) -> Any:
        """Learn skills from trajectory files (or loaded Trajectory values) into this library:
        candidates pass the gate to become new versions, else are kept as rejected. Returns a
        LearnReport. See skillyard.learn."""
        from ..learn import learn

        return learn(self, sources, options, **kwargs)

    def learn_candidates(self, status: str | None = None, ref: str | None = None) -> list[Any]:
        """Candidates ``learn`` produced (published or rejected, with reasons), newest first."""
        from ..learn import list_candidates

        return list_candidates(self.store, status=status,
                               skill_id=self.resolve(ref) if ref else None)

    # -- integrity (skillyard.library.integrity) ---------------------------------------------
    def verify(self, *, current_only: bool = False, progress: Any = None) -> Any:
        """Re-hash every stored blob, recompute every version's digest, check the stored
        frontmatter against SKILL.md and the skill table against its versions. A
        VerifyReport; ``report.damage`` names each damaged skill, version and file."""
        from ..library.integrity import verify_library

        return verify_library(self.store, current_only=current_only, progress=progress)

    # -- moving between backends (skillyard.library.transfer) --------------------------------
    def export_archive(self, path: str | Path, *, progress: Any = None) -> Any:
        """Write the whole library (every version, blob, capability row and embedding) to one
        archive file (``-``: stdout). Returns an ExportReport."""
        from ..library.integrity import verify_current
        from ..library.transfer import export_library

        verify_current(self.store, action="export refused")
        return export_library(self.store, path, progress=progress)

    def import_archive(self, path: str | Path, *, merge: bool = False, dry_run: bool = False,
                       progress: Any = None) -> Any:
        """Load an archive in one verified transaction; a library that already holds skills
        needs ``merge`` (identical rows skipped, conflicting rows refused). ImportReport."""
        from ..library.transfer_import import import_library

        return import_library(self.store, path, merge=merge, dry_run=dry_run,
                              progress=progress)
