"""Signed git commits and tags: the SSH signature material of the checked-out commit (and of
an annotated tag ref), captured when a git source is cloned and verified later against the
policy's allowed signers, offline, with ``ssh-keygen -Y verify -n git`` (what git itself runs).

GPG signatures are verified with ``gpgv`` against the policy's ``gpg_keys`` only (``gpgsig``);
without them a GPG signature counts as not from an allowed signer."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from ..skill import Skill
from . import sshsig
from .gpgsig import verify as gpg_verify
from .sshsig import AllowedSigners

GIT_NAMESPACE = "git"
EXTRA_KEY = "git_signatures"
_SSH_BEGIN = "-----BEGIN SSH SIGNATURE-----"
_PGP_BEGIN = "-----BEGIN PGP SIGNATURE-----"


def _cat(repo: Path, kind: str, rev: str) -> str | None:
    proc = subprocess.run(["git", "cat-file", kind, rev], cwd=repo, capture_output=True,
                          timeout=30, check=False)
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else None


def _split_commit(raw: str) -> tuple[str, str] | None:
    """(payload, signature) of a signed commit object: the gpgsig header is cut out."""
    head, sep, body = raw.partition("\n\n")
    lines, sig, inside = [], [], False
    for line in head.split("\n"):
        if line.startswith("gpgsig ") or line.startswith("gpgsig-sha256 "):
            inside = True
            sig.append(line.split(" ", 1)[1])
        elif inside and line.startswith(" "):
            sig.append(line[1:])
        else:
            inside = False
            lines.append(line)
    if not sig:
        return None
    return "\n".join(lines) + sep + body, "\n".join(sig) + "\n"


def _split_tag(raw: str) -> tuple[str, str] | None:
    for begin in (_SSH_BEGIN, _PGP_BEGIN):
        at = raw.find(begin)
        if at >= 0:
            return raw[:at], raw[at:]
    return None


def capture(repo: Path, commit: str, ref: str | None) -> list[dict[str, str]]:
    """The signatures over ``commit`` and over the annotated tag ``ref`` (when it is one)."""
    out = []
    raw = _cat(repo, "commit", commit)
    split = _split_commit(raw) if raw else None
    if split:
        out.append({"object": "commit", "id": commit, "payload": split[0],
                     "signature": split[1]})
    if ref:
        raw = _cat(repo, "tag", ref)
        split = _split_tag(raw) if raw else None
        if split and f"\nobject {commit}\n" in f"\n{split[0]}":
            out.append({"object": "tag", "id": ref, "payload": split[0], "signature": split[1]})
    return out


def verify_git(skill: Skill, signers: AllowedSigners) -> tuple[dict[str, str] | None, str]:
    """(verified signer, or None; why not) for a git-sourced skill's commit or tag."""
    entries: Any = skill.provenance.extra.get(EXTRA_KEY) or []
    if skill.provenance.kind != "git":
        return None, "not from a git source"
    if not isinstance(entries, list) or not entries:
        return None, f"commit {str(skill.provenance.commit)[:12]} is not signed"
    problems = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        what = f"{entry.get('object')} {str(entry.get('id'))[:40]}"
        signature = str(entry.get("signature", ""))
        if signature.startswith(_PGP_BEGIN):
            signer, problem = _gpg(entry, signers, what)
            if signer is not None:
                return signer, ""
            problems.append(problem)
            continue
        if not signature.startswith(_SSH_BEGIN):
            problems.append(f"{what}: neither an SSH nor a GPG signature")
            continue
        outcome = sshsig.check(str(entry.get("payload", "")).encode("utf-8"), signature,
                               GIT_NAMESPACE, signers)
        if outcome.ok:
            return {"identity": outcome.principal or "", "fingerprint": outcome.fingerprint
                    or "", "namespace": GIT_NAMESPACE, "via": what}, ""
        problems.append(f"{what}: {outcome.problem}")
    return None, "; ".join(problems) or "no signature"


def _gpg(entry: dict[str, Any], signers: AllowedSigners, what: str
         ) -> tuple[dict[str, str] | None, str]:
    if signers.gpg is None:
        return None, f"{what}: GPG-signed, and the policy names no gpg_keys to verify it"
    outcome = gpg_verify(str(entry.get("payload", "")).encode("utf-8"),
                         str(entry.get("signature", "")), signers.gpg, signers.revoked)
    if not outcome.ok:
        return None, f"{what}: {outcome.problem}"
    return {"identity": outcome.identity or "", "fingerprint": outcome.fingerprint or "",
            "namespace": "git-gpg", "via": what}, ""
