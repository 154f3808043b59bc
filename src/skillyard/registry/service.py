"""The registry's Python API: publish, search, read, yank and appeal, over one Library.

Every HTTP route and web page is a thin call into ``Registry``. Registry skills live in the
library under ids ``registry:NAMESPACE/NAME``; ``registry_versions`` adds per version the
publisher, the label, the status (active, deprecated, yanked) and the audit verdict. A publish
validates and audits first, then writes the skill version, its registry row, its verdict and
its log entry in one transaction.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..api import Library
from ..audit import Policy, audit, load_policy, load_rules
from ..audit.store import VerdictStore
from ..audit.tiers import tier_for
from ..errors import NotFoundError, SkillLoadError, SkillyardError
from ..library.records import compact_json, utc_now
from ..skill import Provenance, Skill, sha256_hex
from ..sources.folders import load_skill_dir
from ..sources.skill_archive import UploadLimits, pack, read_upload, write_folder
from .access import Access, BlockedError, ConflictError, ForbiddenError, RegistryError, split_path
from .cache import ReadCache, bump
from .log import WriteLog
from .records import (
    COLUMNS,
    STATUSES,
    VersionRecord,
    by_publisher,
    current_versions,
    skill_id,
    versions_of,
)
from .tokens import AuthError, Token, TokenStore

_LABEL = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")


@dataclass(frozen=True)
class Download:
    name: str
    data: bytes
    digest: str  # the skill digest (over every file)
    sha256: str  # of the archive bytes
    record: VersionRecord


class Registry:
    """A skill registry over a Library. Thread-safe: calls are serialised on the library's
    connection (the HTTP server runs handlers in threads)."""

    def __init__(self, library: Library, *, policy: Policy | str | Path | None = None,
                 limits: UploadLimits | None = None,
                 anonymous_read: tuple[str, ...] = (),
                 route_library: Library | None = None, cache: bool | None = None) -> None:
        self.library = library
        # searches may run on their own connection (``route_library``, the same library), so
        # that routing (an ONNX model run) does not hold up reads and writes on the main one
        self.route_library = route_library or library
        self.store = library.store
        self.rules = load_rules()
        self.policy = policy if isinstance(policy, Policy) else load_policy(policy, self.rules)
        self.policy_path = None if isinstance(policy, Policy) else policy
        self.limits = limits or UploadLimits()
        self.anonymous_read = anonymous_read
        self.tokens = TokenStore(self.store)
        self.log = WriteLog(self.store)
        self.lock = threading.RLock()
        self.route_lock = self.lock if route_library is None else threading.RLock()
        if cache is None:  # SKILLYARD_REGISTRY_CACHE=0 turns the read caches off
            cache = os.environ.get("SKILLYARD_REGISTRY_CACHE", "1") != "0"
        self.cache = ReadCache(self.store, self.lock, enabled=cache)

    def _current_versions(self) -> list[VersionRecord]:
        def compute() -> list[VersionRecord]:
            with self.lock:
                return current_versions(self.store)
        return self.cache.get("current", compute)

    def _versions_of(self, sid: str) -> list[VersionRecord]:
        def compute() -> list[VersionRecord]:
            with self.lock:
                return versions_of(self.store, sid)
        return self.cache.get(("versions", sid), compute)

    # -- who ------------------------------------------------------------------------------
    def authenticate(self, secret: str | None) -> Access:
        """The caller for a token text (None: anonymous); AuthError when it is not valid."""
        if not secret:
            return Access(None, self.anonymous_read)

        def verify() -> Token:
            with self.lock:
                return self.tokens.verify(secret)
        # verified tokens are cached by the hash of the text until the generation moves (a
        # revocation bumps it); failures are never cached; expiry is checked on every use
        key = ("token", hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest())
        token = self.cache.get(key, verify)
        if token.status == "expired":
            raise AuthError(f"token {token.id} expired at {token.expires_at}")
        return Access(token, self.anonymous_read)

    # -- reading --------------------------------------------------------------------------
    def list_skills(self, access: Access) -> list[VersionRecord]:
        return [r for r in self._current_versions() if access.can_read(r.path)]

    def versions(self, access: Access, path: str) -> list[VersionRecord]:
        access.need("read", path)
        split_path(path)
        found = self._versions_of(skill_id(path))
        if not found:
            raise NotFoundError(f"no skill {path} in this registry")
        return found

    def version(self, access: Access, path: str, ref: str | None = None) -> VersionRecord:
        """One version by label or number; None or 'latest': the newest not yanked."""
        found = self.versions(access, path)
        if ref in (None, "", "latest"):
            live = [r for r in found if r.status != "yanked"]
            if not live:
                raise NotFoundError(f"every version of {path} is yanked; ask for one by name")
            return live[-1]
        for record in reversed(found):
            if record.label == ref:
                return record
        for record in found:
            if str(record.version) == ref:
                return record
        raise NotFoundError(f"{path} has no version {ref!r} (versions: "
                            f"{', '.join(r.label for r in found)})")

    def skill(self, access: Access, path: str, ref: str | None = None) -> tuple[VersionRecord,
                                                                                Skill]:
        record = self.version(access, path, ref)

        def compute() -> Skill:
            with self.lock:
                return self.store.get(record.skill_id, record.version)
        return record, self.cache.get(("skill", record.skill_id, record.version), compute,
                                      check=False)

    def describe(self, access: Access, path: str, ref: str | None = None) -> dict[str, Any]:
        """Metadata, every version and the file manifest (sha256, size) of one version."""
        record, skill = self.skill(access, path, ref)
        return {
            **record.to_dict(), "name": skill.name, "description": skill.description,
            "frontmatter": skill.frontmatter,
            "files": [f.manifest() for f in skill.files],
            "versions": [r.to_dict() for r in self.versions(access, path)],
            "signer": self.verified_signer(skill),
        }

    def verified_signer(self, skill: Skill) -> dict[str, str] | None:
        """The verified signer under the current policy (checked now: a key revoked since the
        publish shows no signer)."""
        from ..audit.provenance import check_for_policy

        def compute() -> dict[str, str] | None:
            with self.lock:
                return check_for_policy(skill, self.policy, self.store.read_blob).signer()
        # a pure function of the content and the signer set (its cache_key changes whenever a
        # verification could come out differently); the minute bounds a key's valid-before
        signers = self.policy.allowed_signers.cache_key
        key = ("signer", skill.digest, repr(skill.provenance.to_dict()),
               hashlib.sha256(signers.encode()).hexdigest(), int(time.time() // 60))
        return self.cache.get(key, compute)

    def read_file(self, access: Access, path: str, ref: str | None, file: str) -> bytes:
        record, skill = self.skill(access, path, ref)
        entry = skill.file(file)
        if entry is None or entry.kind != "file":
            raise NotFoundError(f"{path}@{record.label} has no file {file!r}")
        with self.lock:
            data = self.store.read_blob(entry.sha256)
        if sha256_hex(data) != entry.sha256:
            raise RegistryError(f"{path}@{record.label}: {file} does not match its digest; "
                                "refused")
        return data

    def download(self, access: Access, path: str, ref: str | None = None) -> Download:
        record, skill = self.skill(access, path, ref)

        def compute() -> tuple[bytes, str]:
            files = [(f.path, self.read_file(access, path, record.label, f.path))
                     for f in skill.files if f.kind == "file"]
            data = pack(record.name, files)
            return data, sha256_hex(data)
        data, sha = self.cache.get(("archive", record.skill_id, record.version), compute,
                                   check=False)
        return Download(record.name, data, skill.digest, sha, record)

    def search(self, access: Access, query: str, k: int = 10) -> dict[str, Any]:
        """The router's best registry skills the caller may read, with tiers and abstention."""
        if not query.strip():
            raise RegistryError("the query is empty")
        k = max(1, min(int(k), 100))
        current = {r.skill_id: r for r in self._current_versions()}
        if not current:
            return {"query": query, "results": [], "abstain": True, "confidence": 0.0}
        depth = min(1000, 4 * k + 20)

        def compute() -> Any:
            with self.route_lock:
                return self.route_library.route(query, k=depth)
        routed = self.cache.get(("route", " ".join(query.split()), depth), compute,
                                check=False)
        results = []
        seen: set[str] = set()
        for hit in routed.results:
            # a near-duplicate group shows one member; show the first one the caller may read
            record = next((current[i] for i in [hit.id, *hit.alternatives]
                           if i in current and i not in seen
                           and access.can_read(current[i].path)), None)
            if record is None:
                continue
            seen.add(record.skill_id)
            results.append({**record.to_dict(), "score": round(hit.score, 4),
                            "description": self._description(record.skill_id)})
            if len(results) == k:
                break
        return {"query": query, "results": results, "abstain": routed.abstain or not results,
                "confidence": round(routed.confidence, 4)}

    def _description(self, sid: str) -> str:
        def compute() -> str:
            with self.lock:
                rows = self.store.query("SELECT description FROM skills WHERE id = ?", (sid,))
            return rows[0][0] if rows else ""
        return self.cache.get(("description", sid), compute, check=False)

    def audit_report(self, access: Access, path: str, ref: str | None = None) -> dict[str, Any]:
        record = self.version(access, path, ref)
        with self.lock:
            accepted = self.store.query(
                "SELECT rule, file, reason, accepted_by, accepted_at FROM registry_acceptances "
                "WHERE skill_id = ? AND digest = ? ORDER BY accepted_at",
                (record.skill_id, record.digest))
        return {**record.to_dict(findings=True), "acceptances": [
            {"rule": r[0], "file": r[1], "reason": r[2], "by": r[3], "at": r[4]}
            for r in accepted]}

    def diff(self, access: Access, path: str, old: str, new: str) -> list[dict[str, Any]]:
        """Per file: added, removed or changed, with a unified diff for text files."""
        (rec_a, a), (rec_b, b) = self.skill(access, path, old), self.skill(access, path, new)
        files_a = {f.path: f for f in a.files if f.kind == "file"}
        files_b = {f.path: f for f in b.files if f.kind == "file"}
        out = []
        for name in sorted(set(files_a) | set(files_b)):
            fa, fb = files_a.get(name), files_b.get(name)
            if fa and fb and fa.sha256 == fb.sha256:
                continue
            status = "added" if fa is None else "removed" if fb is None else "changed"
            text_a = self._text(access, path, rec_a.label, name) if fa else ""
            text_b = self._text(access, path, rec_b.label, name) if fb else ""
            lines = None
            if text_a is not None and text_b is not None:
                lines = list(difflib.unified_diff(
                    text_a.splitlines(), text_b.splitlines(), f"{rec_a.label}/{name}",
                    f"{rec_b.label}/{name}", lineterm=""))
            out.append({"path": name, "status": status, "diff": lines})
        return out

    def _text(self, access: Access, path: str, ref: str, file: str) -> str | None:
        data = self.read_file(access, path, ref, file)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def evaluations(self, access: Access, path: str, limit: int = 20) -> list[Any]:
        """Stored evaluation experiments of this skill (run with ``skillyard eval run
        --skill registry:NS/NAME`` on the registry's library), newest first, re-analysed
        from their trials."""
        access.need("read", path)
        split_path(path)
        sid = skill_id(path)
        pattern = "%" + sid.replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        with self.lock:
            rows = self.store.query(
                "SELECT id FROM eval_runs WHERE status = 'done' AND spec LIKE ? ESCAPE '\\' "
                f"ORDER BY created_at DESC LIMIT {int(limit)}", (pattern,))
            out = []
            for (run_id,) in rows:
                try:
                    out.append(self.library.evaluation(run_id))
                except SkillyardError:
                    continue  # not an experiment (a trigger run or tournament), or unreadable
        return out

    def publisher(self, access: Access, name: str) -> list[VersionRecord]:
        with self.lock:
            return [r for r in by_publisher(self.store, name) if access.can_read(r.path)]

    # -- writing --------------------------------------------------------------------------
    def publish(self, access: Access, path: str, data: bytes, *,
                source: str = "") -> VersionRecord:
        """Validate, audit and store an uploaded skill archive as a new version of ``path``.
        Refused as a whole (nothing stored) when anything fails; BlockedError carries the
        findings when the audit blocks."""
        namespace, name = split_path(path)
        access.need("publish", path)
        files = read_upload(data, self.limits)
        upload_sha = sha256_hex(data)
        sid = skill_id(path)
        provenance = Provenance(source="registry", kind="registry", path=path, extra={
            "publisher": access.publisher, "upload_sha256": upload_sha,
            **({"client_source": source[:500]} if source else {})})
        with tempfile.TemporaryDirectory(prefix="skillyard-publish-") as tmp:
            folder = Path(tmp) / name
            write_folder(files, folder)
            try:
                skill = load_skill_dir(folder, skill_id=sid, provenance=provenance)
            except SkillLoadError as exc:
                raise RegistryError(f"the upload is not a loadable skill: {exc.reason}") from None
        if skill.name != name:
            raise RegistryError(f"SKILL.md names the skill {skill.name!r}, but it is published "
                                f"as {path}; the names must match")
        label = _label(skill)
        verdict, tier, findings = self._audit(skill)
        if verdict == "block":
            report = {"skill": path, "digest": skill.digest, "verdict": verdict, "tier": tier,
                      "findings": findings}
            with self.lock:
                self.log.record(access.actor, "publish-refused", path, digest=skill.digest,
                                findings=[{k: f.get(k) for k in ("rule", "file", "severity",
                                                                 "fail_closed")}
                                          for f in findings])
            raise BlockedError(f"the audit blocks {path}: {_worst(findings)}", report)
        now = utc_now()
        with self.lock, self.store.transaction():
            known = versions_of(self.store, sid)
            if label and any(r.label == label for r in known):
                raise ConflictError(f"{path} already has version {label}; versions are "
                                    "immutable, publish a new one")
            outcome = self.store.put([skill])[0]
            if outcome.status == "unchanged":
                raise ConflictError(f"{path}: this content is already the current version "
                                    f"({known[-1].label if known else outcome.version})")
            label = label or str(outcome.version)
            if any(r.label == label for r in known):
                raise ConflictError(f"{path} already has a version labelled {label}")
            self.store.execute(
                f"INSERT INTO registry_versions ({COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, outcome.version, namespace, name, label, skill.digest, access.publisher,
                 now, upload_sha, "active", "", verdict, tier, compact_json(findings), now))
            verdicts = VerdictStore(self.store)
            verdicts.record(sid, skill.digest, self._rules_digest(), verdict, tier)
            self.log.record(access.actor, "publish", path, version=label, digest=skill.digest,
                            verdict=verdict, tier=tier, archive_sha256=upload_sha)
            bump(self.store)
        self.cache.clear()  # this request reads its own write
        self._reindex()
        return self.version(access, path, label)

    def set_status(self, access: Access, path: str, ref: str, status: str,
                   reason: str = "") -> VersionRecord:
        """Yank (hidden from latest and search, still fetchable by name), deprecate (served
        with a warning) or restore a version."""
        if status not in STATUSES:
            raise RegistryError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        access.need("publish", path)
        record = self.version(access, path, ref)
        with self.lock, self.store.transaction():
            self.store.execute(
                "UPDATE registry_versions SET status = ?, status_reason = ? "
                "WHERE skill_id = ? AND version = ?",
                (status, reason[:500], record.skill_id, record.version))
            self.log.record(access.actor, status if status != "active" else "restore", path,
                            version=record.label, reason=reason[:500])
            bump(self.store)
        self.cache.clear()  # this request reads its own write
        return self.version(access, path, record.label)

    def reaudit(self, access: Access, path: str, ref: str | None = None) -> dict[str, Any]:
        """Audit a stored version again under the current rules, policy and acceptances."""
        access.need("publish", path)
        record, skill = self.skill(access, path, ref)
        skill = self._with_content(skill)
        verdict, tier, findings = self._audit(skill)
        with self.lock, self.store.transaction():
            self.store.execute(
                "UPDATE registry_versions SET verdict = ?, tier = ?, findings = ?, "
                "audited_at = ? WHERE skill_id = ? AND version = ?",
                (verdict, tier, compact_json(findings), utc_now(), record.skill_id,
                 record.version))
            VerdictStore(self.store).record(record.skill_id, skill.digest, self._rules_digest(),
                                            verdict, tier)
            self.log.record(access.actor, "reaudit", path, version=record.label,
                            verdict=verdict, was=record.verdict)
            bump(self.store)
        self.cache.clear()  # this request reads its own write
        return self.audit_report(access, path, record.label)

    def accept(self, access: Access, path: str, digest: str, rule: str, file: str,
               reason: str) -> dict[str, Any]:
        """An admin accepts one finding (rule in file) of the content ``digest`` with a
        reason: an appeal. Fail-closed findings cannot be accepted."""
        access.need("admin", path)
        split_path(path)
        if len(reason.strip()) < 3:
            raise RegistryError("give a reason for accepting the finding")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise RegistryError("digest must be the skill digest (64 hex digits)")
        sid = skill_id(path)
        finding = self._finding(sid, path, digest, rule, file)
        if finding is None:
            raise NotFoundError(f"no finding {rule} in {file} for content {digest[:12]} of "
                                f"{path}; publish it first (a refused publish counts)")
        if finding.get("fail_closed"):
            raise ForbiddenError(f"{rule} is a fail-closed finding (the auditor could not "
                                 "analyse something); it cannot be accepted")
        with self.lock, self.store.transaction():
            self.store.execute(
                "INSERT INTO registry_acceptances (skill_id, digest, rule, file, reason, "
                "accepted_by, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (skill_id, digest, rule, file) DO UPDATE SET "
                "reason = excluded.reason, accepted_by = excluded.accepted_by, "
                "accepted_at = excluded.accepted_at",
                (sid, digest, rule, file, reason.strip()[:1000], access.actor, utc_now()))
            self.log.record(access.actor, "accept-finding", path, digest=digest, rule=rule,
                            file=file, reason=reason.strip()[:1000])
            bump(self.store)
        self.cache.clear()  # this request reads its own write
        with self.lock:
            stored = [r for r in versions_of(self.store, sid) if r.digest == digest]
        if stored:
            return self.reaudit(access, path, stored[-1].label)
        return {"skill": path, "digest": digest, "rule": rule, "file": file,
                "accepted": True, "note": "applies when this content is published"}

    def _finding(self, sid: str, path: str, digest: str, rule: str,
                 file: str) -> dict[str, Any] | None:
        """A finding the registry reported for this content: in a stored version's audit or
        in a refused publish (kept in the write log)."""
        with self.lock:
            candidates = [f for r in versions_of(self.store, sid) if r.digest == digest
                          for f in r.findings]
            for entry in self.log.entries(limit=200, target=path):
                if entry.action == "publish-refused" and entry.detail.get("digest") == digest:
                    candidates += [f for f in entry.detail.get("findings", [])
                                   if isinstance(f, dict)]
        return next((f for f in candidates if f.get("rule") == rule and f.get("file") == file),
                    None)

    def create_token(self, access: Access, *, role: str, scope: str, name: str = "",
                     expires: str | None = None) -> tuple[Any, str]:
        access.need("admin")
        with self.lock, self.store.transaction():
            token, secret = self.tokens.create(role=role, scope=scope, name=name,
                                               expires=expires, created_by=access.actor)
            self.log.record(access.actor, "token-create", f"token:{token.id}", role=role,
                            scope=scope, expires_at=token.expires_at)
        return token, secret

    def revoke_token(self, access: Access, token_id: str) -> Any:
        access.need("admin")
        with self.lock, self.store.transaction():
            token = self.tokens.revoke(token_id)
            self.log.record(access.actor, "token-revoke", f"token:{token_id}")
        self.cache.clear()
        return token

    def accepted_findings(self, sid: str, digest: str) -> set[tuple[str, str]]:
        """(rule, file) of every finding an admin accepted for this content of ``sid``."""
        with self.lock:
            rows = self.store.query("SELECT rule, file FROM registry_acceptances "
                                    "WHERE skill_id = ? AND digest = ?", (sid, digest))
        return {(r[0], r[1]) for r in rows}

    # -- helpers --------------------------------------------------------------------------
    def _rules_digest(self) -> str:
        from ..audit.engine import rules_digest

        return rules_digest(self.rules, self.policy)

    def _with_content(self, skill: Skill) -> Skill:
        """A stored skill with every file's bytes (the auditor reads them)."""
        from dataclasses import replace

        with self.lock:
            files = tuple(replace(f, data=self.store.read_blob(f.sha256))
                          if f.kind == "file" and f.data is None else f for f in skill.files)
        return replace(skill, files=files)

    def _audit(self, skill: Skill) -> tuple[str, int, list[dict[str, Any]]]:
        """Verdict, tier and findings (accepted ones marked and left out of the verdict)."""
        result = audit(skill, policy=self.policy)
        with self.lock:
            rows = self.store.query(
                "SELECT rule, file, reason, accepted_by FROM registry_acceptances "
                "WHERE skill_id = ? AND digest = ?", (skill.id, skill.digest))
        accepted = {(r[0], r[1]): (r[2], r[3]) for r in rows}
        kept, findings = [], []
        for finding in result.findings:
            entry = finding.to_dict()
            entry["flow"] = finding.flow
            entry["fail_closed"] = finding.fail_closed
            why = accepted.get((finding.rule, finding.file))
            if why and not finding.fail_closed:
                entry["accepted"] = {"reason": why[0], "by": why[1]}
            else:
                kept.append(finding)
            findings.append(entry)
        verdict = self.policy.verdict(kept)
        # the ceiling of the *verified* signer only (the audit verified it, revocation
        # included); a signer claimed in the upload's metadata raises nothing
        signer = result.signer or {}
        tier = tier_for(verdict, self.policy.ceiling(skill, signer.get("identity") or None))
        return verdict, tier, findings

    def _reindex(self) -> None:
        """Bring the routing index up to date with a publish (only the new skill is read)."""
        with self.route_lock:
            self.route_library.route_index()


def _label(skill: Skill) -> str:
    """The version a publisher gave in the frontmatter (``version`` or metadata.version)."""
    value = skill.frontmatter.get("version")
    meta = skill.frontmatter.get("metadata")
    if value is None and isinstance(meta, dict):
        value = meta.get("version")
    if value is None:
        return ""
    text = str(value).strip()
    if not _LABEL.match(text):
        raise RegistryError(f"version {text!r} is not a version label (letters, digits, "
                            "'.', '+', '-', '_')")
    return text


def _worst(findings: list[dict[str, Any]]) -> str:
    active = [f for f in findings if not f.get("accepted")]
    if not active:
        return "blocked"
    order = ["info", "low", "medium", "high", "critical"]
    worst = max(active, key=lambda f: order.index(f["severity"]) if f["severity"] in order
                else 0)
    return f"{worst['rule']} in {worst['file']}: {worst['why']}"


__all__ = ["AuthError", "Download", "Registry"]
