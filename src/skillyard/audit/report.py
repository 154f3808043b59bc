"""Human reports: a markdown report (for pull requests and issues) and the summary counts."""

from __future__ import annotations

from collections import Counter

from .model import CATEGORIES, AuditResult, severity_rank
from .tiers import TIERS

SHOWN_MIN = "low"  # findings below this are counted but not listed in reports


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary(results: list[AuditResult]) -> dict[str, int]:
    counts = Counter(r.verdict for r in results)
    return {"skills": len(results), "allow": counts["allow"], "warn": counts["warn"],
            "block": counts["block"]}


def to_markdown(results: list[AuditResult]) -> str:
    totals = summary(results)
    lines = [
        "# skillyard audit",
        "",
        f"{totals['skills']} skill(s): **{totals['block']} blocked**, {totals['warn']} warned, "
        f"{totals['allow']} allowed.",
        "",
        "| skill | verdict | tier | findings |",
        "|---|---|---|---|",
    ]
    for r in results:
        shown = [f for f in r.findings if severity_rank(f.severity) >= severity_rank(SHOWN_MIN)]
        lines.append(f"| {_cell(r.name)} | {r.verdict} | {r.tier} | {len(shown)} |")
    for r in results:
        shown = [f for f in r.findings if severity_rank(f.severity) >= severity_rank(SHOWN_MIN)]
        if not shown:
            continue
        lines += ["", f"## {_cell(r.name)} — {r.verdict}", "",
                  f"`{r.skill}` · tier {r.tier}: {TIERS[r.tier]} · digest `{r.digest[:16]}`", "",
                  "| severity | rule | category | where | evidence | why | fix |",
                  "|---|---|---|---|---|---|---|"]
        for f in shown:
            where = f.file + (f":{f.line}" if f.line else "")
            lines.append(
                f"| {f.severity} | `{f.rule}` | {f.category} "
                f"({_cell(CATEGORIES.get(f.category, ''))}) | {_cell(where)} | "
                f"{_cell(f.evidence)} | {_cell(f.to_dict()['why'])} | {_cell(f.fix)} |")
    return "\n".join(lines) + "\n"
