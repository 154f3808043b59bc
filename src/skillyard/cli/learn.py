"""``skillyard learn`` and ``skillyard candidates``: skills from agent trajectories, gated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ..batch import JobReport, RaySettings
from ..learn import (
    FORMATS,
    DistillOptions,
    GatePolicy,
    LearnOptions,
    get_candidate,
    learn,
    list_candidates,
)
from ..learn.evolve import EvolveOptions
from ..learn.miner import MineOptions
from ..learn.pipeline import Candidate, LearnReport
from ..llm import ENV_BASE_URL, ENV_MODEL, LLMClient, LLMConfig, LLMError
from .common import DbOption, JsonOption, console, err_console, open_library, print_json
from .ray_batch import (
    RayAddressOption,
    RayOption,
    RayWorkersOption,
    print_job,
    ray_job,
    ray_settings,
)

LEARN_EXAMPLES = """
Examples:

  skillyard learn runs/                     # mine a folder of runs, offline
  skillyard learn tau-bench.json --dry-run  # show the diff, write nothing
  skillyard learn runs/ --levels --json     # plan, functional, atomic levels
  skillyard learn runs/ --ray --ray-workers 8    # mine the groups on Ray
  skillyard learn sessions/*.jsonl --into deploy-app   # deepen one skill
  skillyard learn runs.jsonl --llm --record llm.jsonl --tasks eval-tasks/
  skillyard learn runs.jsonl --llm --replay llm.jsonl  # replay a recording
"""

LEARN_HELP = (
    "Learn new and better skills from agent TRAJECTORIES, gated by audit and evaluation.\n\n"
    "Groups the runs (by the skill they used, else by task), decides per group whether to "
    "create a skill, improve one, improve only its description or skip, and publishes each "
    "candidate as a new library version only if it passes the gate; rejected candidates are "
    "kept with their reasons (see `skillyard candidates`)."
)

CANDIDATE_EXAMPLES = """
Examples:

  skillyard candidates                    # every candidate, newest first
  skillyard candidates --status rejected  # what the gate kept out, and why
  skillyard candidates --show 3fa2        # one's reasons and its SKILL.md
"""

STATUS_STYLE = {"published": "green", "would-publish": "green", "rejected": "red",
                "would-reject": "red", "skipped": "dim"}


def _recorded_model(path: Path) -> str:
    """The model a recording was made with (replay looks requests up by model)."""
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    return str(json.loads(line)["model"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LLMError(f"{path}: not a recording of LLM exchanges ({exc})") from None
    raise LLMError(f"{path}: the recording is empty")


def _client(llm: bool | None, record: Path | None, replay: Path | None) -> LLMClient | None:
    config = LLMConfig.from_env()
    use = llm if llm is not None else (config is not None or replay is not None)
    if not use:
        return None
    if config is None and replay is None:
        raise LLMError(f"--llm needs an endpoint: set {ENV_BASE_URL} and {ENV_MODEL}, or pass "
                       "--replay FILE")
    if config is None and replay is not None:
        # replay never touches the network; the model name must match the recording's
        config = LLMConfig(base_url="http://replay.invalid/v1", model=_recorded_model(replay))
    return LLMClient(config, record=record, replay=replay)


def _print_diff(diff: str) -> None:
    for line in diff.splitlines():
        style = ("bold" if line.startswith(("+++", "---")) else "green" if line.startswith("+")
                 else "red" if line.startswith("-") else "cyan" if line.startswith("@@") else "")
        text = escape(line)
        console.print(f"[{style}]{text}[/{style}]" if style else text)


def _print_candidate(cand: Candidate, show_diff: bool) -> None:
    style = STATUS_STYLE.get(cand.status, "")
    head = f"[{style}]{cand.status}[/{style}] {cand.decision} [bold]{escape(cand.name)}[/bold]"
    if cand.version:
        head += f" → {escape(cand.skill_id)} v{cand.version}"
    elif cand.decision != "skip":
        head += f" ({escape(cand.skill_id)})"
    console.print(head + f"  [dim]{len(cand.runs)} runs[/dim]")
    console.print(f"  why: {escape(cand.reason)}")
    for reason in cand.reasons:
        console.print(f"  [yellow]note:[/yellow] {escape(reason)}")
    if cand.candidate_id and cand.status == "rejected":
        console.print(f"  kept as rejected candidate {cand.candidate_id}")
    if show_diff and cand.diff:
        _print_diff(cand.diff)


def _print_report(report: LearnReport, show_diff: bool) -> None:
    for cand in report.candidates:
        if cand.status != "skipped" or cand.decision != "skip":
            _print_candidate(cand, show_diff)
    skipped = [c for c in report.candidates if c.decision == "skip"]
    if skipped:
        console.print(f"[dim]{len(skipped)} group(s) skipped (too few or no successful runs; "
                      "see --json)[/dim]")
    for held in report.quarantined:
        console.print(f"[yellow]quarantined[/yellow] {escape(held.run)}: {held.rule} in "
                      f"{escape(held.where)} (left out of learning)")
    if report.private_values:
        console.print(f"[dim]{report.private_values} private value(s) scrubbed from the runs "
                      "before learning[/dim]")
    verb = "would publish" if report.dry_run else "published"
    published = report.count("would-publish" if report.dry_run else "published")
    rejected = report.count("would-reject" if report.dry_run else "rejected")
    console.print(f"{report.trajectories} trajectories, {report.method}: {verb} {published}, "
                  f"rejected {rejected}")


def _ray_learn(db: str | None, settings: RaySettings, trajectories: list[Path],
               options: LearnOptions, client: LLMClient | None, quiet: bool
               ) -> tuple[LearnReport, JobReport]:
    """``learn`` with the mining on Ray workers; progress bars on stderr."""
    from ..batch import learn_ray

    with open_library(db, create=True) as lib, ray_job(settings, quiet=quiet) as (runtime, tick):
        counts: dict[str, int] = {}

        def step(what: str, n: int) -> None:
            counts[what] = counts.get(what, 0) + n
            tick(what, counts[what], None)

        return learn_ray(lib, [str(p) for p in trajectories], runtime, options, client=client,
                         progress=step, job_progress=tick)


def register(app: typer.Typer) -> None:
    @app.command("learn", epilog=LEARN_EXAMPLES, help=LEARN_HELP)
    def learn_command(
        trajectories: Annotated[list[Path], typer.Argument(
            help="Trajectory files or folders (τ-bench / OpenAI chat JSON, Claude Code JSONL, "
                 "SWE-agent .traj, OpenTelemetry JSON, generic JSONL).")],
        into: Annotated[str | None, typer.Option(
            help="Put everything into this skill: deepen it, or create it if missing.")] = None,
        llm: Annotated[bool | None, typer.Option(
            "--llm/--offline", show_default="--llm when an endpoint is configured",
            help="Distil with the LLM, or mine offline only.")] = None,
        tasks: Annotated[Path | None, typer.Option(
            help="Evaluation tasks: publish only if the candidate does not lose to the "
                 "previous version (or no skill) on them.")] = None,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Show what would change (with a diff); write nothing.")] = False,
        fmt: Annotated[str, typer.Option(
            "--format", help=f"Trajectory format: {', '.join(FORMATS)}.")] = "auto",
        levels: Annotated[bool, typer.Option(
            "--levels", help="Add SkillX-style levels: plan, functional and atomic skills.")
        ] = False,
        record: Annotated[Path | None, typer.Option(
            help="Record every LLM exchange to this JSONL file.")] = None,
        replay: Annotated[Path | None, typer.Option(
            help="Answer LLM calls from a recording (no network).")] = None,
        min_runs: Annotated[int, typer.Option(help="Runs a group needs to be learned from.")
                            ] = 3,
        fail_on: Annotated[str, typer.Option(
            help="Reject at this audit verdict or worse: block or warn.")] = "block",
        min_tier: Annotated[int, typer.Option(help="Lowest trust tier a published skill may "
                                                   "get (0-3).")] = 1,
        trials: Annotated[int, typer.Option(help="Evaluation trials per task and arm.")] = 1,
        runner: Annotated[str | None, typer.Option(help="Evaluation runner spec.")] = None,
        batch_size: Annotated[int, typer.Option(help="Operation lists per LLM merge call.")
                              ] = 4,
        jobs: Annotated[int, typer.Option(help="LLM analyses in flight at once.")] = 4,
        max_runs: Annotated[int, typer.Option(help="Runs analysed by the LLM per skill.")
                            ] = 24,
        diff: Annotated[bool | None, typer.Option(
            "--diff/--no-diff", show_default="--diff with --dry-run",
            help="Print the diff of each candidate.")] = None,
        ray: RayOption = False,
        ray_address: RayAddressOption = None,
        ray_workers: RayWorkersOption = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        settings = ray_settings(ray, ray_address, ray_workers)
        if fail_on not in ("block", "warn"):
            raise typer.BadParameter("must be block or warn", param_hint="--fail-on")
        if not 0 <= min_tier <= 3:
            raise typer.BadParameter("must be 0 to 3", param_hint="--min-tier")
        if batch_size < 2 or jobs < 1 or max_runs < 1 or min_runs < 1 or trials < 1:
            raise typer.BadParameter("--batch-size must be >= 2; --jobs, --max-runs, "
                                     "--min-runs and --trials >= 1")
        if tasks is not None and not tasks.exists():
            raise typer.BadParameter(f"{tasks}: no such folder", param_hint="--tasks")
        client = _client(llm, record, replay)
        options = LearnOptions(
            into=into, llm=client is not None, dry_run=dry_run, format=fmt, levels=levels,
            evolve=EvolveOptions(min_runs=min_runs, mine=MineOptions(min_runs=min_runs)),
            distill=DistillOptions(batch_size=batch_size, jobs=jobs, max_runs=max_runs),
            gate=GatePolicy(fail_on=fail_on, min_tier=min_tier, tasks=tasks, trials=trials,
                            runner=runner),
        )
        job = None
        if settings is not None:
            report, job = _ray_learn(db, settings, trajectories, options, client, as_json)
        else:
            with open_library(db, create=True) as lib, Progress(
                SpinnerColumn(), TextColumn("{task.description}"),
                TextColumn("{task.completed}"), TimeElapsedColumn(),
                console=err_console, transient=True, disable=as_json,
            ) as progress:
                bars: dict[str, int] = {}

                def tick(what: str, n: int) -> None:
                    if what not in bars:
                        bars[what] = progress.add_task(what, total=None)
                    progress.advance(bars[what], n)

                report = learn(lib, [str(p) for p in trajectories], options, client=client,
                               progress=tick)
        if as_json:
            extra = {"batch": job.to_dict()} if job is not None else {}
            print_json({**report.to_dict(with_diff=True), **extra})
        else:
            _print_report(report, dry_run if diff is None else diff)
            if job is not None:
                print_job(job)
        for where, reason in report.unreadable:  # the rest were learned from; say what was not
            err_console.print(f"[red]unreadable[/red] {escape(where)}: {escape(reason)}")
        if report.unreadable:
            raise typer.Exit(1)

    @app.command("candidates", epilog=CANDIDATE_EXAMPLES)
    def candidates_command(
        status: Annotated[str | None, typer.Option(help="published or rejected.")] = None,
        skill: Annotated[str | None, typer.Option(help="Only this skill (id or name).")] = None,
        show: Annotated[str | None, typer.Option(help="Show one candidate (id prefix).")
                        ] = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """List the candidates `skillyard learn` produced: published, or rejected and why."""
        if status not in (None, "published", "rejected"):
            raise typer.BadParameter("must be published or rejected", param_hint="--status")
        with open_library(db) as lib:
            if show:
                rec = get_candidate(lib.store, show)
                if as_json:
                    print_json(rec.to_dict(with_files=True))
                    return
                console.print(f"[bold]{escape(rec.name)}[/bold] {rec.status} "
                              f"({rec.decision}, {rec.method}) {rec.created_at}")
                for reason in rec.reasons:
                    console.print(f"  reason: {escape(reason)}")
                console.print(escape(rec.files.get("SKILL.md", "")))
                return
            skill_id = lib.resolve(skill) if skill else None
            rows = list_candidates(lib.store, status=status, skill_id=skill_id)
        if as_json:
            print_json([r.to_dict() for r in rows])
            return
        for rec in rows:
            style = STATUS_STYLE.get(rec.status, "")
            version = f" v{rec.published_version}" if rec.published_version else ""
            console.print(f"{rec.id}  [{style}]{rec.status}[/{style}]  {rec.decision:<11} "
                          f"{escape(rec.skill_id)}{version}  {rec.created_at[:19]}")
            for reason in rec.reasons:
                console.print(f"    {escape(reason)}")
        console.print(f"{len(rows)} candidate(s)")
