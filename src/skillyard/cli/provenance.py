"""``skillyard sign`` and ``skillyard verify-signature``: SSH signatures over a skill's digest
(see docs/signing.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .common import (
    EXIT_FINDING,
    EXIT_USAGE,
    DbOption,
    JsonOption,
    console,
    err_console,
    fail,
    open_library,
    print_json,
)

SIGN_EXAMPLES = """
Examples:

  skillyard sign ./my-skill --key ~/.ssh/id_ed25519
  skillyard sign ./skills/* --key ./release-key --json
"""
VERIFY_EXAMPLES = """
Examples:

  skillyard verify-signature ./my-skill \\
    --allowed-signers ~/.config/git/allowed_signers
  skillyard verify-signature ./my-skill --policy audit-policy.toml --json

Exit codes: 0 verified; 1 not signed, not trusted or not valid (the reason names the skill,
the file or the key); 2 a usage error (no such folder, unreadable allowed-signers file).
"""

SBOM_EXAMPLES = """
Examples:

  skillyard sbom                 # CycloneDX 1.6 JSON of ./skillyard.lock
  skillyard sbom --lock ./proj -o sbom.cdx.json
"""


def _signers(policy: Path | None, allowed: Path | None,  # noqa: ANN202
             revoked: Path | None = None):
    from ..audit import load_policy, load_rules
    from ..provenance import AllowedSigners
    from ..provenance.revocation import RevocationError, load_revocation

    signers = AllowedSigners()
    require = False
    if policy is not None:
        loaded = load_policy(policy, load_rules())
        signers, require = loaded.allowed_signers, loaded.require_signature
    if allowed is not None:
        signers = signers + AllowedSigners.from_file(allowed)
    if revoked is not None:
        try:
            signers = signers.with_revoked(load_revocation(revoked))
        except RevocationError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
    return signers, require


def _skills(paths: list[Path]):  # noqa: ANN202
    from ..errors import SkillLoadError
    from ..sources.folders import find_skill_dirs, load_skill_dir

    for path in paths:
        folders = list(find_skill_dirs(path))
        if not folders:
            raise fail(f"{path}: no SKILL.md found", EXIT_USAGE)
        for folder in folders:
            try:
                yield folder, load_skill_dir(folder)
            except SkillLoadError as exc:
                raise fail(f"{folder}: {exc.reason}", EXIT_USAGE) from None


def register(app: typer.Typer) -> None:
    @app.command(epilog=SIGN_EXAMPLES)
    def sign(
        paths: Annotated[list[Path], typer.Argument(help="Skill folders (or trees of them).")],
        key: Annotated[Path, typer.Option("--key", help="Private SSH key file (ssh-keygen's "
                                          "-f); an ssh-agent key via its .pub file.")],
        as_json: JsonOption = False,
    ) -> None:
        """Sign each skill: write SKILL.sig, an SSH signature (namespace skillyard-skill@v1)
        over the skill's digest and file manifest."""
        from ..sources.sign import sign_folder

        results = []
        for folder, _skill in list(_skills(paths)):
            check = sign_folder(folder, key)
            results.append({"path": str(folder), **check.to_dict()})
            if not as_json:
                console.print(f"signed {escape(str(folder))}: digest {check.digest[:16]}… "
                              f"key {escape(check.fingerprint or '?')}")
        if as_json:
            print_json({"signed": results})

    @app.command("verify-signature", epilog=VERIFY_EXAMPLES)
    def verify_signature(
        paths: Annotated[list[Path], typer.Argument(help="Skill folders (or trees of them).")],
        policy: Annotated[Path | None, typer.Option(
            "--policy", help="Audit policy (TOML): its [[signers]] keys and [signing] file.",
            exists=True, dir_okay=False)] = None,
        allowed_signers: Annotated[Path | None, typer.Option(
            "--allowed-signers", help="An allowed_signers file in git's format.",
            exists=True, dir_okay=False)] = None,
        revoked: Annotated[Path | None, typer.Option(
            "--revoked", help="Revoked keys: an OpenSSH KRL or a list of fingerprints.",
            exists=True, dir_okay=False)] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Explain each skill's signature: who signed it, and whether it still verifies."""
        from ..provenance import verify_skill

        signers, require = _signers(policy, allowed_signers, revoked)
        results, bad = [], 0
        for folder, skill in list(_skills(paths)):
            check = verify_skill(skill, signers)
            if not check.verified and (check.status != "unsigned" or require or signers):
                bad += 1
            results.append({"path": str(folder), **check.to_dict()})
            if not as_json:
                colour = {"verified": "green", "unsigned": "yellow"}.get(check.status, "red")
                console.print(f"[{colour}]{check.status:10}[/{colour}] "
                              f"{escape(check.message().replace(skill.id, str(folder), 1))}")
        if as_json:
            print_json({"skills": results, "allowed_signers": len(signers.lines)})
        if bad:
            raise typer.Exit(EXIT_FINDING)

    @app.command(epilog=SBOM_EXAMPLES)
    def sbom(
        lock: Annotated[Path, typer.Option(
            "--lock", envvar="SKILLYARD_LOCK", help="Lockfile (or its folder).")]
        = Path("skillyard.lock"),
        db: DbOption = None,
        output: Annotated[Path | None, typer.Option(
            "--output", "-o", help="Write here instead of stdout.")] = None,
    ) -> None:
        """Write a CycloneDX 1.6 JSON SBOM of the lockfile: each skill a component with its
        digest and file hashes, source, commit, license, audit verdict and signer."""
        from ..install.lockfile import LOCK_NAME, read_lock
        from ..install.sbom import sbom_json

        path = lock / LOCK_NAME if lock.is_dir() else lock
        locked = read_lock(path)
        library = None
        if db is not None or default_location_exists():
            library = open_library(db)
        try:
            text = sbom_json(locked, library)
        finally:
            if library is not None:
                library.close()
        if output is None:
            sys.stdout.write(text + "\n")
        else:
            output.write_text(text + "\n", encoding="utf-8")
            err_console.print(f"wrote {len(locked.skills)} skill(s) to {output}")


def default_location_exists() -> bool:
    """Is there a library at the default place (read it for licenses; never create one)?"""
    from ..library import default_location

    where = default_location()
    return "://" in where or Path(where).exists()
