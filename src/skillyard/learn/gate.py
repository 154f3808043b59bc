"""The gate: a learned or changed skill is published only if it passes the audit and, when
evaluation tasks are configured, does not lose to the previous version (or to no skill).

The auditor (``skillyard.audit.audit``) and the evaluator (``skillyard.evaluate``) are found at
run time through their public functions. The gate **fails closed**: when the auditor is
missing or raises, or evaluation tasks are configured but evaluation cannot run, the candidate
is rejected with that reason and kept as a rejected candidate, never published.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..skill import Skill
from .privacy import PrivateValues

VERDICT_RANK = {"allow": 0, "warn": 1, "block": 2}


@dataclass(frozen=True)
class GatePolicy:
    fail_on: str = "block"  # reject at this verdict or worse: "block" or "warn"
    min_tier: int = 1  # lowest trust tier a published skill may get (0-3)
    tasks: Path | None = None  # evaluation tasks; None skips the evaluation step
    trials: int = 1
    runner: str | None = None  # evaluation runner spec, passed to the evaluator

    def __post_init__(self) -> None:
        if self.fail_on not in ("block", "warn"):
            raise ValueError("fail_on must be 'block' or 'warn'")


@dataclass
class Evaluation:
    """A paired comparison of the candidate with its baseline on the same tasks."""

    baseline: str  # "previous version" or "no skill"
    tasks: int
    candidate_passed: int
    baseline_passed: int
    helped: int  # tasks the candidate passed and the baseline failed
    hurt: int  # tasks the baseline passed and the candidate failed
    p_value: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def loses(self) -> bool:
        return self.hurt > self.helped or self.candidate_passed < self.baseline_passed

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline, "tasks": self.tasks,
                "candidate_passed": self.candidate_passed,
                "baseline_passed": self.baseline_passed, "helped": self.helped,
                "hurt": self.hurt, "p_value": self.p_value, **self.detail}


@dataclass
class GateReport:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    audit: dict[str, Any] | None = None
    evaluation: dict[str, Any] | None = None
    privacy: list[dict[str, Any]] = field(default_factory=list)  # private-value findings

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reasons": self.reasons, "audit": self.audit,
                "evaluation": self.evaluation, "privacy": self.privacy}


Auditor = Callable[[Skill], Any]
Evaluator = Callable[[Skill, Skill | None, GatePolicy], Evaluation]


def find_auditor() -> Auditor | None:
    """``skillyard.audit.audit`` when that package provides it, else None."""
    try:
        module = importlib.import_module("skillyard.audit")
    except ImportError:
        return None
    function = getattr(module, "audit", None)
    return function if callable(function) else None


def find_evaluator(library: Any = None) -> Evaluator | None:
    """The paired-evaluation adapter when ``skillyard.evaluate`` can run one, else None.
    With a library, evaluation runs are stored in it (``skillyard eval report`` reads them)."""
    from .evalbridge import paired_evaluator

    return paired_evaluator(library)


def _field(result: Any, name: str) -> Any:
    if isinstance(result, dict):
        return result.get(name)
    return getattr(result, name, None)


def _audit_summary(result: Any) -> dict[str, Any]:
    findings = _field(result, "findings") or []
    listed = []
    for finding in findings[:20]:
        listed.append({k: _field(finding, k) for k in ("rule", "category", "severity", "file",
                                                       "line", "why")})
    return {"verdict": _field(result, "verdict"), "tier": _field(result, "tier"),
            "findings": listed, "finding_count": len(findings)}


class Gate:
    """Decides whether a candidate may be published."""

    def __init__(self, policy: GatePolicy | None = None, *, library: Any = None,
                 auditor: Auditor | None | str = "find",
                 evaluator: Evaluator | None | str = "find") -> None:
        self.policy = policy or GatePolicy()
        if auditor == "find":
            auditor = find_auditor()
            if auditor is not None and library is not None and \
                    "read_blob" in inspect.signature(auditor).parameters:
                auditor = functools.partial(auditor, read_blob=library.store.read_blob)
        self.auditor = auditor
        self.evaluator = find_evaluator(library) if evaluator == "find" else evaluator
        # private values of the runs being learned from (set by the learner after scrubbing)
        self.private: PrivateValues | None = None

    def check(self, candidate: Skill, previous: Skill | None,
              files: dict[str, str] | None = None) -> GateReport:
        """Audit (and evaluate) ``candidate``; with ``files`` (its text files), also check
        that no private value of the runs reached it."""
        report = GateReport(passed=True)
        self._audit(candidate, report)
        self._privacy(candidate, files, report)
        if report.passed and self.policy.tasks is not None:
            self._evaluate(candidate, previous, report)
        return report

    def _reject(self, report: GateReport, reason: str) -> None:
        report.passed = False
        report.reasons.append(reason)

    def _privacy(self, candidate: Skill, files: dict[str, str] | None,
                 report: GateReport) -> None:
        if self.private is None or not len(self.private):
            return
        texts = files if files is not None else {"SKILL.md": candidate.skill_md}
        leaks = sorted({(path, kind, masked) for path, text in texts.items()
                        for kind, masked in self.private.found_in(text)})
        report.privacy = [{"rule": "private-value", "file": path, "type": kind,
                           "value": masked} for path, kind, masked in leaks]
        if leaks:
            kinds = ", ".join(sorted({kind for _p, kind, _m in leaks}))
            self._reject(report, f"private data: {len(leaks)} value(s) from the runs' data "
                                 f"remain in the skill ({kinds}); not published")

    def _audit(self, candidate: Skill, report: GateReport) -> None:
        if not callable(self.auditor):
            self._reject(report, "the auditor (skillyard.audit.audit) is not available, so the "
                                 "candidate cannot be audited; not published (fail closed)")
            return
        try:
            result = self.auditor(candidate)
        except Exception as exc:  # noqa: BLE001 - any audit failure must block publication
            self._reject(report, f"the audit failed ({type(exc).__name__}: {exc}); not "
                                 "published (fail closed)")
            return
        report.audit = _audit_summary(result)
        verdict = report.audit["verdict"]
        if verdict not in VERDICT_RANK:
            self._reject(report, f"the audit returned no usable verdict ({verdict!r}); not "
                                 "published (fail closed)")
            return
        if VERDICT_RANK[verdict] >= VERDICT_RANK[self.policy.fail_on]:
            rules = ", ".join(sorted({str(f["rule"]) for f in report.audit["findings"]
                                      if f.get("rule")})[:5])
            self._reject(report, f"audit verdict {verdict}" + (f" ({rules})" if rules else ""))
        tier = report.audit["tier"]
        if isinstance(tier, int) and tier < self.policy.min_tier:
            self._reject(report, f"audit trust tier {tier} is below the required "
                                 f"{self.policy.min_tier}")

    def _evaluate(self, candidate: Skill, previous: Skill | None, report: GateReport) -> None:
        if not callable(self.evaluator):
            self._reject(report, "evaluation tasks are configured but paired evaluation "
                                 "(skillyard.evaluate) is not available; not published "
                                 "(fail closed)")
            return
        try:
            outcome = self.evaluator(candidate, previous, self.policy)
        except Exception as exc:  # noqa: BLE001 - an evaluation that cannot run must block
            self._reject(report, f"the paired evaluation failed ({type(exc).__name__}: {exc}); "
                                 "not published (fail closed)")
            return
        report.evaluation = outcome.to_dict()
        if outcome.loses:
            self._reject(report, f"lost to {outcome.baseline} in a paired evaluation: passed "
                                 f"{outcome.candidate_passed}/{outcome.tasks} vs "
                                 f"{outcome.baseline_passed}/{outcome.tasks} (helped "
                                 f"{outcome.helped}, hurt {outcome.hurt})")
