"""The policy gate: the auditor's verdict and trust tier for each skill, failing closed.

``serve`` and ``install`` ask the gate before they hand a skill to an agent. The gate only uses
the auditor's public API (``skillyard.audit``: ``Auditor``, ``load_policy``, ``load_rules`` and
``Library.audit``); it never computes a verdict or a tier itself. When the auditor cannot run
(missing, crashing), nothing is served or installed (``AuditUnavailableError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FindingError, SkillyardError
from ..skill import Skill

if TYPE_CHECKING:
    from ..library.protocol import SkillLibrary

TIER_NAMES = {0: "metadata only", 1: "instructions", 2: "scripts with approval", 3: "trusted"}


class AuditUnavailableError(SkillyardError):
    """The auditor cannot run, so no skill may be served or installed (fail closed)."""


class PolicyRefusal(FindingError):
    """A skill the policy blocks, or whose tier is too low for what was asked."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy allows for one skill digest."""

    skill_id: str
    digest: str
    verdict: str  # allow | warn | block
    tier: int
    findings: int = 0
    top_findings: tuple[str, ...] = ()
    signer: dict[str, str] | None = None  # a verified signature's identity and fingerprint

    @property
    def blocked(self) -> bool:
        return self.verdict == "block"

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "tier": self.tier, "findings": self.findings,
                "digest": self.digest}


def _audit_api() -> Any:
    try:
        from .. import audit as audit_pkg
    except ImportError as exc:  # the auditor package is missing or broken
        raise AuditUnavailableError(
            f"the auditor (skillyard.audit) cannot be loaded ({exc}); refusing to serve or "
            "install unaudited skills"
        ) from None
    for needed in ("Auditor", "load_policy", "load_rules"):
        if not hasattr(audit_pkg, needed):
            raise AuditUnavailableError(
                f"the auditor (skillyard.audit) has no {needed}; refusing to serve or install "
                "unaudited skills"
            )
    return audit_pkg


def _decision(result: Any, skill: Skill | None = None) -> Decision:
    verdict = str(getattr(result, "verdict", "block"))
    if verdict not in ("allow", "warn", "block"):
        verdict = "block"  # an answer we do not understand is not an allow
    tier = int(getattr(result, "tier", 0))
    tier = 0 if verdict == "block" else max(0, min(tier, 3))
    findings = list(getattr(result, "findings", []) or [])
    top = tuple(f"{f.rule} ({f.severity}) in {f.file}" for f in findings[:3])
    return Decision(
        skill_id=skill.id if skill is not None else str(result.skill),
        digest=skill.digest if skill is not None else str(result.digest),
        verdict=verdict, tier=tier, findings=len(findings), top_findings=top,
        signer=getattr(result, "signer", None),
    )


class Gate:
    """Audits skills under one policy and remembers decisions by (id, digest)."""

    def __init__(self, library: SkillLibrary | None = None,
                 policy: str | Path | None = None, *,
                 accepted: Callable[[str, str], set[tuple[str, str]]] | None = None) -> None:
        """``accepted(skill_id, digest)`` gives the (rule, file) findings an admin accepted
        for that content (a registry's appeals): they are left out of the verdict, as the
        registry leaves them out at publish. Fail-closed findings are never left out."""
        self.accepted = accepted
        self._api = _audit_api()
        self.library = library
        self.policy_path = str(policy) if policy is not None else None
        self.rules = self._api.load_rules()
        self.policy = self._api.load_policy(policy, self.rules)  # PolicyError on a bad file
        self._cache: dict[tuple[str, str], Decision] = {}

    def _guard(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except SkillyardError:
            raise
        except Exception as exc:  # an auditor crash must not let a skill through
            raise AuditUnavailableError(
                f"the auditor failed on {what} ({exc.__class__.__name__}: {exc}); refusing"
            ) from exc

    def decide_many(self, skills: Iterable[Skill]) -> dict[str, Decision]:
        """Audit skills together (so chains across them are seen); id -> decision."""
        todo = [s for s in skills if (s.id, s.digest) not in self._cache]
        if todo:
            read_blob = self.library.store.read_blob if self.library is not None else None
            auditor = self._api.Auditor(policy=self.policy, rules=self.rules,
                                        read_blob=read_blob)
            results = self._guard(f"{len(todo)} skill(s)",
                                  lambda: auditor.run([(s, "") for s in todo]))
            if len(results) != len(todo):
                raise AuditUnavailableError("the auditor returned an incomplete answer; refusing")
            for skill, result in zip(todo, results, strict=True):
                self._cache[(skill.id, skill.digest)] = self._accepting(result, skill)
        return {s.id: self._cache[(s.id, s.digest)] for s in skills}

    def _accepting(self, result: Any, skill: Skill | None = None) -> Decision:
        """The decision for an audit result, with accepted findings left out."""
        decision = _decision(result, skill)
        if self.accepted is None or not decision.findings:
            return decision
        accepted = self.accepted(decision.skill_id, decision.digest)
        findings = list(getattr(result, "findings", []) or [])
        kept = [f for f in findings
                if f.fail_closed or (f.rule, f.file) not in accepted]
        if len(kept) == len(findings):
            return decision
        from .tiers import tier_for

        if skill is None and self.library is not None:
            skill = self.library.store.get(decision.skill_id)
        if skill is None:
            return decision
        verdict = self.policy.verdict(kept)
        tier = tier_for(verdict, self.policy.ceiling(skill))
        return replace(decision, verdict=verdict, tier=0 if verdict == "block" else tier,
                       findings=len(kept),
                       top_findings=tuple(f"{f.rule} ({f.severity}) in {f.file}"
                                          for f in kept[:3]))

    def decide(self, skill: Skill) -> Decision:
        return self.decide_many([skill])[skill.id]

    def decide_library(self, progress: Callable[[int], None] | None = None
                       ) -> dict[str, Decision]:
        """Audit the whole library (cached per digest in the library); id -> decision."""
        if self.library is None:
            raise AuditUnavailableError("no library to audit")
        library = self.library
        count = 0

        def tick(_skill: Skill) -> None:
            nonlocal count
            count += 1
            if progress is not None:
                progress(count)

        results = self._guard(
            "the library", lambda: library.audit(policy=self.policy, progress=tick))
        out: dict[str, Decision] = {}
        for result in results:
            decision = self._accepting(result)
            self._cache[(decision.skill_id, decision.digest)] = decision
            out[decision.skill_id] = decision
        return out
