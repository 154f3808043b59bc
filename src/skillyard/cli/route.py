"""``skillyard route`` (one task or a JSONL batch) and ``skillyard reindex``."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..api import Library
from ..errors import SkillyardError
from ..route.api import RERANKERS
from .common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    keep_whole,
    open_library,
    print_json,
)
from .ray_batch import (
    RayAddressOption,
    RayOption,
    RayWorkersOption,
    print_job,
    ray_routing,
    ray_settings,
)

ROUTE_EXAMPLES = """
Examples:

  skillyard route "write a cold email sequence for our SaaS launch"
  skillyard route "set up FAQ schema markup" -k 3 --explain
  skillyard route "build an MCP server" --json --rerank llm
  skillyard route "turn meeting notes into action items" --rerank body
  skillyard route --queries tasks.jsonl -k 10 --json > routed.jsonl

A batch file has one JSON object a line: {"qid": "...", "query": "..."}. A bad line
is answered with {"qid", "line", "error"} and the rest is routed; the exit code is then 1.
"""

REINDEX_EXAMPLES = """
Examples:

  skillyard reindex                # read only new or changed skills
  skillyard reindex --full         # rebuild everything from scratch
  skillyard reindex --full-model   # also encode with the MiniLM model (slow)
  skillyard reindex --static-only  # the static encoder alone (the default)
  skillyard reindex --monolingual  # English requests only (no multilingual)
  skillyard reindex --json
  skillyard reindex --ray          # embed on local Ray (or --ray-address)
