"""The deeper analyzers of one skill, each fail-closed: data flow across all of the skill's
code (Python, shell, JavaScript; scripts, archive members and code blocks of documents), run
twice when one file stages data that another reads, plus per-unit instruction, supply-chain and
permission analysis. A crash or a blown budget inside an analyzer becomes a blocking finding
for that skill, never an exception out of the audit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from .content import FENCE_LANGS, TextUnit
from .flow import AnalyzerBudget, Budget, FlowContext
from .jsflow import js_flows
from .mdparse import LineIndex, Segment
from .model import Hit, clip
from .prose import analyze_prose, endpoint_hits
from .pyflow import TRIGGER as PY_TRIGGER
from .pyflow import parse, python_flows, register_functions
from .rules import RuleSet
from .shflow import shell_flows
from .supply import scan_permissions, scan_supply

SKILL_BUDGET_S = 1.5  # flow analysis of one skill, all passes together


def guarded(name: str, unit_path: str, flow: str, run: Callable[[], list[Hit]]) -> list[Hit]:
    """Run one analyzer; its failure is a fail-closed hit, not an exception."""
    try:
        return run()
    except AnalyzerBudget as exc:
        return [Hit("analyzer-timeout", unit_path, None, f"{name}: {exc}", flow=flow)]
    except RecursionError:
        return [Hit("analyzer-timeout", unit_path, None, f"{name}: nesting too deep", flow=flow)]
    except Exception as exc:  # noqa: BLE001 - any analyzer bug must fail closed
        return [Hit("analyzer-failed", unit_path, None,
                    clip(f"{name}: {type(exc).__name__}: {exc}"), flow=flow)]


def unit_hits(unit: TextUnit, rules: RuleSet, index: LineIndex,
              segs: list[Segment] | None) -> list[Hit]:
    """Instruction, supply-chain and permission hits of one unit."""
    flow = unit.flow or unit.path
    hits: list[Hit] = []
    if unit.lang in ("markdown", "text") and unit.origin not in ("decoded-data",):
        hits += guarded("prose", unit.path, flow, lambda: analyze_prose(unit, rules, index, segs))
    elif unit.origin not in ("decoded-data",):
        hits += guarded("endpoints", unit.path, flow, lambda: endpoint_hits(unit, rules, index))
    hits += guarded("supply", unit.path, flow, lambda: scan_supply(unit, rules, index))
    hits += guarded("permissions", unit.path, flow,
                    lambda: scan_permissions(unit, rules, index))
    return hits


def code_units(units: list[TextUnit], segments_of: Callable[[TextUnit], list[Segment]]
               ) -> list[TextUnit]:
    """Every piece of code in the skill: script files and members, and fenced code blocks of
    markdown files and documents (python, shell, javascript)."""
    out = []
    for unit in units:
        if unit.origin in ("decoded", "decoded-data"):
            continue
        if unit.lang in ("python", "shell", "javascript"):
            out.append(unit)
        elif unit.lang == "markdown":
            index = None
            for seg in segments_of(unit):
                lang = FENCE_LANGS.get(seg.lang) if seg.kind == "code" else None
                if lang is None:
                    continue
                index = index or LineIndex(unit.text)
                lines = unit.text[seg.start:seg.end].split("\n")[1:]
                while lines and (not lines[-1].strip() or re.match(r"\s*(`{3,}|~{3,})\s*$",
                                                                    lines[-1])):
                    lines.pop()
                out.append(TextUnit(unit.path, "\n".join(lines), lang,
                                    line_offset=index.line(seg.start) + unit.line_offset,
                                    flow=seg.flow, origin="code-block"))
    return out


def flow_hits(units: list[TextUnit], rules: RuleSet, credential: re.Pattern[str],
              memory: re.Pattern[str], segments_of: Callable[[TextUnit], list[Segment]]
              ) -> tuple[list[Hit], FlowContext]:
    """Data-flow findings of the whole skill and what it staged and sent (for chains)."""
    ctx = FlowContext(credential=credential, memory=memory,
                      budget=Budget(seconds=SKILL_BUDGET_S),
                      trusted=tuple(rules.hosts.get("trusted_installers", [])))
    code = code_units(units, segments_of)
    if not code:
        return [], ctx
    trees = {}
    for i, unit in enumerate(code):
        if unit.lang == "python" and (ctx.files or PY_TRIGGER.search(unit.text)):
            tree = parse(unit.text)
            if tree is not None:
                trees[i] = tree
                register_functions(tree, ctx, unit)
    hits: list[Hit] = []
    seen: set[tuple[str, str, int | None]] = set()
    for _pass in range(2):
        staged = len(ctx.files)
        for i, unit in enumerate(code):
            flow = unit.flow or unit.path
            if unit.lang == "python" and i in trees:
                found = guarded("python flow", unit.path, flow,
                                lambda u=unit, t=trees[i]: python_flows(u, t, ctx, rules))
            elif unit.lang == "shell":
                found = guarded("shell flow", unit.path, flow, lambda u=unit: shell_flows(u, ctx))
            elif unit.lang == "javascript":
                found = guarded("javascript flow", unit.path, flow,
                                lambda u=unit: js_flows(u, ctx))
            else:
                found = []
            for hit in found:
                if unit.origin == "code-block" and hit.rule.startswith("vuln-"):
                    # an example in documentation is not code the skill runs
                    hit = replace(hit, severity="medium",
                                  detail="in a documentation code block")
                key = (hit.rule, hit.file, hit.line)
                if key not in seen:
                    seen.add(key)
                    hits.append(hit)
            if any(h.rule.startswith("analyzer-") for h in found):
                return hits, ctx
        if len(ctx.files) == staged or not ctx.files:
            break  # nothing new was staged: a second pass would find nothing new
    return hits, ctx
