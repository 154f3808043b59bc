"""Load skills from a git repository at a ref, keeping the resolved commit in provenance.

Works with local paths and ``file://`` URLs, and with https/ssh URLs through the user's own git
credentials. The repository is cloned into a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

from ..errors import SourceError
from ..provenance.gitsig import EXTRA_KEY, capture
from ..skill import Provenance
from .folders import load_tree
from .result import LoadResult

_REMOTE = re.compile(r"^(?:git\+)?(?:https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


def looks_like_git(spec: str) -> bool:
    return bool(_REMOTE.match(spec)) or spec.startswith("git:") or spec.endswith(".git")


def split_ref(spec: str) -> tuple[str, str | None]:
    """Split ``URL[@REF]``: the last '@' starts a ref unless what follows looks like a host."""
    spec = spec.removeprefix("git:").removeprefix("git+")
    head, sep, ref = spec.rpartition("@")
    if not sep or not head or ":" in ref or not ref:
        return spec, None
    if re.match(r"^[\w.-]+$", head):  # user@host with no path: not a ref
        return spec, None
    return head, ref


def run_git(*args: str, cwd: Path | None = None) -> str:
    """Run git with the user's own credentials, never prompting; failures are SourceErrors."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "echo"}
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
            check=False, encoding="utf-8", errors="surrogateescape",  # paths are bytes
        )
    except FileNotFoundError:
        raise SourceError("git is not installed (needed for git sources)") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"git {args[0]} timed out") from None
    if proc.returncode != 0:
        message = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        raise SourceError(f"git {args[0]}: {message}")
    return proc.stdout.strip()


def resolve_commit(repo: Path, ref: str | None) -> str:
    """Resolve a ref (branch, tag, sha; default HEAD) in a clone to a full commit sha."""
    candidates = [ref or "HEAD"]
    if ref:
        candidates.append(f"origin/{ref}")
    for candidate in candidates:
        try:
            return run_git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", cwd=repo)
        except SourceError:
            continue
    raise SourceError(f"ref {ref!r} not found in the repository")


def load_git(spec: str, *, strict: bool = False, subdir: str = "") -> Iterator[LoadResult]:
    """Clone ``URL[@REF]``, check out the resolved commit and load every skill in it."""
    url, ref = split_ref(spec)
    if url.startswith("file://"):  # one identity for a local repository, however it is named
        url = unquote(url.removeprefix("file://"))
    local = Path(url)
    if not re.match(r"^\w[\w+.-]*://|^[\w.-]+@", url):
        if not local.exists():
            raise SourceError(f"{url}: no such git repository")
        url = str(local.resolve())
    with tempfile.TemporaryDirectory(prefix="skillyard-git-") as tmp:
        checkout = Path(tmp) / "repo"
        run_git("clone", "--quiet", "--no-checkout", "--", url, str(checkout))
        commit = resolve_commit(checkout, ref)
        run_git("-c", "advice.detachedHead=false", "checkout", "--quiet", commit, cwd=checkout)
        root = checkout / subdir if subdir else checkout
        signed = capture(checkout, commit, ref)
        prov = Provenance(source=url, kind="git", ref=ref, commit=commit,
                          extra={EXTRA_KEY: signed} if signed else {})
        prefix = f"git:{url}"
        yield from load_tree(
            root, strict=strict, id_prefix=prefix, id_sep="#", provenance=prov
        )
