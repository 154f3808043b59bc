"""Sign a skill folder: load it, then sign it (provenance sits below sources)."""

from __future__ import annotations

from pathlib import Path

from ..errors import SkillLoadError
from ..provenance.signing import SignatureCheck, sign_skill
from ..provenance.sshsig import SshSigError
from .folders import load_skill_dir


def sign_folder(folder: str | Path, key: str | Path) -> SignatureCheck:
    """Sign the skill in ``folder`` with the private SSH ``key``; write ``SKILL.sig``.
    Returns the (unchecked) state of the new signature: its digest and key fingerprint."""
    folder = Path(folder)
    try:
        skill = load_skill_dir(folder)
    except SkillLoadError as exc:
        raise SshSigError(f"{folder}: not a skill folder ({exc.reason})") from None
    return sign_skill(skill, folder, key)
