"""A project's skills: ``add`` (audit, then lock), ``install`` (exact restore), ``update``,
``remove``.

Every skill passes the audit gate before it is locked or restored; a blocked skill is refused
unless the caller passes ``allow_blocked``, which is recorded in the lockfile with who and
when. ``install`` re-hashes every file it restores and refuses the whole restore on any
difference from the lockfile (tamper detection); nothing is written to the library then.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..audit.gate import Decision, Gate, PolicyRefusal
from ..errors import FindingError, NotFoundError, SkillyardError, SourceError
from ..library.integrity import verify_skills
from ..library.protocol import SkillLibrary
from ..provenance.record import signer_change, with_signer
from ..skill import Skill
from .changes import Change, compare
from .fetch import classify, fetch, fetch_locked, git_url, user_name
from .gitrefs import ls_remote, next_ref
from .lockfile import (
    LOCK_NAME,
    LockedSkill,
    Lockfile,
    Source,
    locked_files,
    read_lock,
    safe_folder_name,
)
from .vendor import needs_vendor, remove_vendor, vendor_path, write_vendor

MAX_REPORTED = 20


class TamperError(FindingError):
    """Restored content differs from the lockfile's digests; nothing was installed."""


@dataclass
class Report:
    changes: list[Change] = field(default_factory=list)
    lockfile: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"lockfile": self.lockfile, "skills": [c.to_dict() for c in self.changes]}


def _check_content(skill: Skill) -> None:
    for entry in skill.files:
        if entry.kind != "file":
            raise SourceError(f"{skill.name}: {entry.path} is a {entry.kind} ({entry.note}); "
                              "skills with links out of their folder cannot be installed")
        if (entry.note or "").startswith("oversize"):
            raise SourceError(f"{skill.name}: {entry.path} is too large to store "
                              f"({entry.size} bytes); it cannot be installed")


def _content(skill: Skill, path: str, library: SkillLibrary) -> bytes:
    entry = skill.file(path)
    assert entry is not None
    return entry.data if entry.data is not None else library.store.read_blob(entry.sha256)


def tamper_report(locked: LockedSkill, skill: Skill, library: SkillLibrary) -> list[str]:
    """Every way ``skill``'s bytes differ from the lock (re-hashed, not trusted)."""
    problems: list[str] = []
    have = {f.path for f in skill.files}
    for entry in locked.files:
        if entry.path not in have:
            problems.append(f"{locked.name}/{entry.path}: missing")
            continue
        try:
            data = _content(skill, entry.path, library)
        except SkillyardError:
            problems.append(f"{locked.name}/{entry.path}: content unavailable")
            continue
        actual = hashlib.sha256(data).hexdigest()
        if actual != entry.sha256 or len(data) != entry.size:
            problems.append(f"{locked.name}/{entry.path}: sha256 {actual[:12]}… differs from the "
                            f"locked {entry.sha256[:12]}…")
    for path in sorted(have - {f.path for f in locked.files}):
        problems.append(f"{locked.name}/{path}: not in the lockfile")
    return problems


