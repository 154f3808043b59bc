"""``skillyard serve``: the library as an MCP server (stdio or streamable HTTP)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..route.api import RERANKERS
from .common import DbOption, JsonOption, err_console, fail, open_library

EXAMPLES = """
Examples:

  skillyard serve                    # stdio, for an agent host to launch
  skillyard serve --transport http --port 8765   # http://127.0.0.1:8765/mcp
  skillyard serve --policy team-policy.toml --db team.db
  skillyard serve --rerank body      # search_skills also reads skill bodies
  claude mcp add skillyard -- skillyard serve --db ~/skills.db
"""


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    def serve(
        db: DbOption = None,
        transport: Annotated[str, typer.Option(help="stdio or http.")] = "stdio",
        host: Annotated[str, typer.Option(help="Address to listen on (http).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port (http); 0 picks a free one.", min=0,
                                          max=65535)] = 8000,
        policy: Annotated[Path | None, typer.Option(
            help="Audit policy file (TOML): tiers, rules, thresholds.", exists=True,
            dir_okay=False)] = None,
        catalog_budget: Annotated[int, typer.Option(
            help="Characters of catalog in the server instructions (0: none).", min=0)] = 2000,
        auth: Annotated[bool, typer.Option(
            "--auth", help="http: require a registry token (skillyard registry token "
            "create --db ...) as Authorization: Bearer.")] = False,
        insecure_no_auth: Annotated[bool, typer.Option(
            "--insecure-no-auth", help="http: allow a non-loopback address without --auth.")
        ] = False,
        rerank: Annotated[str, typer.Option(
            "--rerank", help="How search_skills reranks: none; body (reads the top "
            "candidates' SKILL.md openings, a few ms more); llm (SKILLYARD_LLM_* endpoint).")
        ] = "none",
        as_json: JsonOption = False,
    ) -> None:
        """Serve the library's policy-allowed skills over MCP (blocked skills are never served)."""
        from ..serve import build_server, open_served, run_http, run_stdio
        from ..serve.run import listen

        if transport not in ("stdio", "http"):
            raise fail(f"unknown transport {transport!r}; use stdio or http", 2)
        if rerank not in RERANKERS:
            raise fail(f"unknown reranker {rerank!r}; use one of: {', '.join(RERANKERS)}", 2)
        if transport == "http" and not auth and not insecure_no_auth and not _loopback(host):
            raise fail(f"refusing to serve {host} without auth: add --auth (registry tokens) "
                       "or --insecure-no-auth", 2)
        sock = listen(host, port) if transport == "http" else None  # fail fast on a busy port
        lib = open_library(db)
        total = len(lib.list())
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
                      "{task.completed}/{task.total}"), TimeElapsedColumn(),
                      console=err_console, transient=True) as bar:
            task = bar.add_task("auditing", total=total)
            served = open_served(lib, policy=policy, reranker=rerank,
                                 progress=lambda n: bar.update(task, completed=n))
            bar.update(task, description="routing index", completed=0, total=None)
            lib.route_index()
            served.warm()
        server = build_server(served, catalog_budget=catalog_budget or None)
        info = {"skills": len(served.skills), "blocked": len(served.blocked),
                "transport": transport, "db": lib.path}

        def ready(url: str | None) -> None:
            if as_json:
                sys.stderr.write(json.dumps({**info, "url": url}) + "\n")
            else:
                where = url or "stdio"
                err_console.print(f"skillyard serving {info['skills']} skills "
                                  f"({info['blocked']} blocked by policy) on {where}")
            sys.stderr.flush()

        try:
            if transport == "stdio":
                ready(None)
                run_stdio(server)
            else:
                wrap = None
                if auth:
                    from ..registry.mcp import BearerGate

                    token_lib = open_library(db)  # its own connection for token checks
                    wrap = lambda app: BearerGate(app, token_lib)  # noqa: E731
                run_http(server, host=host, port=port, on_ready=ready, sock=sock, wrap=wrap)
        finally:
            lib.close()


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
