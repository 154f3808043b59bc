"""Audit many skills together: per-skill analysis (cached by digest when a verdict store is
given), then the cross-skill combination graph, then policy, verdicts, tiers and the judge."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..skill import SKILL_FILE, Skill
from ..sources import open_source
from .combine import to_finding
from .engine import analyze, decide, rules_digest
from .graph import Effects, chain_hits, chain_index
from .inventory import BlobReader
from .model import AuditResult, Finding, Hit
from .policy import Policy
from .provenance import check_for_policy
from .rules import RuleSet, load_rules
from .store import VerdictStore


@dataclass
class _Item:
    skill: Skill
    findings: list[Finding]
    effects: Effects
    unseen_scripts: int
    location: str = ""
    cached: bool = False


@dataclass
class Auditor:
    """Settings for one audit run."""

    policy: Policy = field(default_factory=Policy)
    rules: RuleSet = field(default_factory=load_rules)
    judge: object | None = None  # a judge.Judge; typed loosely to keep the LLM import lazy
    read_blob: BlobReader | None = None
    cache: VerdictStore | None = None
    force: bool = False

    def _analyse(self, skill: Skill, location: str) -> _Item:
        if self.cache is not None and not self.force:
            hit = self.cache.get(skill.digest, self.rules.digest)
            if hit is not None:
                findings, effects, unseen = hit
                return _Item(skill, findings, effects, unseen, location, cached=True)
        try:
            analysis = analyze(skill, rules=self.rules, read_blob=self.read_blob)
        except Exception as exc:  # noqa: BLE001 - one skill's failure never stops a batch
            finding = to_finding(Hit("analyzer-failed", SKILL_FILE, None,
                                     f"audit: {type(exc).__name__}: {exc}"[:300],
                                     flow=skill.id), self.rules)
            return _Item(skill, [finding], Effects({}, {}), 0, location)
        if self.cache is not None:
            _kept, verdict, _tier = decide(skill, analysis.findings, self.policy,
                                           unseen_scripts=analysis.unseen_scripts,
                                           read_blob=self.read_blob)
            self.cache.put(skill.digest, self.rules.digest, verdict, analysis.findings,
                           analysis.effects, analysis.unseen_scripts)
        return _Item(skill, analysis.findings, analysis.effects, analysis.unseen_scripts,
                     location)

    def run_paths(self, paths: list[str],
                  progress: Callable[[Skill], None] | None = None) -> list[AuditResult]:
        """Audit everything at PATHs (folders, trees, SKILL.md files, corpora, git URLs).
        A skill that cannot be loaded is a blocked result, never skipped."""
        failures: list[AuditResult] = []
        results = self.run(self._load(paths, failures), progress)
        return failures + results

    def _load(self, paths: list[str], failures: list[AuditResult]) -> Iterator[tuple[Skill, str]]:
        for spec in paths:
            target = Path(spec)
            if target.is_file() and target.name == SKILL_FILE:
                spec = str(target.parent)
            found = False
            for result in open_source(spec):
                found = True
                if result.skill is None:
                    failures.append(self.unloadable(result.where, result.error or "cannot be "
                                                    "loaded"))
                elif result.shadowed_by is None:
                    yield result.skill, location_of(result.skill)
            if not found:
                failures.append(self.unloadable(spec, "no SKILL.md found"))

    def unloadable(self, where: str, reason: str) -> AuditResult:
        finding = to_finding(Hit("unloadable", SKILL_FILE, None, reason, flow=where), self.rules)
        return AuditResult(skill=where, name=Path(where).name or where, digest="",
                           verdict="block", tier=0, findings=[finding], location=where)

    def run(self, skills: Iterable[tuple[Skill, str]],
            progress: Callable[[Skill], None] | None = None) -> list[AuditResult]:
        """Audit (skill, location) pairs; chains are looked for across all of them."""
        items = []
        for skill, location in skills:
            items.append(self._analyse(skill, location))
            if progress is not None:
                progress(skill)
        effects = {item.skill.id: item.effects for item in items
                   if item.effects.collects or item.effects.sends}
        index = chain_index(effects)
        digest = rules_digest(self.rules, self.policy)
        results = []
        for item in items:
            findings = list(item.findings)
            if item.skill.id in effects:
                findings += [to_finding(h, self.rules) for h in chain_hits(item.skill.id,
                                                                            effects, index)]
            if self.judge is not None:
                findings = self.judge.review(item.skill, findings, self.policy,  # type: ignore[attr-defined]
                                             read_blob=self.read_blob)
            kept, verdict, tier = decide(item.skill, findings, self.policy,
                                         unseen_scripts=item.unseen_scripts,
                                         read_blob=self.read_blob)
            if self.cache is not None:
                self.cache.record(item.skill.id, item.skill.digest, digest, verdict, tier)
            results.append(AuditResult(
                skill=item.skill.id, name=item.skill.name, digest=item.skill.digest,
                verdict=verdict, tier=tier, findings=kept,  # type: ignore[arg-type]
                rules_digest=digest, effects=item.effects.to_dict(), location=item.location,
                cached=item.cached,
                signer=check_for_policy(item.skill, self.policy, self.read_blob).signer(),
            ))
        return results


def location_of(skill: Skill) -> str:
    """The folder a skill was loaded from (for report paths), or '' when not on disk."""
    prov = skill.provenance
    if prov.kind in ("folder", "agents"):
        return str(Path(prov.source) / prov.path) if prov.path else prov.source
    return ""


def audit_store(store, skill_ids: list[str] | None = None, *,  # noqa: ANN001 - a Store
                policy: Policy | None = None, judge: object | None = None, force: bool = False,
                progress: Callable[[Skill], None] | None = None) -> list[AuditResult]:
    """Audit library skills (all, or the given ids), caching analyses and recording verdicts."""
    auditor = Auditor(policy=policy or Policy(), judge=judge, read_blob=store.read_blob,
                      cache=VerdictStore(store), force=force)
    skills = (store.iter_skills() if skill_ids is None
              else (store.get(skill_id) for skill_id in skill_ids))
    return auditor.run(((s, "") for s in skills), progress)
