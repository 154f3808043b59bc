"""Provenance: SSH signatures over a skill's digest, verified offline against allowed signers.

``sign_skill`` writes ``SKILL.sig`` into a skill folder; ``verify_skill`` checks a loaded skill
against an ``AllowedSigners`` set (git's ``allowed_signers`` format, with the revoked keys and
the OpenPGP keys for GPG-signed git). See docs/signing.md.
"""

from .revocation import Revocation, RevocationError, load_revocation
from .signing import (
    NAMESPACE,
    SIGNATURE_FILE,
    SignatureCheck,
    payload_digest,
    sign_skill,
    signed_message,
    verify_skill,
)
from .sshsig import AllowedSigners, SshSigError

__all__ = [
    "NAMESPACE", "SIGNATURE_FILE", "AllowedSigners", "Revocation", "RevocationError",
    "SignatureCheck", "SshSigError", "load_revocation", "payload_digest", "sign_skill",
    "signed_message", "verify_skill",
]
