"""Skill signatures: what is signed (the digest of every file but the signature), where the
signature lives (``SKILL.sig`` next to SKILL.md) and how a loaded skill is checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..skill import Skill, SkillFile, skill_digest
from . import sshsig
from .sshsig import AllowedSigners

NAMESPACE = "skillyard-skill@v1"
SIGNATURE_FILE = "SKILL.sig"
MAX_SIGNATURE_BYTES = 64 * 1024
_CACHE: dict[tuple[str, str, str], sshsig.Outcome] = {}


def payload_digest(files: tuple[SkillFile, ...] | list[SkillFile]) -> str:
    """The skill digest (``skill.skill_digest``) over every file except the signature itself;
    for an unsigned skill it equals the library's and the lockfile's digest."""
    return skill_digest([f for f in files if f.path != SIGNATURE_FILE])


HEADER = "skillyard-skill-signature v1"
ARMOR = "-----BEGIN SSH SIGNATURE-----"


def signed_message(files: tuple[SkillFile, ...] | list[SkillFile]) -> str:
    """The exact text that is signed: a header line, the payload digest, then one line per
    file (``file KIND SHA256 "PATH"``), sorted. The digest alone decides validity; the file
    lines let a verifier name what changed."""
    kept = [f for f in files if f.path != SIGNATURE_FILE]
    lines = [HEADER, f"digest sha256:{payload_digest(kept)}"]
    lines += sorted(f"file {f.kind} {f.sha256} {json.dumps(f.path)}" for f in kept)
    return "\n".join(lines) + "\n"


def _manifest(message: str) -> tuple[str | None, dict[str, str]]:
    digest, files = None, {}
    for line in message.splitlines():
        if line.startswith("digest sha256:"):
            digest = line.split(":", 1)[1]
        elif line.startswith("file "):
            parts = line.split(" ", 3)
            if len(parts) == 4:
                try:
                    files[json.loads(parts[3])] = parts[2]
                except ValueError:
                    continue
    return digest, files


def _changes(signed: dict[str, str], files: tuple[SkillFile, ...]) -> str:
    now = {f.path: f.sha256 for f in files if f.path != SIGNATURE_FILE}
    parts = [f"{p} changed" for p in sorted(now) if p in signed and signed[p] != now[p]]
    parts += [f"{p} added" for p in sorted(now) if p not in signed]
    parts += [f"{p} removed" for p in sorted(signed) if p not in now]
    return ", ".join(parts[:10]) + (f" and {len(parts) - 10} more" if len(parts) > 10 else "")


@dataclass(frozen=True)
class SignatureCheck:
    """The signature state of one skill. ``status`` is one of:
    ``unsigned``, ``verified``, ``unchecked`` (intact, but no allowed signers to trust it),
    ``invalid`` (does not verify: tampered, other digest, wrong namespace, unknown key)."""

    skill: str
    status: str
    digest: str
    file: str = SIGNATURE_FILE
    principal: str | None = None
    fingerprint: str | None = None
    reason: str = ""

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    def signer(self) -> dict[str, str] | None:
        if not self.verified:
            return None
        return {"identity": self.principal or "", "fingerprint": self.fingerprint or "",
                "namespace": NAMESPACE}

    def message(self) -> str:
        if self.status == "verified":
            return (f"{self.skill}: signature verified: {self.principal} "
                    f"({self.fingerprint}) signed digest {self.digest}")
        if self.status == "unsigned":
            return f"{self.skill}: not signed (no {SIGNATURE_FILE})"
        return f"{self.skill}: {self.file}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"skill": self.skill, "status": self.status, "digest": self.digest,
                "file": self.file, "identity": self.principal, "fingerprint": self.fingerprint,
                "namespace": NAMESPACE, "reason": self.reason}


def _signature_text(skill: Skill, read_blob: Callable[[str], bytes] | None) -> str | None:
    entry = skill.file(SIGNATURE_FILE)
    if entry is None or entry.kind != "file":
        return None
    data = entry.data
    if data is None and read_blob is not None:
        try:
            data = read_blob(entry.sha256)
        except Exception:  # noqa: BLE001 - an unreadable signature is reported, not raised
            data = None
    if data is None or len(data) > MAX_SIGNATURE_BYTES:
        return ""
    return data.decode("utf-8", "replace")


def verify_skill(skill: Skill, signers: AllowedSigners, *,
                 read_blob: Callable[[str], bytes] | None = None) -> SignatureCheck:
    """Check ``skill``'s signature offline against ``signers``; never raises for a bad
    signature (that is a result), only ``SshSigError`` when ssh-keygen cannot run."""
    digest = payload_digest(skill.files)
    entry = skill.file(SIGNATURE_FILE)
    if entry is not None and entry.kind != "file":
        return SignatureCheck(skill.id, "invalid", digest, reason=f"{SIGNATURE_FILE} is a "
                              f"{entry.kind}, not a file")
    text = _signature_text(skill, read_blob)
    if text is None:
        return SignatureCheck(skill.id, "unsigned", digest)
    if not text:
        return SignatureCheck(skill.id, "invalid", digest, reason="the signature could not be "
                              f"read (missing content or over {MAX_SIGNATURE_BYTES} bytes)")
    if ARMOR not in text or not text.startswith(HEADER):
        return SignatureCheck(skill.id, "invalid", digest, reason=f"not a skillyard signature "
                              f"(expected a '{HEADER}' manifest and an SSH signature)")
    message, armor = text[:text.index(ARMOR)], text[text.index(ARMOR):]
    signed_digest, signed_files = _manifest(message)
    key = (message, armor, signers.cache_key)
    outcome = _CACHE.get(key)
    if outcome is None:
        outcome = sshsig.check(message.encode("utf-8"), armor, NAMESPACE, signers)
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[key] = outcome
    if outcome.kind != "mismatch" and signed_digest != digest:
        changed = _changes(signed_files, skill.files) or "a file's kind changed"
        return SignatureCheck(skill.id, "invalid", digest, principal=outcome.principal,
                              fingerprint=outcome.fingerprint, reason=f"the skill changed "
                              f"since it was signed by key {outcome.fingerprint}: {changed}")
    if outcome.ok:
        return SignatureCheck(skill.id, "verified", digest, principal=outcome.principal,
                              fingerprint=outcome.fingerprint)
    status = "unchecked" if outcome.kind == "unchecked" else "invalid"
    return SignatureCheck(skill.id, status, digest, principal=outcome.principal,
                          fingerprint=outcome.fingerprint, reason=outcome.problem)


def sign_skill(skill: Skill, folder: str | Path, key: str | Path) -> SignatureCheck:
    """Sign ``skill`` (loaded from ``folder``) with the private SSH ``key``; write ``SKILL.sig``
    into the folder. Returns the (unchecked) state of the new signature. Loading the folder is
    the caller's (``skillyard.sources.sign_folder``): provenance sits below sources."""
    folder = Path(folder)
    digest = payload_digest(skill.files)
    message = signed_message(skill.files)
    signature = sshsig.sign(message.encode("utf-8"), key, NAMESPACE)
    target = folder / SIGNATURE_FILE
    if target.is_symlink():
        target.unlink()
    target.write_text(message + signature, encoding="utf-8")
    outcome = sshsig.check(message.encode("utf-8"), signature, NAMESPACE, AllowedSigners())
    return SignatureCheck(skill.id, "unchecked", digest, fingerprint=outcome.fingerprint,
                          reason="signed; trust it with an allowed signer in the policy")
