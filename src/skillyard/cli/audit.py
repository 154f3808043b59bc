"""``skillyard audit``: fail-closed security audit of skill folders, corpora and the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..audit import Auditor, AuditResult, load_policy, load_rules, to_markdown, to_sarif
from ..audit.model import severity_rank
from ..audit.report import summary
from ..batch import JobReport, RaySettings
from ..errors import SkillyardError, StoreError
from ..skill import Skill
from .common import DbOption, JsonOption, console, err_console, fail, open_library, print_json
from .ray_batch import (
    RayAddressOption,
    RayOption,
    RayWorkersOption,
    print_job,
    ray_job,
    ray_settings,
)

FORMATS = ("table", "json", "sarif", "markdown")
EXAMPLES = """
Examples:

  skillyard audit ./my-skill               # a table; exit 1 if blocked
  skillyard audit ./skills --format sarif > audit.sarif   # code scanning
  skillyard audit corpus.jsonl.gz --format markdown --fail-on warn
  skillyard audit --library --json         # every library skill (cached)
  skillyard audit --library mcp-builder --policy policy.toml
  skillyard audit --library --ray --json   # analyse on Ray workers (local)

  # also ask an LLM (never clears a deterministic block)
  SKILLYARD_LLM_BASE_URL=... SKILLYARD_LLM_MODEL=... \\
    skillyard audit ./skill --judge
"""


def _judge(enabled: bool) -> Any:
    if not enabled:
        return None
    from ..audit.judge import Judge
    from ..llm import LLMClient, LLMConfig

    config = LLMConfig.from_env()
    if config is None:
        raise SkillyardError("--judge needs an LLM: set SKILLYARD_LLM_BASE_URL and "
                             "SKILLYARD_LLM_MODEL")
    return Judge(LLMClient(config))


def _print_table(results: list[AuditResult]) -> None:
    table = Table("skill", "verdict", "tier", "findings", "worst")
    colour = {"allow": "green", "warn": "yellow", "block": "red"}
    for r in results:
        shown = [f for f in r.findings if severity_rank(f.severity) >= severity_rank("low")]
        worst = shown[0] if shown else None
        table.add_row(escape(r.name), f"[{colour[r.verdict]}]{r.verdict}[/]", str(r.tier),
                      str(len(shown)), escape(f"{worst.severity} {worst.rule}") if worst else "")
    console.print(table)
    for r in results:
        if r.verdict == "allow":
            continue
        console.print(f"[bold]{escape(r.name)}[/bold] ({escape(r.skill)}): {r.verdict}")
        for f in r.findings:
            if severity_rank(f.severity) < severity_rank("medium"):
                continue
            where = f.file + (f":{f.line}" if f.line else "")
            console.print(f"  {f.severity:8} {escape(f.rule)} [{f.category}] {escape(where)}: "
                          f"{escape(f.evidence)}\n           why: {escape(f.to_dict()['why'])}"
                          f"\n           fix: {escape(f.fix)}")
    totals = summary(results)
    console.print(f"{totals['skills']} skills: {totals['block']} blocked, {totals['warn']} "
                  f"warned, {totals['allow']} allowed")


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    def audit(
        paths: Annotated[list[str] | None, typer.Argument(
            metavar="PATH...", help="Skill folders, trees, SKILL.md files, corpora or git "
            "URLs; with --library, skill ids or names (none = every library skill).")] = None,
        library: Annotated[bool, typer.Option("--library", help="Audit skills in the library "
                                              "(verdicts are cached and recorded).")] = False,
        fmt: Annotated[str, typer.Option("--format", help="table, json, sarif or markdown.")
                       ] = "table",
        policy: Annotated[Path | None, typer.Option(help="Policy file (TOML).")] = None,
        fail_on: Annotated[str, typer.Option("--fail-on", help="Exit 1 on 'block' (default) "
                                             "or also on 'warn'.")] = "block",
        judge: Annotated[bool, typer.Option("--judge", help="Also ask the configured LLM "
                                            "(never clears a deterministic block).")] = False,
        force: Annotated[bool, typer.Option(help="Re-analyse even when a cached verdict "
                                            "exists.")] = False,
        ray: RayOption = False,
        ray_address: RayAddressOption = None,
        ray_workers: RayWorkersOption = None,
        baseline: Annotated[Path | None, typer.Option(
            "--baseline", help="Leave out findings accepted in this baseline file (fail only "
            "on new ones).", exists=True, dir_okay=False)] = None,
        write_baseline: Annotated[Path | None, typer.Option(
            "--write-baseline", help="Record the current findings as accepted in this file "
            "(fail-closed ones excepted).", dir_okay=False)] = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Audit skills for prompt injection, exfiltration, escalation and supply-chain tricks.

        Anything that cannot be analysed (oversize, bytecode without source, unknown binary,
        encrypted or bomb archive, escaping symlink, hidden Unicode) blocks. Exit 0 when
        every skill is allowed or warned, 1 when one is blocked (or warned, with
        --fail-on warn), 2 on usage errors. With --ray (and --library) the analysis runs on
        Ray workers; the output is the same, and the job summary goes to stderr (with --json
        as one JSON line, {"batch": {...}}).
        """
        if as_json:
            fmt = "json"
        if fmt not in FORMATS:
            raise fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", 2)
        if fail_on not in ("warn", "block"):
            raise fail(f"--fail-on must be 'warn' or 'block', not {fail_on!r}", 2)
        if not paths and not library:
            raise fail("give at least one PATH, or --library", 2)
        settings = ray_settings(ray, ray_address, ray_workers)
        if settings is not None and not library:
            raise fail("--ray audits library skills on workers; add --library", 2)
        rules = load_rules()
        loaded_policy = load_policy(policy, rules)
        llm_judge = _judge(judge)
        if settings is not None:
            results, job = _ray_audit(db, settings, paths or None, loaded_policy, llm_judge,
                                      force)
            results = _baseline(results, baseline, write_baseline, loaded_policy)
            _emit(results, fmt)
            if fmt == "json":
                sys.stderr.write(json.dumps({"batch": job.to_dict()}) + "\n")
            else:
                print_job(job, stderr=True)
            _exit_for(results, fail_on)
            return
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed} skills"), TimeElapsedColumn(),
                      console=err_console, transient=True) as progress:
            task = progress.add_task("auditing", total=None)

            def tick(_skill: Skill) -> None:
                progress.advance(task)

            if library:
                with open_library(db) as lib:
                    results = lib.audit(paths or None, policy=loaded_policy, judge=llm_judge,
                                        force=force, progress=tick)
            else:
                auditor = Auditor(policy=loaded_policy, rules=rules, judge=llm_judge)
                results = auditor.run_paths(paths or [], tick)
        results = _baseline(results, baseline, write_baseline, loaded_policy)
        _emit(results, fmt)
        _exit_for(results, fail_on)


