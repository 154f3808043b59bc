"""Readable reports of stored evaluation runs: markdown, HTML (with the plot inline) and JSON.

Every report is built from stored rows, so it can be rebuilt at any time without rerunning.
Several experiment runs can be reported together; their comparisons then share one
Benjamini-Hochberg adjustment.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .analysis import Comparison, adjust, task_passed
from .engine import TrialResult
from .experiment import Experiment
from .tournament import Tournament
from .triggers import TriggerReport

REPORT_FORMATS = ("table", "md", "json", "html")


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]


def pct(value: float | None, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:+.1f}%" if signed else f"{value * 100:.1f}%"


def points(value: float | None) -> str:
    """A difference of two proportions, in percentage points."""
    if value is None or math.isnan(value):
        return "–"
    return f"{value * 100:+.1f} pts"


def points_interval(lo: float, hi: float) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return ""
    return f"[{lo * 100:+.1f}, {hi * 100:+.1f}]"


def interval(lo: float | None, hi: float | None, signed: bool = False) -> str:
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return ""
    return f"[{pct(lo, signed)}, {pct(hi, signed)}]"


def num(value: float | None, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.{digits}f}"


def pvalue(p: float) -> str:
    return "<0.0001" if p < 1e-4 else f"{p:.4f}" if p < 0.01 else f"{p:.3f}"


def combine(experiments: Sequence[Experiment]) -> list[Comparison]:
    """All comparisons of these runs, labelled by run, with q-values adjusted across them."""
    comps = []
    for exp in experiments:
        for c in exp.analysis.comparisons:
            if len(experiments) > 1:
                c.label = exp.run_id or ""
            comps.append(c)
    adjust(comps)
    return comps


def answer_lines(comparisons: Sequence[Comparison]) -> list[str]:
    """One sentence per comparison: does it help, by how much, how sure."""
    out = []
    for c in comparisons:
        who = (f"[{c.label}] " if c.label else "") + f"`{c.arm}` vs `{c.baseline}`"
        if c.tasks == 0:
            out.append(f"{who}: no tasks in common.")
            continue
        text = (f"{who}: helped on {c.helped} task(s), hurt on {c.hurt}, of {c.tasks} "
                f"(both passed {c.both_pass}, both failed {c.both_fail}). Pass-rate difference "
                f"{points(c.diff)} {points_interval(c.diff_lo, c.diff_hi)}; exact McNemar "
                f"p = {pvalue(c.p_value)}, BH q = {pvalue(c.q_value)}: **{c.verdict}**.")
        if not math.isnan(c.token_overhead):
            text += (f" Tokens {pct(c.token_overhead, True)} "
                     f"{interval(c.token_overhead_lo, c.token_overhead_hi, True)}.")
        if not math.isnan(c.time_overhead):
            text += (f" Agent time {pct(c.time_overhead, True)} "
                     f"{interval(c.time_overhead_lo, c.time_overhead_hi, True)}.")
        out.append(text)
    return out


def experiment_tables(exp: Experiment, comparisons: Sequence[Comparison],
                      compact: bool = False) -> list[Table]:
    """Arms, comparisons and per-task tables; ``compact`` keeps a terminal's width in mind."""
    a = exp.analysis
    if compact:
        arms = Table("Arms", ["arm", "passed", "pass rate [95% CI]", "tokens/trial",
                              "agent s", "err/t.o."], [
            [s.arm, f"{s.tasks_passed}/{s.tasks}",
             f"{pct(s.rate)} {interval(s.rate_lo, s.rate_hi)}", num(s.tokens_mean, 0),
             num(s.seconds_mean, 2), f"{s.errors}/{s.timeouts}"]
            for s in a.arms])
        comps = Table("Comparisons", ["arm vs base", "b/c", "difference [95% CI]", "p", "q",
                                      "tokens", "verdict"], [
            [(f"{c.label}: " if c.label else "") + f"{c.arm} vs {c.baseline}",
             f"{c.helped}/{c.hurt}", f"{points(c.diff)} {points_interval(c.diff_lo, c.diff_hi)}",
             pvalue(c.p_value), pvalue(c.q_value), pct(c.token_overhead, True), c.verdict]
            for c in comparisons])
    else:
        arms = Table("Arms", ["arm", "skills", "tasks passed", "pass rate (95% Wilson)",
                              "trial pass rate (95% bootstrap)", "tokens/trial",
                              "agent s/trial", "errors", "timeouts"], [
            [s.arm, ", ".join(s.skills) or "–", f"{s.tasks_passed}/{s.tasks}",
             f"{pct(s.rate)} {interval(s.rate_lo, s.rate_hi)}",
             f"{pct(s.trial_rate)} {interval(s.trial_rate_lo, s.trial_rate_hi)}",
             f"{num(s.tokens_mean, 0)} [{num(s.tokens_lo, 0)}, {num(s.tokens_hi, 0)}]",
             num(s.seconds_mean, 3), str(s.errors), str(s.timeouts)] for s in a.arms])
        comps = Table("Comparisons", [
            "comparison", "tasks", "helped (b)", "hurt (c)", "both pass", "both fail",
            "difference (95% CI)", "McNemar p", "BH q", "token overhead", "time overhead",
            "verdict"], [
            [(f"{c.label}: " if c.label else "") + f"{c.arm} vs {c.baseline}", str(c.tasks),
             str(c.helped), str(c.hurt), str(c.both_pass), str(c.both_fail),
             f"{points(c.diff)} {points_interval(c.diff_lo, c.diff_hi)}", pvalue(c.p_value),
             pvalue(c.q_value),
             f"{pct(c.token_overhead, True)} "
             f"{interval(c.token_overhead_lo, c.token_overhead_hi, True)}",
             f"{pct(c.time_overhead, True)} "
             f"{interval(c.time_overhead_lo, c.time_overhead_hi, True)}", c.verdict]
            for c in comparisons])
    names = [s.arm for s in a.arms]
    task_rows = []
    for task_id, by_arm in a.per_task.items():
        cells = [task_id]
        for name in names:
            outcomes = by_arm.get(name)
            if outcomes is None:
                cells.append("")
                continue
            mark = "pass" if task_passed(outcomes, a.rule) else "fail"
            cells.append(f"{mark} {sum(outcomes)}/{len(outcomes)}")
        task_rows.append(cells)
    tasks = Table(f"Per task (rule: {a.rule})", ["task", *names], task_rows)
    out = [arms, comps, tasks] if comparisons else [arms, tasks]
    failures = failure_table(exp, 160 if compact else 600)
    return out + ([failures] if failures.rows else [])


