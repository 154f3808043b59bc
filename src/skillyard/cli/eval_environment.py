"""``skillyard eval`` options and commands about task environments: the offline wheelhouse
(``eval wheelhouse``), ``--no-index``/``--wheelhouse``/``--disk-mb``, and ``eval tasks
--check``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from .common import JsonOption, console, err_console, print_json

WHEELHOUSE_EXAMPLES = """
Examples:

  # where PyPI can be reached
  skillyard eval wheelhouse ../shared/data/eval-tasks/skillsbench wheels/

  # then anywhere, without PyPI
  skillyard eval run ../shared/data/eval-tasks/skillsbench \\
    --no-index --wheelhouse wheels/
"""

NoIndexOption = Annotated[bool, typer.Option(
    "--no-index", help="Build task environments from the wheelhouse only (no PyPI).")]
WheelhouseOption = Annotated[Path | None, typer.Option(
    help="Folder of wheels to build task environments from first (default: "
    "$SKILLYARD_WHEELHOUSE).")]
DiskOption = Annotated[int | None, typer.Option(
    "--disk-mb", min=1, help="Total disk space per trial, /tmp included (bwrap, root).")]


def register_environment(group: typer.Typer) -> None:
    @group.command("wheelhouse", epilog=WHEELHOUSE_EXAMPLES)
    def wheelhouse_cmd(
        tasks: Annotated[Path, typer.Argument(help="Task folder(s).")],
        dest: Annotated[Path, typer.Argument(help="Folder to put the wheels in.")],
        no_index: NoIndexOption = False,
        source: Annotated[Path | None, typer.Option(
            "--from", help="Take wheels from this folder (with --no-index: only from it).")]
        = None,
        as_json: JsonOption = False,
    ) -> None:
        """Build wheels for every package the tasks' environments install, so that later runs
        can use --no-index --wheelhouse DEST (no PyPI)."""
        from ..evaluate import load_tasks
        from ..evaluate.errors import EvalError
        from ..evaluate.offline import Offline, fill_wheelhouse
        from ..evaluate.taskenv import wheel_groups

        if dest.exists() and not dest.is_dir():
            raise EvalError(f"{dest} is not a folder")
        origin = Offline.from_options(no_index, source) if (no_index or source) else None
        groups = wheel_groups(load_tasks(tasks).tasks)
        problems = fill_wheelhouse(groups, dest, source=origin,
                                   log=lambda line: err_console.print(escape(line)))
        wheels = sorted(p.name for p in dest.glob("*.whl"))
        if as_json:
            print_json({"wheelhouse": str(dest), "groups": len(groups), "wheels": wheels,
                        "problems": problems})
        else:
            console.print(f"{len(wheels)} wheels in {escape(str(dest))} for {len(groups)} "
                          "requirement group(s)")
            for line in problems:
                console.print(f"[red]failed[/red] {escape(line)}")
        if problems:
            raise typer.Exit(1)


def check_tasks(task_set: Any, allow_network: bool, as_json: bool) -> None:
    from ..evaluate.sandbox import bwrap_problem
    from ..evaluate.taskenv import check_task

    envs = [check_task(t, allow_network=allow_network) for t in task_set.tasks
            if t.kind == "harbor"]
    problem = bwrap_problem()
    if as_json:
        print_json({"source": task_set.source, "sandbox": problem or "bwrap available",
                    "tasks": [e.to_dict() for e in envs],
                    "faithful": sum(e.faithful for e in envs), "total": len(envs)})
    else:
        table = RichTable("task", "faithful", "python", "why not / notes", show_lines=True)
        for e in envs:
            why = "\n".join([f"✗ {b}" for b in e.blockers] + [f"· {n}" for n in e.notes])
            table.add_row(escape(e.task_id), "yes" if e.faithful else "[red]no[/red]",
                          e.python.version if e.python else "–", escape(why) or "–")
        console.print(table)
        console.print(f"{sum(e.faithful for e in envs)} of {len(envs)} tasks can run "
                      "faithfully here")
        if problem:
            console.print(f"[red]sandbox unavailable[/red]: {escape(problem)}")
    if problem or not all(e.faithful for e in envs):
        raise typer.Exit(1)