"""


class BatchError(SkillyardError):
    """A --queries file that cannot be read at all (missing, not UTF-8 text)."""


@dataclass(frozen=True)
class BatchLine:
    """One non-blank line of a --queries file: a request, or why it is not one."""

    number: int
    qid: str
    query: str = ""
    error: str = ""


def read_batch(path: Path) -> list[BatchLine]:
    """The lines of a JSONL file of {qid, query} records, in order; a bad line is kept with
    its error (the batch goes on without it), a file that cannot be read is a BatchError."""
    if not path.is_file():
        raise BatchError(f"{path}: no such queries file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BatchError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return [_batch_line(number, line) for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()]


def _batch_line(number: int, line: str) -> BatchLine:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return BatchLine(number, str(number), error=f"not valid JSON ({exc.msg})")
    if not isinstance(record, dict):
        return BatchLine(number, str(number), error="a record must be a JSON object")
    qid = record.get("qid", str(number))
    if not isinstance(qid, str | int) or isinstance(qid, bool):
        return BatchLine(number, str(number), error="'qid' must be a string or an integer")
    query = record.get("query")
    if not isinstance(query, str) or not query.strip():
        return BatchLine(number, str(qid), error="'query' must be a non-empty string")
    return BatchLine(number, str(qid), query)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True,
                    disable=not err_console.is_terminal)  # no stray blank line in logs


def update_routing_index(lib: Library, *, full: bool = False,
                         full_model: bool | None = None,
                         multilingual: bool | None = None) -> Any:
    """Bring the routing index up to date with a progress bar on stderr; return the report."""
    with _progress() as bar:
        tasks: dict[str, Any] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"routing index: {stage}", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return lib.route_index(full=full, full_model=full_model, multilingual=multilingual,
                               progress=tick)


def register(app: typer.Typer) -> None:
    @app.command(epilog=ROUTE_EXAMPLES)
    def route(
        task: Annotated[str | None, typer.Argument(help="The task to route.")] = None,
        k: Annotated[int, typer.Option("-k", "--top", min=1, max=1000,
                                       help="How many results.")] = 5,
        queries: Annotated[Path | None, typer.Option(
            "--queries", help="Route every {qid, query} line of a JSONL file.")] = None,
        explain: Annotated[bool, typer.Option(
            "--explain", help="Show each signal's score, z-score and rank.")] = False,
        rerank: Annotated[str, typer.Option(
            "--rerank", help="Rerank stage: none; body (reads the top candidates' SKILL.md "
                             "bodies, offline); or llm (SKILLYARD_LLM_* settings).")] = "none",
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Find the skills that fit a task (hybrid BM25F + dense retrieval, grouped forks)."""
        if (task is None) == (queries is None):
            raise typer.BadParameter("give either a TASK or --queries FILE, not both or neither")
        if rerank not in RERANKERS:
            raise typer.BadParameter(f"unknown reranker {rerank!r}; use one of: "
                                     f"{', '.join(RERANKERS)}", param_hint="--rerank")
        with open_library(db) as lib:
            # an interrupted or missing build is finished here, visibly (progress on stderr),
            # never silently inside the first query
            built = update_routing_index(lib)
            if not built.up_to_date:
                err_console.print("note: the routing index was not up to date (new skills, or "
                                  "an interrupted build); it was brought up to date first")
            if queries is not None:
                lines = read_batch(queries)
                _batch(lib, lines, k, explain, rerank, as_json, queries)
                bad = sum(1 for line in lines if line.error)
                if bad:  # the rest was routed; the exit code says some lines were not
                    err_console.print(f"{bad} of {len(lines)} lines of {escape(str(queries))} "
                                      f"were not routed (bad records)")
                    raise typer.Exit(1)
                return
            assert task is not None
            result = lib.route(task, k, explain=explain, reranker=rerank)
        if as_json:
            print_json({"query": task, **result.to_dict()})
            return
        _print_result(task, result, explain)

    @app.command(epilog=REINDEX_EXAMPLES)
    def reindex(
        full: Annotated[bool, typer.Option("--full", help="Ignore the previous index.")] = False,
        full_model: Annotated[bool | None, typer.Option(
            "--full-model/--static-only",
            help="Also encode every description with the MiniLM model (slow; only the "
                 "desc_weight signal uses it), or the static encoder alone (default). "
                 "Unset: keep what the current index uses.")] = None,
        multilingual: Annotated[bool | None, typer.Option(
            "--multilingual/--monolingual",
            help="Encode names and descriptions with a multilingual sentence encoder too, so "
                 "requests in other languages find English-described skills (the default; "
                 "about 4 ms of CPU per skill of a first build, beside the reading on 2+ "
                 "cores), or route English requests only. "
                 "Unset: on, unless the current index was built with --monolingual.")] = None,
        ray: RayOption = False,
        ray_address: RayAddressOption = None,
        ray_workers: RayWorkersOption = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Build or update the routing index (only new or changed skills are embedded)."""
        settings = ray_settings(ray, ray_address, ray_workers)
        if settings is not None and full_model is False:
            raise typer.BadParameter("--ray spreads the model's description embedding; it "
                                     "implies --full-model", param_hint="--static-only")
        if settings is not None and multilingual is not None:
            raise typer.BadParameter("--ray builds the model's vectors only; run 'skillyard "
                                     "reindex --multilingual' without --ray",
                                     param_hint="--multilingual")
        job = None
        with open_library(db) as lib:
            if settings is not None:
                report, job = ray_routing(lib, settings, full=full)
            else:
                report = update_routing_index(lib, full=full, full_model=full_model,
                                              multilingual=multilingual)
        if as_json:
            print_json({**report.to_dict(), **({"batch": job.to_dict()} if job else {})})
            return
        print_build_report(report)
        if job is not None:
            print_job(job)


def print_build_report(report: Any) -> None:
    if report.up_to_date:
        console.print(f"routing index up to date ({report.skills} skills, {report.path})")
        return
    console.print(
        f"routing index: {report.skills} skills ({report.read} read, {report.reused} reused), "
        f"{report.embedded} passages embedded, {report.cached} from cache, "
        f"{report.groups} near-duplicate groups, {report.seconds:.1f} s -> {report.path}"
    )


def _batch(lib: Library, lines: list[BatchLine], k: int, explain: bool, rerank: str,
           as_json: bool, path: Path) -> None:
    """One JSON line per query on stdout (the batch format is JSON lines with or without
    --json), in file order; a bad line gets {qid, line, error} there and its error on
    stderr. A progress bar on stderr."""
    with _progress() as bar:
        task = bar.add_task("routing", total=len(lines))
        for item in lines:
            if item.error:
                err_console.print(f"error: {escape(str(path))}:{item.number}: "
                                  f"{escape(item.error)}")
                line: dict[str, Any] = {"qid": item.qid, "line": item.number,
                                        "error": item.error}
            else:
                result = lib.route(item.query, k, explain=explain, reranker=rerank)
                data = result.to_dict()
                line = {"qid": item.qid, "results": data["results"],
                        "abstain": data["abstain"], "latency_ms": data["latency_ms"]}
                if as_json or explain:
                    line.update({k_: v for k_, v in data.items() if k_ not in line})
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            bar.advance(task)
    sys.stdout.flush()


def _print_result(task: str, result: Any, explain: bool) -> None:
    table = Table("#", "skill", "score", "id", title=f"route: {escape(task[:80])}")
    for pos, hit in enumerate(result.results, start=1):
        label = escape(hit.name)
        if hit.alternatives:
            label += f" [dim](+{len(hit.alternatives)} versions)[/dim]"
        table.add_row(str(pos), label, f"{hit.score:.2f}", escape(hit.id))
    console.print(keep_whole(table, "id", "skill"))
    verdict = "abstain: no skill fits well" if result.abstain else "route to the first skill"
    threshold = "none" if result.threshold is None else f"{result.threshold:.2f}"
    console.print(f"{verdict} (confidence {result.confidence:.2f}, threshold {threshold}, "
                  f"{result.latency_ms:.1f} ms)")
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    if explain:
        for hit in result.results:
            console.print(f"[bold]{escape(hit.name)}[/bold]: "
                          f"{escape(json.dumps(hit.explain, ensure_ascii=False))}")