class Project:
    """The skills locked in one ``skillyard.lock`` and their copies in a library."""

    def __init__(self, lock_path: str | Path, library: SkillLibrary | None, *,
                 policy: str | Path | None = None) -> None:
        path = Path(lock_path)
        self.lock_path = path / LOCK_NAME if path.is_dir() else path
        self._library = library
        self.policy = policy
        self._gate: Gate | None = None

    @property
    def library(self) -> SkillLibrary:
        if self._library is None:
            raise SkillyardError("this operation needs a library (--db)")
        return self._library

    @property
    def root(self) -> Path:
        return self.lock_path.parent.resolve()

    @property
    def gate(self) -> Gate:
        if self._gate is None:
            self._gate = Gate(self.library, self.policy)
        return self._gate

    def read(self, *, missing_ok: bool = False) -> Lockfile:
        return read_lock(self.lock_path, missing_ok=missing_ok)

    # -- add -------------------------------------------------------------------------------
    def _entry(self, skill: Skill, source: Source, decision: Decision,
               override: dict[str, Any] | None, commit: str | None) -> LockedSkill:
        return LockedSkill(
            name=skill.name,
            source=Source(source.kind, source.location,
                          skill.provenance.ref if source.kind == "wellknown" else source.ref,
                          skill.provenance.path if source.kind != "library" else "",
                          vendor_path(skill.name) if needs_vendor(source) else None),
            id=skill.id, digest=skill.digest, files=locked_files(skill.files),
            verdict=decision.verdict, tier=decision.tier, findings=decision.findings,
            commit=commit, override=override, signer=decision.signer,
        )

    def _override(self, decision: Decision, reason: str | None) -> dict[str, Any]:
        return {
            "allow_blocked": True, "verdict": decision.verdict, "by": user_name(),
            "at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "findings": list(decision.top_findings), "reason": reason or "",
        }

    def add(self, spec: str, *, names: list[str] | None = None, allow_blocked: bool = False,
            reason: str | None = None) -> Report:
        """Fetch ``SOURCE[@ref]``, audit, store in the library and lock (all or nothing)."""
        lock = self.read(missing_ok=True)
        source = classify(spec, self.root)
        fetched = fetch(source, self.root, self.library, paths=set(names) if names and
                        source.kind == "wellknown" else None)
        source, skills = fetched.source, fetched.skills
        if names:
            wanted = set(names)
            skills = [s for s in skills if s.name in wanted or s.id in wanted]
            missing = wanted - {s.name for s in skills} - {s.id for s in skills}
            if missing:
                have = ", ".join(sorted(s.name for s in fetched.skills)) or "none"
                raise NotFoundError(f"{spec}: no skill named {', '.join(sorted(missing))} "
                                    f"(it has: {have})")
        if not skills:
            why = "; ".join(f"{w}: {r}" for w, r in fetched.rejected[:3])
            raise SourceError(f"{spec}: no loadable skills" + (f" ({why})" if why else ""))
        seen: dict[str, Skill] = {}
        for skill in skills:
            _check_content(skill)
            if not safe_folder_name(skill.name):
                raise SourceError(f"{skill.id}: its name {skill.name!r} cannot be a folder name "
                                  "in an agent's skills folder; refused")
            if skill.name in seen:
                raise SourceError(f"{spec}: two skills are named {skill.name!r} "
                                  f"({seen[skill.name].id}, {skill.id}); pick one with --skill")
            seen[skill.name] = skill
            old = lock.skills.get(skill.name)
            if old is not None and (old.source.location, old.source.path) != (
                    source.location, skill.provenance.path if source.kind != "library" else ""):
                raise SkillyardError(f"{skill.name!r} is already locked from "
                                     f"{old.source.label()}; run 'skillyard remove "
                                     f"{skill.name}' first")
        by_id = self.gate.decide_many(skills)  # together, so chains across them are seen
        decisions = {s.name: by_id[s.id] for s in skills}
        blocked = [n for n, d in decisions.items() if d.blocked]
        if blocked and not allow_blocked:
            detail = "; ".join(f"{n}: {', '.join(decisions[n].top_findings) or 'blocked'}"
                               for n in blocked)
            raise PolicyRefusal(f"refused: the audit blocks {', '.join(blocked)} ({detail}); "
                                "nothing was added (override with --allow-blocked, recorded "
                                "in the lockfile)")
        report = Report(lockfile=str(self.lock_path))
        skills = [with_signer(s, decisions[s.name].signer) for s in skills]
        self.library.add(skills)
        for skill in skills:
            decision = decisions[skill.name]
            override = self._override(decision, reason) if decision.blocked else None
            entry = self._entry(skill, fetched.source, decision, override, fetched.commit)
            old = lock.skills.get(skill.name)
            status = "added" if old is None else (
                "unchanged" if old.digest == entry.digest and old.commit == entry.commit
                else "updated")
            lock.skills[skill.name] = entry
            report.changes.append(compare(skill.name, old, entry, status))
            if entry.source.vendor:
                write_vendor(self.root, skill.name, skill, self.library)
            if source.kind == "wellknown" and entry.source.ref is None:
                report.changes[-1].reason = ("legacy index without digests: content is pinned "
                                             "by this lockfile only")
        lock.save()
        return report

    # -- install ---------------------------------------------------------------------------
    def install(self, *, allow_signer_change: bool = False) -> Report:
        """Restore exactly what the lockfile says into the library; refuse any mismatch (and a
        verified signer other than the locked one, unless ``allow_signer_change``)."""
        lock = self.read()
        entries = [lock.skills[n] for n in sorted(lock.skills)]
        report = Report(lockfile=str(self.lock_path))
        if not entries:
            return report
        stored = [e.id for e in entries if self.library.store.has_id(e.id)]
        verify_skills(self.library.store, stored, action="install refused")
        fetched = fetch_locked(entries, self.root, self.library)
        problems = [p for e in entries for p in tamper_report(e, fetched[e.name], self.library)]
        if problems:
            shown = "; ".join(problems[:MAX_REPORTED])
            more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED \
                else ""
            raise TamperError(f"refused: content differs from {self.lock_path.name}: {shown}"
                              f"{more}; nothing was installed")
        refused: list[str] = []
        resigned: list[str] = []
        by_id = self.gate.decide_many(list(fetched.values()))
        decisions = {}
        for entry in entries:
            decision = by_id[fetched[entry.name].id]
            decisions[entry.name] = decision
            if decision.blocked and not (entry.override or {}).get("allow_blocked"):
                refused.append(f"{entry.name} ({', '.join(decision.top_findings) or 'blocked'})")
            elif why := signer_change(entry.signer, decision.signer):
                resigned.append(f"{entry.name}: {why}")
        if resigned and not allow_signer_change:
            raise PolicyRefusal(f"refused: {'; '.join(resigned)}; nothing was installed "
                                "(--allow-signer-change accepts it)")
        if refused:
            raise PolicyRefusal(f"refused: the audit now blocks {'; '.join(refused)}; nothing "
                                "was installed")
        outcomes = {o.skill_id: o.status for o in self.library.add(
            [with_signer(fetched[e.name], decisions[e.name].signer) for e in entries
             if e.source.kind != "library" or "vendored_from" in fetched[e.name].provenance.extra])}
        for entry in entries:
            decision = decisions[entry.name]
            change = compare(entry.name, entry, entry.with_audit(
                decision.verdict, decision.tier, decision.findings), "installed")
            change.files_added = []
            change.reason = ("already in the library" if outcomes.get(entry.id, "unchanged")
                             == "unchanged" else "restored")
            if resigned and signer_change(entry.signer, decision.signer):
                # accepted with --allow-signer-change: the lockfile now names the new signer
                lock.skills[entry.name] = replace(entry, signer=decision.signer)
                change.reason += f"; signer now {_who(decision.signer)} (--allow-signer-change)"
            report.changes.append(change)
        if resigned:
            lock.save()
        return report

    # -- update ----------------------------------------------------------------------------
    def _refetch(self, entry: LockedSkill, ref: str | None) -> tuple[Skill | None, str | None,
                                                                     str | None]:
        """The skill at the ref update should move to: (skill, ref, commit)."""
        src = entry.source
        if src.kind == "git":
            target = ref
            if target is None:
                target, _ = next_ref(src.ref, ls_remote(git_url(src.location, self.root)))
            moved = Source("git", src.location, target)
            got = fetch(moved, self.root, self.library, paths={src.path})
            skill = got.skills[0] if got.skills else None
            return skill, target, (skill.provenance.commit if skill else got.commit)
        if src.kind == "registry":
            got = fetch(Source("registry", src.location, ref, src.path), self.root, self.library)
            return got.skills[0], got.source.ref, None
        if ref is not None:
            raise SkillyardError(f"{entry.name}: --ref applies only to git and registry "
                                 "sources")
        if src.kind in ("folder", "wellknown"):
            got = fetch(src, self.root, self.library, paths={src.path})
            return (got.skills[0] if got.skills else None), None, None
        return self.library.get(entry.id), None, None

    def update(self, name: str | None = None, *, ref: str | None = None,
               allow_blocked: bool = False, reason: str | None = None,
               dry_run: bool = False, allow_signer_change: bool = False) -> Report:
        """Move locked skills to newer refs (or the named one), re-audit, report what changed.
        A new version whose verified signer differs from the locked one is refused unless
        ``allow_signer_change``."""
        lock = self.read()
        if name is not None and name not in lock.skills:
            raise NotFoundError(f"{name!r} is not in {self.lock_path}")
        if ref is not None and name is None:
            raise SkillyardError("--ref needs the NAME of one skill")
        report = Report(lockfile=str(self.lock_path))
        to_store: list[Skill] = []
        for entry in [lock.skills[name]] if name else [lock.skills[n] for n in sorted(lock.skills)]:
            skill, new_ref, commit = self._refetch(entry, ref)
            if skill is None:
                report.changes.append(compare(entry.name, entry, None, "missing"))
                report.changes[-1].reason = "not found at the new ref; kept the locked version"
                continue
            _check_content(skill)
            if skill.digest == entry.digest and commit == entry.commit:
                report.changes.append(compare(entry.name, entry, entry, "unchanged"))
                continue
            decision = self.gate.decide(skill)
            override = None
            if decision.blocked:
                if not allow_blocked:
                    new = self._entry(skill, entry.source, decision, None, commit)
                    change = compare(entry.name, entry, new, "refused")
                    change.reason = ("the audit blocks the new version (" + (", ".join(
                        decision.top_findings) or "blocked") + "); kept the locked version")
                    report.changes.append(change)
                    continue
                override = self._override(decision, reason)
            why = signer_change(entry.signer, decision.signer)
            if why and not allow_signer_change:
                change = compare(entry.name, entry, self._entry(
                    skill, entry.source, decision, None, commit), "refused")
                change.reason = f"{why}; kept the locked version (--allow-signer-change)"
                report.changes.append(change)
                continue
            source = Source(entry.source.kind, entry.source.location,
                            new_ref if entry.source.kind in ("git", "registry")
                            else entry.source.ref,
                            entry.source.path)
            new = self._entry(skill, source, decision, override, commit)
            report.changes.append(compare(entry.name, entry, new, "updated"))
            if new.digest == entry.digest:
                report.changes[-1].reason = "commit moved; content unchanged"
            lock.skills[entry.name] = new
            to_store.append(with_signer(skill, decision.signer))
        if not dry_run and to_store:
            self.library.add(to_store)
            for skill in to_store:
                if lock.skills[skill.name].source.vendor:
                    write_vendor(self.root, skill.name, skill, self.library)
            lock.save()
        return report

    # -- remove ----------------------------------------------------------------------------
    def remove(self, names: list[str]) -> Report:
        lock = self.read()
        unknown = [n for n in names if n not in lock.skills]
        if unknown:
            raise NotFoundError(f"not in {self.lock_path}: {', '.join(unknown)}")
        report = Report(lockfile=str(self.lock_path))
        for name in names:
            report.changes.append(compare(name, lock.skills.pop(name), None, "removed"))
        lock.save()
        for name in names:
            remove_vendor(self.root, name)
        return report


def _who(signer: dict[str, str] | None) -> str:
    if not signer:
        return "none (unsigned)"
    return f"{signer.get('identity', '?')} ({signer.get('fingerprint')})"
