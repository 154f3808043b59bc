"""``skillyard list`` and ``skillyard show``: look at what the library holds."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..provenance.record import signer_of
from .common import DbOption, JsonOption, console, keep_whole, open_library, print_json


def register(app: typer.Typer) -> None:
    @app.command("list", epilog="Examples:\n\n  skillyard list\n\n  skillyard list --json")
    def list_skills(db: DbOption = None, as_json: JsonOption = False) -> None:
        """List every skill in the library (current versions)."""
        with open_library(db) as lib:
            rows = lib.list()
        if as_json:
            print_json([r.to_dict() for r in rows])
            return
        table = Table("name", "id", "ver", "warn", "description", show_lines=False)
        for row in rows:
            desc = row.description if len(row.description) <= 70 else row.description[:69] + "…"
            table.add_row(escape(row.name), escape(row.id), str(row.version), str(row.warnings),
                          escape(desc))
        console.print(keep_whole(table, "id"))
        console.print(f"{len(rows)} skills")

    @app.command(epilog="Examples:\n\n  skillyard show mcp-builder\n\n"
                 "  skillyard show dir:/path/to/skill --version 1 --json")
    def show(
        ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="A skill id or name.")],
        version: Annotated[
            int | None, typer.Option(help="A past version number.", min=1)
        ] = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Show one skill: frontmatter, files, provenance, versions and diagnostics."""
        with open_library(db) as lib:
            skill = lib.get(ref, version)
            versions = lib.versions(skill.id)
        current = max(v.version for v in versions)
        shown = version or current
        if as_json:
            print_json({
                **skill.to_dict(), "version": shown,
                "versions": [asdict(v) for v in versions],
            })
            return
        console.print(f"[bold]{escape(skill.name)}[/bold]  ({escape(skill.id)})")
        console.print(f"version {shown} of {current} · digest {skill.digest[:16]}…")
        console.print(escape(skill.description))
        prov = skill.provenance
        where = prov.source + (f" @ {prov.commit[:12]}" if prov.commit else "")
        console.print(f"source: {escape(prov.kind)} {escape(where)}")
        if signer := signer_of(skill):
            console.print(f"signer: {escape(signer.get('identity', ''))} "
                          f"({escape(signer['fingerprint'])}, verified when stored)")
        table = Table("file", "size", "sha256", title="files")
        for entry in skill.files:
            label = entry.path + (f" -> {entry.target}" if entry.target else "")
            table.add_row(escape(label), str(entry.size), entry.sha256[:16])
        console.print(table)
        for diag in skill.diagnostics:
            console.print(f"{diag.level}: {escape(diag.message)}")
