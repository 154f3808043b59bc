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
