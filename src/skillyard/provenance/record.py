"""Recording a verified signer in a skill's provenance (``provenance.extra["signer"]``)."""

from __future__ import annotations

from dataclasses import replace

from ..skill import Skill

SIGNER_KEY = "signer"


def with_signer(skill: Skill, signer: dict[str, str] | None) -> Skill:
    """``skill`` with its provenance naming ``signer`` (a verified one), or naming none: a
    signer claimed by the source's own metadata is dropped, never carried over."""
    extra = {k: v for k, v in skill.provenance.extra.items() if k != SIGNER_KEY}
    if signer:
        extra[SIGNER_KEY] = dict(signer)
    if extra == skill.provenance.extra:
        return skill
    return replace(skill, provenance=replace(skill.provenance, extra=extra))


def signer_of(skill: Skill) -> dict[str, str] | None:
    value = skill.provenance.extra.get(SIGNER_KEY)
    if isinstance(value, dict) and value.get("fingerprint"):
        return {str(k): str(v) for k, v in value.items()}
    return None


def signer_change(locked: dict[str, str] | None, now: dict[str, str] | None) -> str | None:
    """Why the verified signer ``now`` is not the ``locked`` one, or None when it is the same
    (or nothing was signed when locked)."""
    if locked is None:
        return None
    was = f"{locked.get('identity', '?')} ({locked.get('fingerprint')})"
    if now is None:
        return f"the locked signer {was} no longer verifies"
    if now.get("fingerprint") != locked.get("fingerprint"):
        return (f"signed by {now.get('identity', '?')} ({now.get('fingerprint')}), not the "
                f"locked signer {was}")
    return None
