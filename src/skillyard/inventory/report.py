"""Inventory reports: SARIF (skill findings plus MCP risk notes and problems) and one
self-contained HTML page a person reads (no scripts, no external files)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from .._version import __version__
from ..audit import to_sarif
from .scan import Inventory

LEVEL = {"high": "error", "medium": "warning", "low": "note"}
_RULE_TEXT = {
    "mcp-unpinned-package": "An MCP server runs a package without an exact version.",
    "mcp-inline-secret": "A credential is written into an MCP configuration.",
    "mcp-plain-http": "A remote MCP server is reached over plain HTTP.",
    "mcp-world-writable": "What an MCP server runs can be rewritten by any user.",
    "mcp-config-error": "An MCP configuration file could not be read.",
    "symlink-escape": "A link in an agent's skill folder leaves its home or project.",
    "unreadable": "A folder could not be listed.",
}


def _uri(path: str) -> str:
    return Path(path).as_uri() if Path(path).is_absolute() else path


def to_sarif_inventory(inventory: Inventory) -> dict[str, Any]:
    """SARIF 2.1.0: the skills' audit as one run, MCP risks and problems as a second run."""
    sarif = to_sarif([s.result for s in inventory.skills])
    results = []
    used: list[str] = []

    def add(rule: str, level: str, text: str, path: str) -> None:
        if rule not in used:
            used.append(rule)
        fingerprint = hashlib.sha256(  # surrogatepass: a name the OS could not decode
            f"{rule}\0{path}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()
        results.append({"ruleId": rule, "ruleIndex": used.index(rule), "level": level,
                        "message": {"text": text},
                        "locations": [{"physicalLocation": {
                            "artifactLocation": {"uri": _uri(path)},
                            "region": {"startLine": 1}}}],
                        "partialFingerprints": {"skillyardInventory/v1": fingerprint}})

    for server in inventory.servers:
        for risk in server.risks:
            add(risk["rule"], LEVEL.get(risk["severity"], "warning"),
                f"MCP server {server.name} ({server.client}): {risk['message']}. Evidence: "
                f"{risk['evidence']}", server.config)
    for problem in inventory.problems:
        add(problem.rule, "error" if problem.rule == "symlink-escape" else "warning",
            problem.message, problem.path)
    sarif["runs"].append({
        "tool": {"driver": {
            "name": "skillyard-inventory", "version": __version__,
            "rules": [{"id": r, "shortDescription": {"text": _RULE_TEXT.get(r, r)}}
                      for r in used]}},
        "results": results})
    return sarif


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d1d1f;max-width:78rem}
h1{margin-bottom:.2rem} .meta{color:#555;margin-top:0}
.counts{display:flex;gap:1rem;flex-wrap:wrap;margin:1.2rem 0}
.count{border-radius:.5rem;padding:.7rem 1.1rem;min-width:7rem;background:#f2f2f5}
.count b{display:block;font-size:1.7rem}
.block{background:#fde2e1}.warn{background:#fff1cc}.allow{background:#dff5e3}
table{border-collapse:collapse;width:100%;margin-bottom:2rem;font-size:.92rem}
th,td{text-align:left;border-bottom:1px solid #ddd;padding:.35rem .5rem;vertical-align:top}
th{background:#fafafa} code{font-size:.85rem;word-break:break-all}
.v-block{color:#b3261e;font-weight:600}.v-warn{color:#8a5a00;font-weight:600}
.v-allow{color:#1e7d32} details{margin:.15rem 0} .sev-high,.sev-critical{color:#b3261e}
"""


def _open(severity: str) -> str:
    """High and critical findings are shown unfolded."""
    return " open" if severity in ("high", "critical") else ""


def _count(label: str, value: int, cls: str = "") -> str:
    return f'<div class="count {cls}"><b>{value}</b>{escape(label)}</div>'


def _skill_rows(inventory: Inventory) -> str:
    order = {"block": 0, "warn": 1, "allow": 2}
    rows = []
    for record in sorted(inventory.skills, key=lambda r: (order.get(r.result.verdict, 3),
                                                          r.agent, r.result.name)):
        result = record.result
        details = "".join(
            f'<details{_open(f.severity)}><summary class="sev-{escape(f.severity)}">'
            f'{escape(f.severity)}: '
            f"{escape(f.rule)} in {escape(f.file)}"
            f"{':' + str(f.line) if f.line else ''}</summary><p>{escape(f.why)}</p>"
            f"<p>Evidence: <code>{escape(f.evidence)}</code></p>"
            f"<p>Fix: {escape(f.fix)}</p></details>" for f in result.findings) or "none"
        rows.append(
            f"<tr><td>{escape(result.name)}</td><td>{escape(record.agent)}</td>"
            f"<td>{escape(record.scope)}</td>"
            f'<td class="v-{escape(result.verdict)}">{escape(result.verdict)}</td>'
            f"<td>{result.tier}</td><td><code>{escape(record.path)}</code></td>"
            f"<td>{details}</td></tr>")
    return "".join(rows)


def _server_rows(inventory: Inventory) -> str:
    rows = []
    for server in sorted(inventory.servers, key=lambda s: (not s.risks, s.client, s.name)):
        what = server.runs()
        risks = "".join(
            f'<details{_open(r["severity"])}><summary class="sev-{escape(r["severity"])}">'
            f'{escape(r["severity"])}: '
            f'{escape(r["rule"])}</summary><p>{escape(r["message"])}</p>'
            f'<p>Evidence: <code>{escape(r["evidence"])}</code></p></details>'
            for r in server.risks) or "none"
        rows.append(
            f"<tr><td>{escape(server.name)}</td><td>{escape(server.client)}</td>"
            f"<td>{escape(server.scope)}</td><td>{escape(server.transport)}</td>"
            f"<td><code>{escape(what)}</code></td><td><code>{escape(server.config)}</code></td>"
            f"<td>{risks}</td></tr>")
    return "".join(rows)


def to_html(inventory: Inventory) -> str:
    """One page: counts by verdict at the top, then skills, MCP servers and problems."""
    verdicts = inventory.verdicts()
    when = datetime.now(UTC).replace(microsecond=0).isoformat()
    problems = "".join(
        f"<tr><td>{escape(p.rule)}</td><td><code>{escape(p.path)}</code></td>"
        f"<td>{escape(p.message)}</td></tr>" for p in inventory.problems)
    projects = ", ".join(escape(p) for p in inventory.projects) or "none"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>skillyard inventory</title><style>{_CSS}</style></head><body>
<h1>Agent skills and MCP servers on this machine</h1>
<p class="meta">Home {escape(inventory.home)} · projects {projects} · {escape(when)} ·
skillyard {escape(__version__)}</p>
<div class="counts">
{_count("blocked skills", verdicts["block"], "block")}
{_count("skills to review (warn)", verdicts["warn"], "warn")}
{_count("allowed skills", verdicts["allow"], "allow")}
{_count("MCP servers", len(inventory.servers))}
{_count("MCP servers with risks", len(inventory.risky_servers()), "warn")}
{_count("problems", len(inventory.problems), "block" if inventory.problems else "")}
</div>
<h2>Skills ({len(inventory.skills)})</h2>
<table><tr><th>skill</th><th>agent</th><th>scope</th><th>verdict</th><th>tier</th>
<th>folder</th><th>findings and evidence</th></tr>{_skill_rows(inventory)}</table>
<h2>MCP servers ({len(inventory.servers)})</h2>
<table><tr><th>server</th><th>client</th><th>scope</th><th>transport</th><th>runs</th>
<th>config</th><th>risk notes and evidence</th></tr>{_server_rows(inventory)}</table>
<h2>Problems ({len(inventory.problems)})</h2>
<table><tr><th>rule</th><th>path</th><th>what</th></tr>{problems}</table>
</body></html>
"""
