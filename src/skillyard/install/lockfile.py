"""``skillyard.lock``: what a project installs, pinned to commits and per-file sha256 digests.

The file is JSON (sorted keys, two-space indent, one trailing newline) so that diffs in review
are small and two writes of the same state are byte-identical::

    {
      "lockfile": 2,
      "skills": {
        "<name>": {
          "source": {"kind": "git", "location": "https://host/org/repo.git", "ref": "v1.2",
                     "path": "skills/<name>", "vendor": ".skillyard/vendor/<name> (optional)"},
          "commit": "<40-hex commit, git only>",
          "id": "<library id>",
          "digest": "<skill digest: sha256 over every file>",
          "files": {"SKILL.md": {"sha256": "<64 hex>", "size": 1234}, ...},
          "audit": {"verdict": "allow", "tier": 2, "findings": 0},
          "override": null | {"allow_blocked": true, "verdict": "block", "by": "...", "at": "..."}
        }
      }
    }

``kind`` is ``git`` (location = URL or path of a repository, ``ref`` as asked, ``commit`` as
resolved), ``folder`` (location relative to the lockfile's folder), ``library`` (location =
a library id; content restored from the library by digest), ``registry`` (location = a
registry's base URL, ``path`` = NAMESPACE/NAME, ``ref`` = the version fetched; restored from the
registry and checked against every digest) or ``wellknown`` (location = the site's index.json
URL, ``path`` = the skill's name in it, ``ref`` = the digest the index gave for it,
``sha256:<hex>``, or null for a legacy index without one). Library skills and folders outside
the project carry a vendored copy in the project (``vendor``); version 1 files are still read.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import SkillyardError
from ..fsmodes import make_public
from ..skill import NAME_MAX, SkillFile, skill_digest
from ..utf8 import NOT_TEXT, not_text_at

LOCK_NAME = "skillyard.lock"
LOCK_VERSION = 2
READS = (1, 2)  # 1: before vendored copies (docs/lockfile.md)
KINDS = ("git", "folder", "library", "registry", "wellknown")
VERDICTS = ("allow", "warn", "block")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_SAFE_NAME = re.compile(r"^[^/\\\x00-\x1f\x7f]+$")  # no separator, NUL or control character


class LockfileError(SkillyardError):
    """The lockfile is unreadable or malformed."""


@dataclass(frozen=True, slots=True)
class LockedFile:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Source:
    kind: str
    location: str
    ref: str | None = None
    path: str = ""
    vendor: str | None = None  # the project-relative folder of a vendored copy

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "location": self.location, "path": self.path}
        if self.ref is not None:
            out["ref"] = self.ref
        if self.vendor is not None:
            out["vendor"] = self.vendor
        return out

    def label(self) -> str:
        ref = f"@{self.ref}" if self.ref else ""
        sub = f" ({self.path})" if self.path else ""
        return f"{self.kind}:{self.location}{ref}{sub}"


@dataclass(frozen=True, slots=True)
class LockedSkill:
    name: str
    source: Source
    id: str
    digest: str
    files: tuple[LockedFile, ...]
    verdict: str
    tier: int
    findings: int = 0
    commit: str | None = None
    override: dict[str, Any] | None = None
    signer: dict[str, str] | None = None  # the verified signer when locked (docs/signing.md)

    def file(self, path: str) -> LockedFile | None:
        return next((f for f in self.files if f.path == path), None)

    def with_audit(self, verdict: str, tier: int, findings: int) -> LockedSkill:
        return replace(self, verdict=verdict, tier=tier, findings=findings)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source.to_dict(),
            "id": self.id,
            "digest": self.digest,
            "files": {f.path: {"sha256": f.sha256, "size": f.size} for f in self.files},
            "audit": {"verdict": self.verdict, "tier": self.tier, "findings": self.findings},
            "override": self.override,
        }
        if self.commit is not None:
            out["commit"] = self.commit
        if self.signer is not None:
            out["signer"] = self.signer
        return out


@dataclass
class Lockfile:
    path: Path
    skills: dict[str, LockedSkill] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The project folder: where the lockfile lives."""
        return self.path.parent

    def to_dict(self) -> dict[str, Any]:
        return {
            "lockfile": LOCK_VERSION,
            "skills": {name: self.skills[name].to_dict() for name in sorted(self.skills)},
        }

    def dumps(self) -> str:
        data = self.to_dict()
        bad = not_text_at(data)  # what parse_lock would refuse is never written
        if bad is not None:
            raise LockfileError(f"{self.path}: cannot record {bad}: it {NOT_TEXT}")
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def save(self) -> None:
        """Write atomically (temp file + rename), so a crash never leaves half a lockfile."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".skillyard.lock.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(self.dumps())
            make_public(Path(tmp))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _need(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise LockfileError(f"{where}: {message}")


def _str(data: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
    value = data.get(key)
    if value is None and optional:
        return None
    _need(isinstance(value, str), where, f"'{key}' must be a string")
    return value


def _parse_files(raw: Any, where: str) -> tuple[LockedFile, ...]:
    _need(isinstance(raw, dict) and bool(raw), where, "'files' must be a non-empty object")
    out = []
    for path, meta in raw.items():
        fwhere = f"{where} file {path!r}"
        _need(isinstance(path, str) and bool(path) and "\0" not in path, fwhere, "bad path")
        _need(not path.startswith("/") and ".." not in path.split("/"), fwhere,
              "paths must be relative and stay inside the skill")
        _need(isinstance(meta, dict), fwhere, "must be an object {sha256, size}")
        sha, size = meta.get("sha256"), meta.get("size")
        _need(isinstance(sha, str) and bool(_HEX64.match(sha)), fwhere,
              "'sha256' must be 64 lowercase hex digits")
        _need(isinstance(size, int) and not isinstance(size, bool) and size >= 0, fwhere,
              "'size' must be a non-negative integer")
        out.append(LockedFile(path, sha, size))
    _need(any(f.path == "SKILL.md" for f in out), where, "'files' has no SKILL.md")
    return tuple(sorted(out, key=lambda f: (f.path != "SKILL.md", f.path)))


def safe_folder_name(name: str) -> bool:
    """Can ``name`` be a folder in an agent's skills folder (no separators, not hidden)?"""
    return (bool(name) and len(name) <= NAME_MAX * 4 and bool(_SAFE_NAME.match(name))
            and not name.startswith(".") and name.strip() == name)