def _baseline(results: list[AuditResult], baseline: Path | None, write: Path | None,
              policy: Any) -> list[AuditResult]:
    from ..audit.baseline import apply_baseline, read_baseline
    from ..audit.baseline import write_baseline as record

    if write is not None:
        count = record(results, write)
        err_console.print(f"baseline: recorded {count} accepted finding(s) in {write}")
        baseline = baseline or write  # what was just accepted no longer fails this run
    if baseline is not None:
        results, dropped = apply_baseline(results, read_baseline(baseline), policy)
        err_console.print(f"baseline: left out {dropped} accepted finding(s)")
    return results


def _exit_for(results: list[AuditResult], fail_on: str) -> None:
    bad = {"block"} if fail_on == "block" else {"block", "warn"}
    if any(r.verdict in bad for r in results):
        raise typer.Exit(1)


def _ray_audit(db: str | None, settings: RaySettings, refs: list[str] | None, policy: Any,
               judge: Any, force: bool) -> tuple[list[AuditResult], JobReport]:
    """``audit --library`` with the analysis on Ray workers (they open the library too)."""
    from ..batch import audit_library_ray
    from ..library.backends import default_location

    if db is not None and not db.strip():
        raise StoreError("--db is empty; give a library file or a postgresql:// URL")
    location = db if db is not None else default_location()
    with ray_job(settings) as (runtime, tick):
        return audit_library_ray(location, runtime, refs, policy=policy, judge=judge,
                                 force=force, progress=tick)


def _emit(results: list[AuditResult], fmt: str) -> None:
    if fmt == "json":
        payload = [r.to_dict() for r in results]
        print_json(payload[0] if len(payload) == 1 else payload)
    elif fmt == "sarif":
        sys.stdout.write(json.dumps(to_sarif(results), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(to_markdown(results))
    else:
        _print_table(results)
