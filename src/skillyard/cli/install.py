"""``skillyard add / install / update / remove / sync``: lockfile-based installs into agents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .common import DbOption, JsonOption, console, err_console, fail, open_library, print_json

LockOption = Annotated[
    Path,
    typer.Option("--lock", envvar="SKILLYARD_LOCK",
                 help="Lockfile (or its folder); the project root is its folder."),
]
PolicyOption = Annotated[
    Path | None,
    typer.Option("--policy", help="Audit policy file (TOML).", exists=True, dir_okay=False),
]
AllowBlocked = Annotated[
    bool,
    typer.Option("--allow-blocked",
                 help="Install even if the audit blocks it (recorded in the lockfile)."),
]
SignerChange = Annotated[
    bool, typer.Option("--allow-signer-change",
                       help="Accept a verified signer other than the locked one.")
]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Why a blocked skill is allowed (recorded).")
]

ADD_EXAMPLES = """
Examples:

  skillyard add ./my-skills                   # every skill in a folder tree
  skillyard add https://github.com/org/skills.git@v1.2 --skill pdf-tools
  skillyard add git@github.com:me/skills.git  # your own git credentials
  skillyard add file:///srv/skills.git@main
  skillyard add https://docs.example.com      # a site's .well-known index
  skillyard add mcp-builder                   # a skill in the library
"""
INSTALL_EXAMPLES = """
Examples:

  skillyard install                  # restore ./skillyard.lock
  skillyard install --agent claude   # ... and sync it into .claude/skills
"""
UPDATE_EXAMPLES = """
Examples:

  skillyard update                   # every skill: moved branches, newer tags
  skillyard update pdf-tools --ref v2.0
  skillyard update --dry-run --json
"""
SYNC_EXAMPLES = """
Examples:

  skillyard sync --agent claude
  skillyard sync --agent all --scope user --mode symlink
  skillyard sync --agent codex --agent cursor --dry-run --json
