"""``skillyard eval``: paired with/without-skill experiments, reports, trigger evaluation and
tournaments of competing skills."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from ..llm import LLMClient, LLMConfig, LLMError
from .common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    keep_whole,
    open_library,
    png_path,
    print_json,
)
from .eval_environment import (
    DiskOption,
    NoIndexOption,
    WheelhouseOption,
    check_tasks,
    register_environment,
)

RUN_EXAMPLES = """
Examples:

  skillyard eval run tasks/ --skill ./my-skill --runner scripted:oracle \\
    --trials 3

  skillyard eval run tasks/ --skill my-skill --arms none,skill,version:1 \\
    --trials 5 --workers 2

  skillyard eval run tasks/ --arms none,routed:3 --runner llm --judge

  skillyard eval run tasks/ -s pdf -r 'command:claude -p {instruction}' \\
    --skills-dir .claude/skills

  skillyard eval run my-skill/evals/evals.json --skill my-skill --runner llm \\
    --judge --json

  # the skills each task ships with (curated)
  skillyard eval run ../shared/data/eval-tasks/skillsbench --arms none,bundled

  # as root
  skillyard eval run tasks/ -s pdf --allow-network --install-system-deps

Trials run in a bubblewrap sandbox (--sandbox bwrap, the default): the task's files at the
paths its Dockerfile puts them, its pip packages in a cached virtualenv, a private /tmp, no
network unless task.toml allows it and --allow-network is given, memory/CPU/process limits
(a cgroup per trial, else rlimits; each trial records which). --disk-mb caps a trial's total
disk use. --no-index --wheelhouse DIR builds environments without PyPI (see `eval
wheelhouse`). --sandbox docker|podman builds and runs the task's own image instead.
--sandbox none runs trials on the host with container paths rewritten (not isolated).
"""

REPORT_EXAMPLES = """
Examples:

  skillyard eval report latest

  skillyard eval report 20260101-120000-ab12cd --format md --plot effect.png \\
    --out report.md

  skillyard eval report latest --format html --out report.html

  # one Benjamini-Hochberg adjustment across both runs
  skillyard eval report RUN_A RUN_B --format md

  skillyard eval report latest --pairs all --json
"""

LIST_EXAMPLES = """
Examples:

  skillyard eval list

  skillyard eval list --kind experiment --json
"""

TASKS_EXAMPLES = """
Examples:

  # check a folder of Harbor/SkillsBench tasks
  skillyard eval tasks ./tasks

  skillyard eval tasks my-skill/evals/evals.json --json

  # list the broken task folders instead of failing
  skillyard eval tasks ./tasks --skip-bad

  # can each task run faithfully here? why not?
  skillyard eval tasks ./tasks --check

  skillyard eval tasks ./tasks --check --json --allow-network

With --check the exit status is 1 when some task cannot run faithfully on this
host.
"""

TRIGGER_EXAMPLES = """
Examples:

  skillyard eval triggers my-skill/evals/trigger_eval_set.json -s my-skill

  skillyard eval triggers ../shared/data/routing-dev.jsonl --k 3 --json

  skillyard eval triggers ../shared/data/routing-dev.jsonl --ignore-abstain
"""

RANK_EXAMPLES = """
Examples:

  skillyard eval rank tasks/ --skill frontend-design \\
    --skill ./frontend-design-fork

  skillyard eval rank tasks/ -s a -s b -s c -s d --rounds 3 \\
    --tasks-per-match 20 --runner llm

  skillyard eval rank tasks/ -s a -s b --mode judge --runner llm \\
    --plot ranks.png --json
