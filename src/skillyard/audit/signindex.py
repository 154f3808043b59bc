"""Signatures at index time: each loaded skill's signature is checked (against the policy's
allowed signers and revocation list, when ``index --policy`` names one) before it is stored.

A verified signer is recorded in the stored provenance; a signature that does not verify
(tampered, revoked, unknown key) or one the policy requires and the skill lacks becomes an
``IndexReport`` finding, and ``skillyard index`` exits 1. The skill is still stored (the library
keeps what the source holds); every gate that serves or installs it blocks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..provenance.record import with_signer
from ..provenance.signing import SIGNATURE_FILE
from ..skill import Skill
from .provenance import check_for_policy, signature_findings

if TYPE_CHECKING:
    from .policy import Policy


@dataclass(frozen=True)
class SignatureFinding:
    """One index-time signature problem (``rule``: signature-invalid / -missing)."""

    skill: str
    rule: str
    file: str
    reason: str
    fingerprint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"skill": self.skill, "rule": self.rule, "file": self.file,
                "reason": self.reason, "fingerprint": self.fingerprint}


def _wants_check(skill: Skill, policy: Policy) -> bool:
    """Skip the work for a skill nothing could say anything about."""
    return (skill.file(SIGNATURE_FILE) is not None or policy.require_signature or
            (skill.provenance.kind == "git" and bool(policy.allowed_signers or
                                                     policy.allowed_signers.gpg is not None or
                                                     policy.require_git_signature)))


def check_for_index(skill: Skill, policy: Policy) -> tuple[Skill, list[SignatureFinding]]:
    """The skill to store (with its verified signer recorded, or none) and what is wrong."""
    if not _wants_check(skill, policy):
        return with_signer(skill, None), []
    check = check_for_policy(skill, policy)
    problems = [SignatureFinding(skill.id, f.rule, f.file, f.evidence, check.fingerprint)
                for f in signature_findings(check, policy) if f.fail_closed]
    return with_signer(skill, check.signer() if check.verified else None), problems