"""


def _lock(path: Path) -> Path:
    return path / "skillyard.lock" if path.is_dir() else path


def _project(lock: Path, db: str | None, policy: Path | None):  # noqa: ANN202
    from ..install import Project

    return Project(_lock(lock), open_library(db, create=True), policy=policy)


_WOULD = {"updated": "would update", "installed": "would install", "added": "would add",
          "removed": "would remove", "written": "would write", "linked": "would link",
          "replaced": "would replace", "restored": "would restore"}


def _print_changes(report, title: str, dry_run: bool = False) -> None:  # noqa: ANN001
    if not report.changes:
        console.print(f"{title}: nothing to do")
    for change in report.changes:
        for i, line in enumerate(change.lines()):
            if i == 0 and dry_run:  # a dry run says what it would do, not what it did
                name, _, rest = line.partition(": ")
                status, _, tail = rest.partition("  ")
                line = f"{name}: {_WOULD.get(status, status)}" + (f"  {tail}" if tail else "")
            console.print(escape(line) if i else f"[bold]{escape(line)}[/bold]")


def _print_sync(report, dry_run: bool = False) -> None:  # noqa: ANN001
    colours = {"conflict": "red", "kept": "yellow", "withheld": "yellow", "removed": "magenta"}
    for action in report.actions:
        colour = colours.get(action.action, "green")
        shown = _WOULD.get(action.action, action.action) if dry_run else action.action
        detail = f"  ({escape(action.detail)})" if action.detail else ""
        console.print(f"[{colour}]{shown:9}[/{colour}] {escape(action.agent)}: "
                      f"{escape(action.name)}{detail}")
    if not report.actions:
        console.print("nothing to sync")


def _run_sync(project, agents: list[str], scope: str, mode: str, force: bool,  # noqa: ANN001
              dry_run: bool, as_json: bool) -> None:
    from ..install import Syncer, agent_targets

    targets = agent_targets(agents, scope, project.root)
    report = Syncer(project, mode=mode, force=force, dry_run=dry_run).sync(targets)
    if as_json:
        print_json({"scope": scope, "mode": mode, "dry_run": dry_run, **report.to_dict()})
    else:
        _print_sync(report, dry_run)
    if report.conflicts:
        err_console.print(f"{len(report.conflicts)} skill folder(s) left alone (see above)")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    @app.command(epilog=ADD_EXAMPLES)
    def add(
        source: Annotated[str, typer.Argument(
            help="Folder, git URL[@ref], website (well-known skills index) or library name.")],
        skill: Annotated[list[str] | None, typer.Option(
            "--skill", help="Only this skill (repeatable).")] = None,
        lock: LockOption = Path("skillyard.lock"),
        db: DbOption = None,
        policy: PolicyOption = None,
        allow_blocked: AllowBlocked = False,
        reason: ReasonOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Audit the skills of SOURCE, store them in the library and pin them in the lockfile."""
        project = _project(lock, db, policy)
        with project.library:
            report = project.add(source, names=skill or None, allow_blocked=allow_blocked,
                                 reason=reason)
        if as_json:
            print_json(report.to_dict())
        else:
            _print_changes(report, "add")

    @app.command(epilog=INSTALL_EXAMPLES)
    def install(
        lock: LockOption = Path("skillyard.lock"),
        db: DbOption = None,
        policy: PolicyOption = None,
        agent: Annotated[list[str] | None, typer.Option(
            "--agent", help="Also sync into these agents (see 'sync').")] = None,
        scope: Annotated[str, typer.Option(help="project or user (with --agent).")] = "project",
        allow_signer_change: SignerChange = False,
        as_json: JsonOption = False,
    ) -> None:
        """Restore exactly what the lockfile pins; refuse any digest mismatch (tampering)."""
        project = _project(lock, db, policy)
        with project.library:
            report = project.install(allow_signer_change=allow_signer_change)
            if as_json and not agent:
                print_json(report.to_dict())
            elif not as_json:
                _print_changes(report, "install")
            if agent:
                _run_sync(project, agent, scope, "copy", False, False, as_json)

    @app.command(epilog=UPDATE_EXAMPLES)
    def update(
        name: Annotated[str | None, typer.Argument(help="One locked skill (default: all).")]
        = None,
        ref: Annotated[str | None, typer.Option(help="Move NAME to this git ref.")] = None,
        lock: LockOption = Path("skillyard.lock"),
        db: DbOption = None,
        policy: PolicyOption = None,
        allow_blocked: AllowBlocked = False,
        reason: ReasonOption = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, do not write.")] = False,
        allow_signer_change: SignerChange = False,
        as_json: JsonOption = False,
    ) -> None:
        """Move locked skills to newer refs, re-audit, and show what changed."""
        project = _project(lock, db, policy)
        with project.library:
            report = project.update(name, ref=ref, allow_blocked=allow_blocked, reason=reason,
                                    dry_run=dry_run, allow_signer_change=allow_signer_change)
        if as_json:
            print_json({"dry_run": dry_run, **report.to_dict()})
        else:
            _print_changes(report, "update", dry_run)
        if any(c.status == "refused" for c in report.changes):
            raise typer.Exit(1)

    @app.command(epilog="\nExamples:\n\n  skillyard remove pdf-tools && skillyard sync "
                        "--agent all\n")
    def remove(
        names: Annotated[list[str], typer.Argument(help="Locked skills to remove.")],
        lock: LockOption = Path("skillyard.lock"),
        as_json: JsonOption = False,
    ) -> None:
        """Remove skills from the lockfile (then 'sync' removes them from agent folders)."""
        from ..install import Project

        project = Project(_lock(lock), None)  # the lockfile alone
        report = project.remove(names)
        if as_json:
            print_json(report.to_dict())
        else:
            _print_changes(report, "remove")

    @app.command(epilog=SYNC_EXAMPLES)
    def sync(
        agent: Annotated[list[str], typer.Option(
            "--agent", help="An agent name or alias from 'skillyard agents --all', or all "
            "(every detected agent); repeatable.")],
        scope: Annotated[str, typer.Option(help="project (next to the lockfile) or user (~).")]
        = "project",
        mode: Annotated[str, typer.Option(help="copy, or symlink to one project copy.")]
        = "copy",
        force: Annotated[bool, typer.Option(
            help="Replace or remove copies edited since sync wrote them.")] = False,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, do not write.")] = False,
        lock: LockOption = Path("skillyard.lock"),
        db: DbOption = None,
        policy: PolicyOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Write the locked skills into agents' skill folders; remove what is no longer locked."""
        if scope not in ("project", "user"):
            raise fail(f"unknown scope {scope!r}; use project or user", 2)
        if mode not in ("copy", "symlink"):
            raise fail(f"unknown mode {mode!r}; use copy or symlink", 2)
        project = _project(lock, db, policy)
        with project.library:
            _run_sync(project, agent, scope, mode, force, dry_run, as_json)
