"""Remote refs of a git repository, and which ref ``skillyard update`` should move to.

Rules: a branch (or no ref: the default branch) is re-resolved to its current commit; a tag
that looks like a version (``v1.2``, ``1.2.3``, ``release-2``) moves to the highest tag with
the same prefix; any other tag or a commit id stays where it is unless ``--ref`` says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..sources.git import run_git

_VERSION = re.compile(r"^(?P<prefix>[A-Za-z._-]*?)(?P<num>\d+(?:\.\d+)*)(?P<rest>[-+].*)?$")


@dataclass(frozen=True)
class RemoteRefs:
    branches: dict[str, str]
    tags: dict[str, str]  # tag -> commit (peeled for annotated tags)
    head: str | None


def ls_remote(url: str) -> RemoteRefs:
    """Branches, tags and HEAD of a repository, through the user's git and credentials."""
    output = run_git("ls-remote", "--symref", url, "HEAD", "refs/heads/*", "refs/tags/*")
    branches: dict[str, str] = {}
    tags: dict[str, str] = {}
    head = None
    for line in output.splitlines():
        if line.startswith("ref:"):
            continue
        sha, _, ref = line.partition("\t")
        if ref == "HEAD":
            head = sha
        elif ref.startswith("refs/heads/"):
            branches[ref.removeprefix("refs/heads/")] = sha
        elif ref.startswith("refs/tags/"):
            name = ref.removeprefix("refs/tags/")
            if name.endswith("^{}"):
                tags[name[:-3]] = sha  # the peeled commit wins over the tag object
            else:
                tags.setdefault(name, sha)
    return RemoteRefs(branches, tags, head)


def version_key(tag: str) -> tuple[str, tuple[int, ...], bool] | None:
    """(prefix, numbers, is_release) for version-like tags, else None."""
    match = _VERSION.match(tag)
    if not match:
        return None
    numbers = tuple(int(n) for n in match["num"].split("."))
    return match["prefix"], numbers, not (match["rest"] or "").startswith("-")


def newest_tag(current: str, tags: list[str]) -> str:
    """The highest release tag with the same prefix as ``current`` (or ``current`` itself)."""
    key = version_key(current)
    if key is None:
        return current
    best, best_key = current, key
    for tag in tags:
        other = version_key(tag)
        if other is None or other[0] != key[0] or not other[2]:
            continue
        if (other[1], other[2]) > (best_key[1], best_key[2]):
            best, best_key = tag, other
    return best


def next_ref(ref: str | None, refs: RemoteRefs) -> tuple[str | None, str]:
    """The ref to update to, and why."""
    if ref is None:
        return None, "default branch"
    if ref in refs.branches:
        return ref, "branch"
    if ref in refs.tags:
        newer = newest_tag(ref, list(refs.tags))
        return newer, "newer tag" if newer != ref else "tag"
    return ref, "pinned commit"
