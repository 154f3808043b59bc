"""The signature check as the audit sees it: a ``SignatureCheck`` under a policy, turned into
findings (a bad signature blocks, fail-closed) and a verified signer for the tier ceiling."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..provenance.gitsig import EXTRA_KEY, verify_git
from ..provenance.signing import SIGNATURE_FILE, SignatureCheck, verify_skill
from ..provenance.sshsig import SshSigError
from ..skill import Skill

if TYPE_CHECKING:
    from .model import Finding
    from .policy import Policy


def check_for_policy(skill: Skill, policy: Policy,
                     read_blob: Callable[[str], bytes] | None = None) -> SignatureCheck:
    """The skill's signature state against the policy's allowed signers (never raises)."""
    try:
        check = verify_skill(skill, policy.allowed_signers, read_blob=read_blob)
    except SshSigError as exc:
        if skill.file(SIGNATURE_FILE) is None:
            return SignatureCheck(skill.id, "unsigned", "")
        return SignatureCheck(skill.id, "invalid", "", reason=f"cannot verify ({exc})")
    if check.status == "invalid" or skill.provenance.kind != "git":
        return check
    wanted = getattr(policy, "require_git_signature", False)
    if check.verified and not wanted:
        return check
    signer, why = _git(skill, policy)
    if signer is not None:
        return check if check.verified else SignatureCheck(
            skill.id, "verified", check.digest, file=f"git {signer['via']}",
            principal=signer["identity"], fingerprint=signer["fingerprint"])
    if wanted:
        status = "unsigned" if "not signed" in why else "invalid"
        return SignatureCheck(skill.id, status, check.digest, file="git", reason=why)
    return check


_GIT_CACHE: dict[tuple[str, str, str], tuple[dict[str, str] | None, str]] = {}


def _git(skill: Skill, policy: Policy) -> tuple[dict[str, str] | None, str]:
    prov = skill.provenance
    key = (prov.source, str(prov.commit), policy.allowed_signers.cache_key + repr(
        prov.extra.get(EXTRA_KEY)))
    if key not in _GIT_CACHE:
        try:
            _GIT_CACHE[key] = verify_git(skill, policy.allowed_signers)
        except SshSigError as exc:
            _GIT_CACHE[key] = (None, f"cannot verify ({exc})")
    return _GIT_CACHE[key]


def signature_findings(check: SignatureCheck, policy: Policy) -> list[Finding]:
    from .combine import to_finding
    from .model import Hit
    from .rules import load_rules

    rules = load_rules()
    if check.status == "invalid":
        evidence = f"{check.skill}: {check.reason}"
        if check.fingerprint and check.fingerprint not in evidence:
            evidence += f" (key {check.fingerprint})"
        return [to_finding(Hit("signature-invalid", check.file, None, evidence[:400]), rules)]
    if check.status == "unsigned" and check.file == "git":
        return [to_finding(Hit("signature-missing", "git", None,
                               f"{check.skill}: {check.reason}", detail="policy signing.git"),
                           rules)]
    if check.status == "unsigned" and policy.require_signature:
        return [to_finding(Hit("signature-missing", SIGNATURE_FILE, None,
                               f"{check.skill}: no {SIGNATURE_FILE}"), rules)]
    if check.status == "unchecked":
        return [to_finding(Hit("signature-unchecked", check.file, None,
                               f"{check.skill}: signed by key {check.fingerprint}"), rules)]
    return []
