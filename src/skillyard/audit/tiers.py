"""Trust tiers: what an agent may do with a skill, from its provenance (the policy's ceiling)
and its audit verdict. ``serve`` and ``install`` read the tier; they never recompute it."""

from __future__ import annotations

TIERS: dict[int, str] = {
    0: "metadata only (listed, not loadable)",
    1: "instructions (body and references, no scripts)",
    2: "scripts allowed with approval",
    3: "trusted",
}


def tier_for(verdict: str, ceiling: int, *, unseen_scripts: int = 0) -> int:
    """Blocked skills are metadata only; warned ones get instructions at most; scripts that
    were listed but never seen (a corpus listing) cannot be vetted, so they are not loadable."""
    if verdict == "block":
        return 0
    tier = ceiling
    if verdict == "warn":
        tier = min(tier, 1)
    if unseen_scripts:
        tier = min(tier, 1)
    return tier


def describe(tier: int) -> str:
    return f"{tier} ({TIERS[tier]})"
