"""The signature check as the audit sees it: a ``SignatureCheck`` under a policy, turned into
findings (a bad signature blocks, fail-closed) and a verified signer for the tier ceiling."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..skill import Skill
from .signing import SIGNATURE_FILE, SignatureCheck, verify_skill
from .sshsig import SshSigError

if TYPE_CHECKING:
    from ..audit.model import Finding
    from ..audit.policy import Policy


def check_for_policy(skill: Skill, policy: Policy,
                     read_blob: Callable[[str], bytes] | None = None) -> SignatureCheck:
    """The skill's signature state against the policy's allowed signers (never raises)."""
    try:
        return verify_skill(skill, policy.allowed_signers, read_blob=read_blob)
    except SshSigError as exc:
        if skill.file(SIGNATURE_FILE) is None:
            return SignatureCheck(skill.id, "unsigned", "")
        return SignatureCheck(skill.id, "invalid", "", reason=f"cannot verify ({exc})")


def signature_findings(check: SignatureCheck, policy: Policy) -> list[Finding]:
    from ..audit.combine import to_finding
    from ..audit.model import Hit
    from ..audit.rules import load_rules

    rules = load_rules()
    if check.status == "invalid":
        evidence = f"{check.skill}: {check.reason}"
        if check.fingerprint and check.fingerprint not in evidence:
            evidence += f" (key {check.fingerprint})"
        return [to_finding(Hit("signature-invalid", check.file, None, evidence[:400]), rules)]
    if check.status == "unsigned" and policy.require_signature:
        return [to_finding(Hit("signature-missing", SIGNATURE_FILE, None,
                               f"{check.skill}: no {SIGNATURE_FILE}"), rules)]
    if check.status == "unchecked":
        return [to_finding(Hit("signature-unchecked", check.file, None,
                               f"{check.skill}: signed by key {check.fingerprint}"), rules)]
    return []