def trial_reason(trial: TrialResult) -> str:
    """Why a trial failed: the verifier's account, else the harness's error."""
    reason = trial.detail.get("reason") or trial.error or "verifier said no"
    return str(reason)


def failure_table(exp: Experiment, width: int = 600) -> Table:
    """One row per failed trial with the reason (exit code, missing dependency, last lines)."""
    rows = []
    for t in exp.trials:
        if t.passed:
            continue
        reason = trial_reason(t)
        rows.append([t.task_id, t.arm, str(t.trial), t.status,
                     reason if len(reason) <= width else reason[:width - 1] + "…"])
    return Table("Failed trials", ["task", "arm", "trial", "status", "why"], rows)


def _facts(exp: Experiment) -> list[str]:
    spec = exp.spec
    runner = spec.get("runner", {})
    conf = spec.get("config", {})
    run_label = ", ".join(f"{k}={v}" for k, v in runner.items() if k != "runner")
    facts = [
        f"run `{exp.run_id}` ({spec.get('status', 'done')}, {spec.get('created_at', '')})",
        f"tasks: {len(spec.get('tasks', []))} from `{spec.get('tasks_source', '')}`",
        f"arms: {', '.join(a['name'] for a in spec.get('arms', []))}",
        f"trials per task and arm: {conf.get('trials')}, workers {conf.get('workers')}, "
        f"seed {conf.get('seed')}",
        f"runner: {runner.get('runner', '?')} ({run_label})",
    ]
    if spec.get("judge"):
        facts.append(f"judge: {spec['judge']}")
    if conf.get("sandbox"):
        network = "allowed where the task allows it" if conf.get("allow_network") else "off"
        facts.append(f"sandbox: {conf['sandbox']}, network {network}")
    envs = spec.get("environments") or {}
    if envs:
        hashes = ", ".join(f"{tid} {e.get('hash')}" for tid, e in sorted(envs.items()))
        unfaithful = [tid for tid, e in envs.items() if not e.get("faithful")]
        facts.append(f"environments (Dockerfile + resolved packages): {hashes}")
        if unfaithful:
            facts.append("cannot run faithfully here: " + ", ".join(sorted(unfaithful))
                         + " (see `skillyard eval tasks --check`)")
    return facts


METHOD = (
    "A task passes in an arm by the per-task rule over its trials (majority by default); pass "
    "is all-or-nothing per task, never a share of unit tests. Pass rates use Wilson intervals "
    "over tasks. Comparisons pair tasks: b = tasks only the arm passed, c = tasks only the "
    "baseline passed; the exact McNemar test is a two-sided binomial test of b against "
    "Binomial(b + c, 1/2). The difference is the mean over tasks of per-task trial pass rates, "
    "with a percentile bootstrap that resamples tasks (clusters). Overheads are ratios of mean "
    "tokens and agent seconds, bootstrapped the same way. q-values are Benjamini-Hochberg "
    "adjusted across all comparisons in this report. All resampling is seeded."
)


def own_comparisons(comps: Sequence[Comparison], exp: Experiment) -> list[Comparison]:
    ids = {id(c) for c in exp.analysis.comparisons}
    return [c for c in comps if id(c) in ids]


