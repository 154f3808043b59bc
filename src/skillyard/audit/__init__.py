"""Security audit of skills: fail-closed inventory, content analyzers, capability x threat
correlation, trust tiers and policy, SARIF and markdown reports, an optional LLM judge.

``audit(skill)`` audits one Skill; ``Library.audit()`` audits a library with cached verdicts.
"""

from __future__ import annotations

from pathlib import Path

from ..skill import Skill
from .batch import Auditor, location_of
from .inventory import BlobReader
from .model import CATEGORIES, SEVERITIES, AuditError, AuditResult, Finding
from .policy import Policy, PolicyError, load_policy
from .report import summary, to_markdown
from .rules import load_rules
from .sarif import to_sarif
from .tiers import TIERS

__all__ = [
    "CATEGORIES", "SEVERITIES", "TIERS", "AuditError", "AuditResult", "Auditor", "Finding",
    "Policy", "PolicyError", "audit", "load_policy", "load_rules", "summary", "to_markdown",
    "to_sarif",
]


def audit(skill: Skill, *, policy: Policy | str | Path | None = None, judge: object = None,
          read_blob: BlobReader | None = None) -> AuditResult:
    """Audit one skill. ``policy`` is a Policy or a TOML file path; ``judge`` an audit Judge."""
    rules = load_rules()
    if not isinstance(policy, Policy):
        policy = load_policy(policy, rules)
    auditor = Auditor(policy=policy, rules=rules, judge=judge, read_blob=read_blob)
    return auditor.run([(skill, location_of(skill))])[0]