def _parse_skill(name: str, raw: Any) -> LockedSkill:
    where = f"skill {name!r}"
    _need(isinstance(raw, dict), where, "must be an object")
    _need(safe_folder_name(name), where, "name must be a plain folder name")
    src = raw.get("source")
    _need(isinstance(src, dict), where, "'source' must be an object")
    kind = _str(src, "kind", where)
    _need(kind in KINDS, where, f"source kind must be one of {', '.join(KINDS)}")
    source = Source(
        kind=kind or "", location=_str(src, "location", where) or "",
        ref=_str(src, "ref", where, optional=True), path=_str(src, "path", where) or "",
        vendor=_str(src, "vendor", where, optional=True),
    )
    _need(bool(source.location), where, "source 'location' is empty")
    if source.vendor is not None:
        parts = source.vendor.split("/")
        _need(source.vendor.startswith(".skillyard/vendor/") and ".." not in parts
              and "\0" not in source.vendor and "\\" not in source.vendor, where,
              "source 'vendor' must be a folder under .skillyard/vendor/ in the project")
    commit = _str(raw, "commit", where, optional=True)
    if kind == "git":
        _need(commit is not None and bool(_COMMIT.match(commit)), where,
              "git sources need 'commit' (a full hex commit id)")
    digest = _str(raw, "digest", where) or ""
    _need(bool(_HEX64.match(digest)), where, "'digest' must be 64 lowercase hex digits")
    files = _parse_files(raw.get("files"), where)
    recomputed = skill_digest([SkillFile(f.path, f.size, f.sha256) for f in files])
    _need(recomputed == digest, where, "'digest' does not match its 'files' (edited by hand?)")
    audit = raw.get("audit")
    _need(isinstance(audit, dict), where, "'audit' must be an object")
    verdict, tier = audit.get("verdict"), audit.get("tier")
    findings = audit.get("findings", 0)
    _need(verdict in VERDICTS, where, "audit verdict must be allow, warn or block")
    _need(isinstance(tier, int) and not isinstance(tier, bool) and 0 <= tier <= 3, where,
          "audit tier must be 0, 1, 2 or 3")
    _need(isinstance(findings, int) and not isinstance(findings, bool) and findings >= 0, where,
          "audit findings must be a count")
    override = raw.get("override")
    _need(override is None or isinstance(override, dict), where, "'override' must be an object")
    _need(verdict != "block" or bool(override and override.get("allow_blocked") is True), where,
          "a blocked skill is locked without a recorded override")
    signer = raw.get("signer")
    _need(signer is None or (isinstance(signer, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in signer.items())
        and bool(signer.get("fingerprint"))), where,
        "'signer' must be an object of strings with a 'fingerprint'")
    return LockedSkill(
        name=name, source=source, id=_str(raw, "id", where) or "", digest=digest, files=files,
        verdict=str(verdict), tier=int(tier), findings=int(findings), commit=commit,
        override=override, signer=signer,
    )


def parse_lock(text: str, path: Path) -> Lockfile:
    """Parse lockfile text; any problem is one LockfileError naming the place."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockfileError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise LockfileError(f"{path}: not a lockfile (JSON nested too deeply)") from None
    where = str(path)
    _need(isinstance(data, dict), where, "the lockfile must be a JSON object")
    bad = not_text_at(data)
    _need(bad is None, where, f"{bad} {NOT_TEXT}")
    version = data.get("lockfile")
    _need(version in READS and not isinstance(version, bool), where,
          f"unsupported lockfile version {version!r} (this skillyard reads "
          f"{' and '.join(map(str, READS))})")
    skills = data.get("skills", {})
    _need(isinstance(skills, dict), where, "'skills' must be an object")
    lock = Lockfile(path)
    for name, raw in skills.items():
        lock.skills[name] = _parse_skill(name, raw)
    return lock


def read_lock(path: Path, *, missing_ok: bool = False) -> Lockfile:
    path = Path(path)
    if not path.exists():
        if missing_ok:
            return Lockfile(path)
        raise LockfileError(f"{path}: no lockfile here (create one with 'skillyard add')")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LockfileError(f"{path}: cannot read ({exc})") from None
    return parse_lock(text, path)


def locked_files(files: tuple[SkillFile, ...]) -> tuple[LockedFile, ...]:
    return tuple(LockedFile(f.path, f.sha256, f.size) for f in files)
