"""Sources of skills: folder trees, agent folders, git repositories and JSONL corpora.

``open_source(spec)`` turns one command-line SOURCE into an iterator of LoadResults:

- ``agents`` or ``agents:PROJECT`` — the standard agent skill folders (user and project);
- a ``.jsonl`` / ``.jsonl.gz`` file — a corpus of records;
- ``https://site`` (not a git URL) or ``wellknown:URL`` — a website's well-known skills index;
- ``file://...``, ``https://...``, ``git@host:...``, ``git:PATH`` with optional ``@REF`` — git;
- any other existing path — a folder tree (or a single skill folder).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import SourceError
from .agents import AGENT_FOLDERS, agent_dirs, load_agent_folders
from .corpus import is_corpus_path, load_corpus
from .folders import find_skill_dirs, load_skill_dir, load_tree
from .git import load_git, looks_like_git
from .result import LoadResult
from .wellknown import NoIndexError, is_site_url, load_site

__all__ = [
    "AGENT_FOLDERS", "LoadResult", "agent_dirs", "find_skill_dirs", "load_agent_folders",
    "load_corpus", "load_git", "load_skill_dir", "load_tree", "open_source",
]


def open_source(spec: str, *, strict: bool = False) -> Iterator[LoadResult]:
    """Yield LoadResults for one SOURCE specification (see the module docstring)."""
    if not spec.strip():
        raise SourceError("empty source: give a folder, corpus file, git URL or 'agents'")
    if spec == "agents" or spec.startswith("agents:"):
        project = spec.partition(":")[2] or "."
        return load_agent_folders(Path(project).resolve(), strict=strict)
    path = Path(spec)
    if path.exists():
        if path.is_file() and is_corpus_path(spec):
            return load_corpus(path, strict=strict)
        if path.is_file():
            raise SourceError(f"{spec}: a file, but not a .jsonl or .jsonl.gz corpus")
        return load_tree(path, strict=strict)
    if is_site_url(spec):
        return _site_or_git(spec, strict=strict)
    if looks_like_git(spec) or "@" in spec:
        return load_git(spec, strict=strict)
    raise SourceError(f"{spec}: no such file, folder or repository")


def _site_or_git(spec: str, *, strict: bool) -> Iterator[LoadResult]:
    """A website's skills index; a URL whose site has none is tried as a git repository
    (self-hosted git servers need no .git suffix)."""
    try:
        results = list(load_site(spec, strict_integrity=False))
    except NoIndexError as exc:
        if spec.startswith("wellknown:"):
            raise
        try:
            yield from load_git(spec, strict=strict)
        except SourceError as git_exc:
            raise SourceError(f"{exc}; as a git repository: {git_exc}") from None
        return
    yield from results
