"""The audit's values: severities, raw hits, findings and the per-skill result.

Analyzers emit ``Hit``s (a rule id, where, and evidence). The engine turns hits into
``Finding``s using the rule catalog (category, severity, why, fix), correlates capability and
threat hits, applies the policy and derives one verdict per skill.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from ..errors import SkillyardError

SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
VERDICTS: tuple[str, ...] = ("allow", "warn", "block")
Verdict = Literal["allow", "warn", "block"]
Signal = Literal["capability", "threat", "direct"]

# Taxonomy codes used as finding categories (the studies' P/E/PE/SC classes plus our own).
CATEGORIES: dict[str, str] = {
    "P1": "prompt injection: instruction override",
    "P2": "prompt injection: hidden instructions",
    "P3": "prompt injection: context leakage / exfiltration",
    "P4": "prompt injection: behaviour manipulation",
    "E1": "data exfiltration: external transmission",
    "E2": "data exfiltration: credential harvesting",
    "E3": "data exfiltration: file-system enumeration",
    "E4": "data exfiltration: network reconnaissance",
    "PE1": "privilege escalation: excessive permissions",
    "PE2": "privilege escalation: escalation",
    "PE3": "privilege escalation: credential-file access",
    "SC1": "supply chain: command injection",
    "SC2": "supply chain: remote script execution",
    "SC3": "supply chain: obfuscated code",
    "FC": "fail-closed: content that cannot be analysed",
    "CI": "consistency: declared intent differs from behaviour",
    "SEC": "exposed secret",
    "D1": "destructive action on the user's home or system",
    "VULN": "vulnerable code: untrusted input reaches eval, SQL, a shell or a path",
    "CAP": "capability (what the skill can do)",
    "SIG": "provenance: the skill's signature",
}


class AuditError(SkillyardError):
    """The audit could not run as asked (bad rule file, bad policy, bad option)."""


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def max_severity(a: str, b: str) -> str:
    return a if severity_rank(a) >= severity_rank(b) else b


@dataclass(frozen=True, slots=True)
class Hit:
    """One raw rule match, before correlation and policy."""

    rule: str
    file: str
    line: int | None
    evidence: str
    flow: str = ""  # hits in the same flow are correlated (a code block, a script, a paragraph)
    detail: str = ""  # appended to the rule's explanation
    skill_scope: bool = False  # correlate with every flow of the skill, not just its own
    severity: str = ""  # overrides the rule's severity (e.g. a quoted example)
    inert: bool = False  # reported but never correlated (quoted text, trusted host)
    trace: tuple[tuple[str, int, str], ...] = ()  # data flow: (file, line, step) source -> sink


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    category: str
    severity: str
    file: str
    line: int | None
    evidence: str
    why: str
    fix: str
    fail_closed: bool = False
    signal: str = "direct"
    tag: str = ""
    flow: str = ""
    note: str = ""  # what changed it after the analyzers (policy, judge)
    trace: tuple[tuple[str, int, str], ...] = ()  # data flow: (file, line, step) source -> sink

    def to_dict(self) -> dict[str, Any]:
        """The public shape: exactly the eight documented keys."""
        return {
            "rule": self.rule, "category": self.category, "severity": self.severity,
            "file": self.file, "line": self.line, "evidence": self.evidence,
            "why": self.why + (f" ({self.note})" if self.note else ""), "fix": self.fix,
        }

    def to_record(self) -> dict[str, Any]:
        """Everything, for the verdict cache."""
        return {
            **self.to_dict(), "why": self.why, "fail_closed": self.fail_closed,
            "signal": self.signal, "tag": self.tag, "flow": self.flow, "note": self.note,
            "trace": [list(step) for step in self.trace],
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Finding:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["trace"] = tuple(tuple(step) for step in values.get("trace", ()))
        return cls(**values)

    def with_severity(self, severity: str, note: str = "") -> Finding:
        return replace(self, severity=severity, note=note or self.note)


@dataclass
class AuditResult:
    """The audit of one skill: verdict, trust tier and every finding."""

    skill: str
    name: str
    digest: str
    verdict: Verdict
    tier: int
    findings: list[Finding]
    rules_digest: str = ""
    effects: dict[str, list[str]] = field(default_factory=dict)
    location: str = ""  # folder on disk (for SARIF paths), when there is one
    cached: bool = False
    signer: dict[str, str] | None = None  # the verified signer (provenance.SignatureCheck)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "skill": self.skill, "digest": self.digest, "verdict": self.verdict,
            "tier": self.tier, "findings": [f.to_dict() for f in self.findings],
        }
        if self.signer is not None:
            out["signer"] = self.signer
        return out

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            out[finding.severity] += 1
        return out


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (-severity_rank(f.severity), f.file, f.line or 0, f.rule, f.evidence),
    )


def clip(text: str, limit: int = 160) -> str:
    """Evidence as one short printable line (control and invisible characters made visible)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\r\t":
            out.append(" ")
        elif code < 32 or 0x7F <= code < 0xA0 or _invisible(code):
            out.append(f"<U+{code:04X}>")
        else:
            out.append(ch)
    flat = " ".join("".join(out).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _invisible(code: int) -> bool:
    return (
        0x200B <= code <= 0x200F or 0x202A <= code <= 0x202E or 0x2060 <= code <= 0x2069
        or code == 0xFEFF or 0xE0000 <= code <= 0xE007F or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF or code == 0x00AD
    )
