"""SARIF 2.1.0 output that GitHub code scanning accepts: one run, every rule that fired in
``tool.driver.rules`` (with ``security-severity``), relative artifact URIs, 1-based regions and
stable fingerprints."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from .._version import __version__
from .model import CATEGORIES, AuditResult, Finding
from .rules import load_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
         "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0",
                     "info": "1.0"}


def _uri(result: AuditResult, finding: Finding) -> str:
    file = finding.file.split("!", 1)[0]  # an archive member is reported on its archive
    if result.location:
        full = Path(result.location) / file
        try:
            rel = os.path.relpath(full, Path.cwd())
        except ValueError:
            rel = str(full)
        if not rel.startswith(".."):
            return Path(rel).as_posix()
        return full.resolve().as_uri()
    safe = result.skill.replace(":", "_").replace("@", "_").strip("/")
    return f"{safe}/{file}"


def _rule_entry(finding: Finding) -> dict[str, Any]:
    rules = load_rules()
    rule = rules.rules.get(finding.rule)
    name = finding.rule.replace("-", " ")
    text = rule.why if rule else finding.why
    return {
        "id": finding.rule,
        "name": "".join(w.capitalize() for w in finding.rule.split("-")),
        "shortDescription": {"text": name},
        "fullDescription": {"text": text or name},
        "help": {"text": finding.fix or "see the finding", "markdown": finding.fix or "-"},
        "defaultConfiguration": {"level": LEVEL[finding.severity]},
        "properties": {
            "tags": ["security", finding.category, CATEGORIES.get(finding.category, "")],
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "precision": "high" if finding.fail_closed else "medium",
        },
    }


def _code_flows(result: AuditResult, finding: Finding) -> list[dict[str, Any]]:
    """A data-flow finding's trace (source -> steps -> sink) as one SARIF thread flow."""
    steps = []
    for file, line, text in finding.trace:
        step = Finding(finding.rule, finding.category, finding.severity, file, line, "", "", "")
        steps.append({"location": {
            "physicalLocation": {"artifactLocation": {"uri": _uri(result, step)},
                                 "region": {"startLine": max(int(line or 1), 1)}},
            "message": {"text": text}}})
    return [{"threadFlows": [{"locations": steps}]}] if steps else []


def to_sarif(results: list[AuditResult]) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    sarif_results = []
    for result in results:
        for finding in result.findings:
            if finding.rule not in rules:
                rules[finding.rule] = _rule_entry(finding)
                order.append(finding.rule)
            uri = _uri(result, finding)
            fingerprint = hashlib.sha256(
                f"{result.skill}\0{finding.rule}\0{finding.file}\0{finding.evidence}"
                .encode("utf-8", "surrogatepass")  # a name the OS could not decode
            ).hexdigest()
            entry: dict[str, Any] = {
                "ruleId": finding.rule,
                "ruleIndex": order.index(finding.rule),
                "level": LEVEL[finding.severity],
                "message": {"text": f"{finding.why}. Evidence: {finding.evidence}. "
                            f"Fix: {finding.fix}. Skill {result.skill}: {result.verdict}."},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": max(finding.line or 1, 1)},
                }}],
                "partialFingerprints": {"skillyardFinding/v1": fingerprint},
                "properties": {"skill": result.skill, "verdict": result.verdict,
                               "tier": result.tier, "category": finding.category,
                               "severity": finding.severity},
            }
            flows = _code_flows(result, finding)
            if flows:
                entry["codeFlows"] = flows
            sarif_results.append(entry)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "skillyard-audit", "version": __version__,
                "informationUri": "https://agentskills.io",
                "rules": [rules[r] for r in order],
            }},
            "results": sarif_results,
        }],
    }
