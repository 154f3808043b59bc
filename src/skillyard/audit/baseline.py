"""Audit baselines: accepted findings, by a stable fingerprint, that ``audit --baseline FILE``
leaves out so only new findings fail (``audit --write-baseline FILE`` records the current ones).

A fingerprint is sha256 over the skill name, the rule, the file and the whitespace-normalised
evidence. Line numbers (also "(line N)" and "(file:N)" inside combined evidence) are left
out, so edits above a finding do not make it new. A fail-closed
finding (content that could not be analysed, a bad signature) is never accepted.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from .model import AuditError, AuditResult, Finding
from .policy import Policy

VERSION = 1


_LINE_REF = re.compile(r"\((?:line \d+|[^()\s]+:\d+)\)")


def fingerprint(skill_name: str, finding: Finding) -> str:
    evidence = " ".join(_LINE_REF.sub("", finding.evidence).split())
    blob = "\0".join((skill_name, finding.rule, finding.file, evidence))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def write_baseline(results: list[AuditResult], path: str | Path) -> int:
    """Record every acceptable finding of ``results``; return how many."""
    entries = {}
    for result in results:
        for finding in result.findings:
            if finding.fail_closed:
                continue
            key = fingerprint(result.name, finding)
            entries[key] = {"fingerprint": key, "skill": result.name, "rule": finding.rule,
                            "file": finding.file, "evidence": finding.evidence[:200]}
    data = {"skillyard-audit-baseline": VERSION,
            "findings": [entries[k] for k in sorted(entries)]}
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    return len(entries)


def read_baseline(path: str | Path) -> frozenset[str]:
    try:
        data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuditError(f"{path}: no such baseline file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise AuditError(f"{path}: not a readable baseline ({exc})") from None
    if not isinstance(data, dict) or data.get("skillyard-audit-baseline") != VERSION or \
            not isinstance(data.get("findings"), list):
        raise AuditError(f"{path}: not a skillyard audit baseline (version {VERSION})")
    keys = [e.get("fingerprint") for e in data["findings"] if isinstance(e, dict)]
    return frozenset(k for k in keys if isinstance(k, str))


def apply_baseline(results: list[AuditResult], accepted: frozenset[str],
                   policy: Policy) -> tuple[list[AuditResult], int]:
    """Drop accepted findings and re-derive each verdict from the rest; (results, dropped).
    The tier is the full audit's; the baseline changes the verdict and the exit code."""
    out, dropped = [], 0
    for result in results:
        kept = [f for f in result.findings
                if f.fail_closed or fingerprint(result.name, f) not in accepted]
        dropped += len(result.findings) - len(kept)
        if len(kept) != len(result.findings):
            result = replace(result, findings=kept, verdict=policy.verdict(kept))  # type: ignore[arg-type]
        out.append(result)
    return out, dropped