def _md_table(t: Table) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"## {t.title}", "", "| " + " | ".join(t.headers) + " |",
             "|" + "|".join("---" for _ in t.headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in t.rows]
    return "\n".join(lines) + "\n"


def experiments_markdown(exps: Sequence[Experiment], plot_file: str | None = None) -> str:
    comps = combine(exps)
    title = exps[0].run_id if len(exps) == 1 else f"{len(exps)} runs"
    parts = [f"# Skill evaluation: {title}", ""]
    answers = answer_lines(comps)
    if answers:
        parts += ["**Answer.**", ""] + [f"- {line}" for line in answers] + [""]
    if plot_file:
        parts += [f"![pass rates]({plot_file})", ""]
    for exp in exps:
        if len(exps) > 1:
            parts += [f"# Run {exp.run_id}", ""]
        parts += [f"- {fact}" for fact in _facts(exp)] + [""]
        mine = own_comparisons(comps, exp)
        parts += [_md_table(t) for t in experiment_tables(exp, mine)]
    parts += ["## Method", "", METHOD, ""]
    return "\n".join(parts)


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in t.rows)
    return f"<h2>{html.escape(t.title)}</h2><table><tr>{head}</tr>{body}</table>"


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0;font-size:14px}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f3f3}"
        "img{max-width:100%}")


def _bold(text: str) -> str:
    escaped = html.escape(text)
    while escaped.count("**") >= 2:
        escaped = escaped.replace("**", "<b>", 1).replace("**", "</b>", 1)
    return escaped.replace("`", "")


def experiments_html(exps: Sequence[Experiment], png: bytes | None = None) -> str:
    comps = combine(exps)
    title = exps[0].run_id if len(exps) == 1 else f"{len(exps)} runs"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>skillyard eval "
             f"{html.escape(str(title))}</title><style>{_CSS}</style></head><body>",
             f"<h1>Skill evaluation: {html.escape(str(title))}</h1>"]
    answers = answer_lines(comps)
    if answers:
        parts.append("<ul>" + "".join(f"<li>{_bold(a)}</li>" for a in answers) + "</ul>")
    if png:
        parts.append(f"<img alt='pass rates' src='data:image/png;base64,"
                     f"{base64.b64encode(png).decode()}'>")
    for exp in exps:
        parts.append("<ul>" + "".join(f"<li>{_bold(f)}</li>" for f in _facts(exp)) + "</ul>")
        mine = own_comparisons(comps, exp)
        parts += [_html_table(t) for t in experiment_tables(exp, mine)]
    parts.append(f"<h2>Method</h2><p>{html.escape(METHOD)}</p></body></html>")
    return "\n".join(parts)


def experiments_json(exps: Sequence[Experiment]) -> dict[str, Any]:
    combine(exps)
    return {"runs": [{"run": e.run_id, "spec": e.spec, "analysis": e.analysis.to_dict(),
                      "failures": [{"task": t.task_id, "arm": t.arm, "trial": t.trial,
                                    "status": t.status, "reason": trial_reason(t)}
                                   for t in e.trials if not t.passed]}
                     for e in exps]}


# -- trigger evaluations and tournaments --------------------------------------------------
def trigger_table(report: TriggerReport) -> Table:
    rows = [[s.skill, str(s.tp), str(s.fp), str(s.fn), str(s.negative_hits),
             f"{pct(s.precision)} {interval(s.precision_lo, s.precision_hi)}",
             f"{pct(s.recall)} {interval(s.recall_lo, s.recall_hi)}"] for s in report.skills]
    return Table(f"Trigger evaluation (top-{report.k}; {report.cases} queries, "
                 f"{report.skipped} skipped)",
                 ["skill", "TP", "FP", "FN", "must-not hits", "precision (95% Wilson)",
                  "recall (95% Wilson)"], rows)


def tournament_table(t: Tournament) -> Table:
    rows = [[str(s.rank), s.player, s.skill, f"{s.score:+.2f}", f"[{s.lo:+.2f}, {s.hi:+.2f}]",
             f"{s.wins:g}", f"{s.losses:g}", f"{s.ties:g}", f"{s.points:g}"]
            for s in t.standings]
    return Table(f"Tournament {t.run_id or ''} ({t.spec.get('mode')} mode, "
                 f"{t.spec.get('rounds')} rounds)",
                 ["rank", "player", "skill", "score", "95% interval", "task wins",
                  "task losses", "ties", "match points"], rows)


def markdown(tables: Sequence[Table], title: str, notes: Sequence[str] = ()) -> str:
    parts = [f"# {title}", ""] + [_md_table(t) for t in tables]
    parts += [f"{n}\n" for n in notes]
    return "\n".join(parts)


def html_page(tables: Sequence[Table], title: str, png: bytes | None = None,
              notes: Sequence[str] = ()) -> str:
    body = "".join(_html_table(t) for t in tables)
    img = (f"<img alt='chart' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
           if png else "")
    extra = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"{img}{body}{extra}</body></html>")
