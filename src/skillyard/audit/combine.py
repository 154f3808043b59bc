"""Correlation: capability x threat in the same flow makes a blocking finding; either alone
stays at its own (low or medium) severity. The pairs are data (``rules/combinations.yaml``)."""

from __future__ import annotations

from .model import Finding, Hit
from .rules import Combination, RuleSet

MAX_PER_COMBINATION = 3


def to_finding(hit: Hit, rules: RuleSet) -> Finding:
    rule = rules.get(hit.rule)
    why = rule.why + (f" [{hit.detail}]" if hit.detail else "")
    return Finding(
        rule=rule.id, category=rule.category, severity=hit.severity or rule.severity,
        file=hit.file, line=hit.line, evidence=hit.evidence, why=why, fix=rule.fix,
        fail_closed=rule.fail_closed, signal=rule.signal, tag=rule.tag, flow=hit.flow,
        trace=hit.trace,
    )


def _pair_finding(combo: Combination, a: Hit, b: Hit) -> Finding:
    where = (f"{a.file}:{a.line}" if a.file != b.file else f"line {a.line}")
    evidence = f"{a.evidence} ({where}) + {b.evidence}"
    return Finding(
        rule=combo.id, category=combo.category, severity=combo.severity, file=b.file,
        line=b.line, evidence=evidence[:400], why=combo.why, fix=combo.fix, signal="direct",
        flow=b.flow,
    )


def correlate(hits: list[Hit], rules: RuleSet) -> list[Finding]:
    """Turn hits into findings, replacing correlated pairs with one combined finding."""
    tagged: list[tuple[int, Hit, str]] = []
    for index, hit in enumerate(hits):
        rule = rules.get(hit.rule)
        if rule.signal != "direct" and not hit.inert:
            tagged.append((index, hit, rule.tag))
    flows: dict[str, list[tuple[int, Hit, str]]] = {}
    scoped = [t for t in tagged if t[1].skill_scope]
    for item in tagged:
        flows.setdefault(item[1].flow, []).append(item)
    consumed: set[int] = set()
    combined: list[Finding] = []
    for combo in rules.combinations:
        emitted = 0
        pairs_seen: set[tuple[int, int]] = set()
        for members in flows.values():
            pool = {i: (h, tag) for i, h, tag in members + scoped}
            firsts = [(i, h) for i, (h, tag) in pool.items() if tag in combo.first]
            seconds = [(i, h) for i, (h, tag) in pool.items() if tag in combo.second]
            for i, a in firsts:
                for j, b in seconds:
                    if i == j or (i, j) in pairs_seen:
                        continue
                    # a pair of two skill-scoped hits must still share a flow
                    if a.skill_scope and b.skill_scope and a.flow != b.flow:
                        continue
                    pairs_seen.add((i, j))
                    consumed.update((i, j))
                    if emitted < MAX_PER_COMBINATION:
                        combined.append(_pair_finding(combo, a, b))
                        emitted += 1
    singles = [to_finding(h, rules) for i, h in enumerate(hits) if i not in consumed]
    return combined + singles