"""

RunnerOption = Annotated[str, typer.Option(
    "--runner", "-r", help="scripted:POLICY | llm[:MODEL] | command:TEMPLATE.")]
TrialsOption = Annotated[int, typer.Option("--trials", "-k", min=1,
                                           help="Trials per task and arm.")]
WorkersOption = Annotated[int, typer.Option(min=1, help="Trials run in parallel.")]
SeedOption = Annotated[int, typer.Option(help="Seed for trial order, agents and bootstrap.")]
TimeoutOption = Annotated[float | None, typer.Option(
    help="Agent seconds per trial (default: the task's, else 600).", min=0.001)]
JudgeOption = Annotated[bool | None, typer.Option(
    "--judge/--no-judge", help="LLM judge for natural-language assertions (default: when "
    "an LLM is configured and the tasks need one).")]
RecordOption = Annotated[Path | None, typer.Option(
    "--llm-record", help="Append every LLM exchange to this JSONL file.")]
ReplayOption = Annotated[Path | None, typer.Option(
    "--llm-replay", help="Answer LLM calls from this recording; no network.")]
SandboxOption = Annotated[str, typer.Option(
    help="bwrap (isolated trials at the task's container paths), docker or podman (the task's "
    "own image, built from its Dockerfile), or none (host, no isolation).")]
NetworkOption = Annotated[bool, typer.Option(
    "--allow-network", help="Give trials the network when their task.toml allows internet.")]
SystemDepsOption = Annotated[bool, typer.Option(
    "--install-system-deps", help="apt-get install the Debian packages a task's Dockerfile "
    "asks for and this host lacks (root only).")]


def _sandbox_warning(sandbox: str) -> None:
    if sandbox == "none":
        err_console.print("[yellow]warning[/yellow]: --sandbox none runs trials on the host: "
                          "no isolation, shared /tmp and network, container paths rewritten")


def _client(record: Path | None, replay: Path | None, model: str | None = None
            ) -> LLMClient | None:
    config = LLMConfig.from_env(model=model) if model else LLMConfig.from_env()
    if config is None and replay is None:
        return None
    return LLMClient(config, record=record, replay=replay)


def _judge(flag: bool | None, tasks: Any, client: LLMClient | None) -> Any:
    from ..evaluate import Judge
    from ..evaluate.verify import needs_judge

    if flag is False:
        return None
    if flag is None and not needs_judge(tasks):
        return None
    if client is None:
        if flag:
            raise LLMError("--judge needs an LLM: set SKILLYARD_LLM_BASE_URL and "
                           "SKILLYARD_LLM_MODEL, or pass --llm-replay FILE")
        return None
    return Judge(client)


def _runner(spec: str, client: LLMClient | None, max_turns: int) -> Any:
    from ..evaluate import make_runner

    if spec.startswith("llm"):
        if client is None:
            raise LLMError("--runner llm needs an LLM: set SKILLYARD_LLM_BASE_URL and "
                           "SKILLYARD_LLM_MODEL, or pass --llm-replay FILE")
        return make_runner(spec, client=client, max_turns=max_turns)
    return make_runner(spec)


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


def _print_tables(tables: Any) -> None:
    for t in tables:
        table = RichTable(*t.headers, title=t.title, show_lines=False)
        for row in t.rows:
            table.add_row(*(escape(c) for c in row))
        console.print(keep_whole(table))


def _print_experiments(exps: Any) -> None:
    from ..evaluate.report import answer_lines, combine, experiment_tables, own_comparisons

    comps = combine(exps)
    for exp in exps:
        console.print(f"[bold]run {escape(str(exp.run_id))}[/bold]")
        _print_tables(experiment_tables(exp, own_comparisons(comps, exp), compact=True))
    for line in answer_lines(comps):
        console.print(escape(line.replace("**", "")))


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="eval", no_args_is_help=True,
        help="Does a skill help? Paired with/without-skill experiments with honest statistics.",
    )
    app.add_typer(group, name="eval")
    register_environment(group)

    @group.command("run", epilog=RUN_EXAMPLES)
    def run_cmd(
        tasks: Annotated[Path, typer.Argument(help="Task folder(s) or an evals.json.")],
        skill: Annotated[list[str] | None, typer.Option(
            "--skill", "-s", help="Skill id, name, REF@vN, or a skill folder (indexed first). "
            "Repeat for several.")] = None,
        arms: Annotated[str | None, typer.Option(
            help="Comma-separated: none, skill, skill:A+B, version:N, routed[:K]; NAME=SPEC "
            "renames. Default: none,skill (none,routed without --skill).")] = None,
        runner: RunnerOption = "scripted:oracle",
        trials: TrialsOption = 1,
        workers: WorkersOption = 2,
        timeout: TimeoutOption = None,
        seed: SeedOption = 0,
        skills_dir: Annotated[str, typer.Option(
            help="Skill folder inside each trial's work dir.")] = ".agents/skills",
        rule: Annotated[str, typer.Option(
            help="Per-task pass rule over k trials: majority, all, any.")] = "majority",
        judge: JudgeOption = None,
        max_turns: Annotated[int, typer.Option(min=1, help="LLM runner turns.")] = 30,
        keep: Annotated[Path | None, typer.Option(
            help="Keep every trial folder under this directory.")] = None,
        skip_bad: Annotated[bool, typer.Option(
            help="Skip broken task folders (listed) instead of failing.")] = False,
        llm_record: RecordOption = None,
        llm_replay: ReplayOption = None,
        sandbox: SandboxOption = "bwrap",
        allow_network: NetworkOption = False,
        install_system_deps: SystemDepsOption = False,
        no_index: NoIndexOption = False,
        wheelhouse: WheelhouseOption = None,
        disk_mb: DiskOption = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Run TASKS under each arm k times, store every trial, and report the effect."""
        from ..evaluate import RunConfig, load_tasks, run_experiment

        task_set = load_tasks(tasks, skip_bad=skip_bad)
        for where, reason in task_set.skipped:
            err_console.print(f"[yellow]skipped[/yellow] {escape(where)}: {escape(reason)}")
        client = _client(llm_record, llm_replay)
        the_runner = _runner(runner, client, max_turns)
        the_judge = _judge(judge, task_set.tasks, client)
        config = RunConfig(trials=trials, workers=workers, timeout=timeout, seed=seed,
                           skills_dir=skills_dir, keep=keep is not None, root=keep,
                           sandbox=sandbox, allow_network=allow_network,
                           install_system_deps=install_system_deps, no_index=no_index,
                           wheelhouse=wheelhouse, disk_mb=disk_mb)
        config.check()
        _sandbox_warning(sandbox)
        arm_text = arms or ("none,skill" if skill else "none,routed")
        with open_library(db, create=True) as lib, _bar() as bar:
            task = bar.add_task("trials", total=None)

            def tick(done: int, total: int, _result: Any) -> None:
                bar.update(task, completed=done, total=total)

            exp = run_experiment(lib, task_set, runner=the_runner, skills=skill or [],
                                 arms=arm_text, config=config, judge=the_judge, rule=rule,
                                 progress=tick,
                                 log=lambda line: bar.update(task, description=line[:60]))
        if as_json:
            from ..evaluate.report import experiments_json

            print_json(experiments_json([exp]))
            return
        _print_experiments([exp])
        console.print(f"stored as run {exp.run_id}; rebuild with: skillyard eval report "
                      f"{exp.run_id} --format md")

    @group.command("report", epilog=REPORT_EXAMPLES)
    def report_cmd(
        runs: Annotated[list[str], typer.Argument(help="Run ids (or unique prefixes, or "
                                                       "'latest').")],
        fmt: Annotated[str, typer.Option("--format", "-f", help="table, md, json or html.")]
        = "table",
        out: Annotated[Path | None, typer.Option(help="Write the report to this file.")] = None,
        plot: Annotated[Path | None, typer.Option(help="Also write a PNG chart here.",
                                                  callback=png_path)] = None,
        baseline: Annotated[str | None, typer.Option(help="Baseline arm (default: none).")]
        = None,
        pairs: Annotated[str, typer.Option(help="baseline (each arm vs it) or all pairs.")]
        = "baseline",
        rule: Annotated[str | None, typer.Option(help="Per-task rule (default: the run's).")]
        = None,
        bootstrap: Annotated[int, typer.Option(min=100, help="Bootstrap resamples.")] = 2000,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Rebuild the report of stored runs (nothing is rerun)."""
        from ..evaluate.report import REPORT_FORMATS

        fmt = "json" if as_json else fmt
        if fmt not in REPORT_FORMATS:
            raise typer.BadParameter(f"use one of {', '.join(REPORT_FORMATS)}",
                                     param_hint="--format")
        with open_library(db) as lib:
            from ..evaluate.store import EvalStore

            kinds = {EvalStore(lib.store).run(r).kind for r in runs}
            if len(kinds) > 1:
                raise typer.BadParameter("report runs of one kind at a time")
            kind = kinds.pop()
            if kind == "experiment":
                _report_experiments(lib, runs, fmt, out, plot, baseline, pairs, rule, bootstrap)
            elif kind == "trigger":
                _report_triggers(lib, runs, fmt, out)
            else:
                _report_tournaments(lib, runs, fmt, out, plot, bootstrap)

    @group.command("list", epilog=LIST_EXAMPLES)
    def list_cmd(
        kind: Annotated[str | None, typer.Option(help="experiment, trigger or tournament.")]
        = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """List stored evaluation runs, oldest first."""
        from ..evaluate.store import EvalStore

        with open_library(db) as lib:
            records = EvalStore(lib.store).runs(kind)
        if as_json:
            print_json([r.to_dict() for r in records])
            return
        table = RichTable("run", "kind", "status", "created", "what")
        for r in records:
            spec = r.spec
            what = (f"{len(spec.get('tasks', []))} tasks × "
                    f"{', '.join(a['name'] for a in spec.get('arms', []))}"
                    if r.kind == "experiment" else
                    ", ".join(spec.get("players", {})) if r.kind == "tournament" else
                    f"{spec.get('cases', 0)} queries, k={spec.get('k')}")
            table.add_row(r.id, r.kind, r.status, r.created_at[:19], escape(what))
        console.print(keep_whole(table, "run"))
        console.print(f"{len(records)} runs")

    @group.command("tasks", epilog=TASKS_EXAMPLES)
    def tasks_cmd(
        tasks: Annotated[Path, typer.Argument(help="Task folder(s) or an evals.json.")],
        skip_bad: Annotated[bool, typer.Option(help="List broken folders instead of failing.")]
        = False,
        check: Annotated[bool, typer.Option(
            "--check", help="Say per task whether it can run faithfully here, and if not why "
            "(network, system packages, data files, Dockerfile instructions).")] = False,
        allow_network: NetworkOption = False,
        as_json: JsonOption = False,
    ) -> None:
        """Import and check tasks (Harbor/SkillsBench folders, agentskills.io evals.json)."""
        from ..evaluate import load_tasks
        from ..evaluate.verify import needs_judge

        task_set = load_tasks(tasks, skip_bad=skip_bad)
        if check:
            check_tasks(task_set, allow_network, as_json)
            return
        judged = set(needs_judge(task_set.tasks))
        if as_json:
            print_json({"source": task_set.source,
                        "tasks": [{**t.to_dict(), "needs_judge": t.id in judged}
                                  for t in task_set.tasks],
                        "skipped": [{"where": w, "reason": r} for w, r in task_set.skipped]})
            return
        table = RichTable("task", "kind", "solution", "timeout s", "checks", "bundled skills")
        for t in task_set.tasks:
            checks = ("tests/test.sh" if t.kind == "harbor" else
                      f"{len(t.assertions) or 1} assertion(s)" +
                      (" (judge)" if t.id in judged else ""))
            table.add_row(escape(t.id), t.kind, "yes" if t.solution or t.expected_output
                          else "no", f"{t.agent_timeout:g}" if t.agent_timeout else "–",
                          escape(checks), str(len(t.bundled_skills)))
        console.print(table)
        console.print(f"{len(task_set.tasks)} tasks")
        for where, reason in task_set.skipped:
            console.print(f"[yellow]skipped[/yellow] {escape(where)}: {escape(reason)}")
        if any(t.bundled_skills for t in task_set.tasks):
            console.print("note: skills under environment/skills/ are never copied into a "
                          "trial; index them to evaluate them as arms")

    @group.command("triggers", epilog=TRIGGER_EXAMPLES)
    def triggers_cmd(
        evals_file: Annotated[Path, typer.Argument(
            metavar="FILE", help="Trigger set, evals.json, or JSONL with gold ids.")],
        skill: Annotated[str | None, typer.Option(
            "--skill", "-s", help="The skill a one-skill trigger set is about.")] = None,
        k: Annotated[int, typer.Option(min=1, max=50, help="A skill triggers when it is in "
                                                          "the router's top k.")] = 1,
        abstain: Annotated[bool, typer.Option(
            "--abstain/--ignore-abstain", help="When the router abstains nothing triggers "
            "(default), or count its ranked results anyway.")] = True,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Would the router activate the skill? Precision and recall per skill."""
        from ..evaluate import load_trigger_cases, run_triggers
        from ..evaluate.report import trigger_table

        cases = load_trigger_cases(evals_file, skill)
        with open_library(db, create=True) as lib, _bar() as bar:
            task = bar.add_task("routing", total=len(cases))
            report = run_triggers(lib, cases, k=k, source=str(evals_file), respect_abstain=abstain,
                                  progress=lambda d, t: bar.update(task, completed=d))
        if as_json:
            print_json(report.to_dict())
            return
        _print_tables([trigger_table(report)])
        console.print(f"stored as run {report.run_id}")

    @group.command("rank", epilog=RANK_EXAMPLES)
    def rank_cmd(
        tasks: Annotated[Path, typer.Argument(help="Task folder(s) or an evals.json.")],
        skill: Annotated[list[str], typer.Option(
            "--skill", "-s", help="A competing skill (repeat, at least two).")],
        runner: RunnerOption = "scripted:oracle",
        rounds: Annotated[int | None, typer.Option(
            min=1, help="Swiss rounds (default: ceil(log2 n) + 1).")] = None,
        tasks_per_match: Annotated[int | None, typer.Option(
            min=1, help="Tasks sampled per match (default: all).")] = None,
        mode: Annotated[str, typer.Option(help="outcome (task results) or judge (LLM "
                                               "compares answers in both orders).")] = "outcome",
        trials: TrialsOption = 1,
        workers: WorkersOption = 2,
        timeout: TimeoutOption = None,
        seed: SeedOption = 0,
        skills_dir: Annotated[str, typer.Option(help="Skill folder in the work dir.")]
        = ".agents/skills",
        plot: Annotated[Path | None, typer.Option(help="Write a PNG of the scores.",
                                                  callback=png_path)] = None,
        max_turns: Annotated[int, typer.Option(min=1, help="LLM runner turns.")] = 30,
        llm_record: RecordOption = None,
        llm_replay: ReplayOption = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Rank near-duplicate skills: Swiss tournament + Bradley-Terry scores with intervals."""
        from ..evaluate import Judge, RunConfig, load_tasks, run_tournament
        from ..evaluate.report import tournament_table

        task_set = load_tasks(tasks)
        client = _client(llm_record, llm_replay)
        the_runner = _runner(runner, client, max_turns)
        the_judge = Judge(client) if client is not None else None
        config = RunConfig(trials=trials, workers=workers, timeout=timeout, seed=seed,
                           skills_dir=skills_dir)
        with open_library(db, create=True) as lib:
            result = run_tournament(
                lib, task_set, skill, runner=the_runner, config=config, rounds=rounds,
                tasks_per_match=tasks_per_match, mode=mode, judge=the_judge,
                progress=lambda line: err_console.print(escape(line)))
        if plot is not None:
            from ..evaluate.plot import tournament_png

            plot.write_bytes(tournament_png(result.standings, f"run {result.run_id}"))
        if as_json:
            print_json(result.to_dict())
            return
        _print_tables([tournament_table(result)])
        console.print(f"stored as run {result.run_id}")


def _write(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {out}")


def _report_experiments(lib: Any, runs: list[str], fmt: str, out: Path | None,
                        plot: Path | None, baseline: str | None, pairs: str, rule: str | None,
                        bootstrap: int) -> None:
    import json

    from ..evaluate import load_experiment
    from ..evaluate.plot import experiment_png
    from ..evaluate.report import (
        combine,
        experiments_html,
        experiments_json,
        experiments_markdown,
    )

    exps = [load_experiment(lib, r, baseline=baseline, rule=rule, pairs=pairs, n_boot=bootstrap)
            for r in runs]
    png = None
    if plot is not None or fmt == "html":
        comps = combine(exps)
        arms = [a for e in exps for a in e.analysis.arms]
        png = experiment_png(arms, comps, ", ".join(str(e.run_id) for e in exps))
        if plot is not None:
            plot.write_bytes(png)
            err_console.print(f"wrote {plot}")
    if fmt == "table":
        _print_experiments(exps)
    elif fmt == "json":
        _write(json.dumps(experiments_json(exps), ensure_ascii=False, indent=2), out)
    elif fmt == "md":
        plot_ref = plot.name if plot is not None and out is not None and \
            plot.parent.resolve() == out.parent.resolve() else (str(plot) if plot else None)
        _write(experiments_markdown(exps, plot_ref), out)
    else:
        _write(experiments_html(exps, png), out)


def _report_triggers(lib: Any, runs: list[str], fmt: str, out: Path | None) -> None:
    import json

    from ..evaluate import load_triggers
    from ..evaluate.report import html_page, markdown, trigger_table

    reports = [load_triggers(lib, r) for r in runs]
    tables = [trigger_table(r) for r in reports]
    if fmt == "table":
        _print_tables(tables)
    elif fmt == "json":
        _write(json.dumps([r.to_dict() for r in reports], indent=2), out)
    elif fmt == "md":
        _write(markdown(tables, "Trigger evaluation"), out)
    else:
        _write(html_page(tables, "Trigger evaluation"), out)


def _report_tournaments(lib: Any, runs: list[str], fmt: str, out: Path | None,
                        plot: Path | None, bootstrap: int) -> None:
    import json

    from ..evaluate import load_tournament
    from ..evaluate.plot import tournament_png
    from ..evaluate.report import html_page, markdown, tournament_table

    results = [load_tournament(lib, r, n_boot=max(bootstrap // 4, 100)) for r in runs]
    tables = [tournament_table(t) for t in results]
    png = tournament_png(results[0].standings, f"run {results[0].run_id}") \
        if plot is not None or fmt == "html" else None
    if plot is not None and png is not None:
        plot.write_bytes(png)
    note = ["Scores are Bradley-Terry log strengths from task-level outcomes (ties count half); "
            "intervals resample tasks."]
    if fmt == "table":
        _print_tables(tables)
    elif fmt == "json":
        _write(json.dumps([t.to_dict() for t in results], indent=2, ensure_ascii=False), out)
    elif fmt == "md":
        _write(markdown(tables, "Skill tournament", note), out)
    else:
        _write(html_page(tables, "Skill tournament", png, note), out)
