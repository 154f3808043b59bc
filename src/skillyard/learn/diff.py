"""A readable unified diff between two skill folders (path -> text)."""

from __future__ import annotations

import difflib

from ..skill import SKILL_FILE


def _order(paths: set[str]) -> list[str]:
    return sorted(paths, key=lambda p: (p != SKILL_FILE, p))


def folder_diff(old: dict[str, str], new: dict[str, str], label: str = "skill") -> str:
    """Unified diff of every file that changed, SKILL.md first; empty when nothing did."""
    chunks = []
    for path in _order(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        lines = difflib.unified_diff(
            (before or "").splitlines(keepends=True), (after or "").splitlines(keepends=True),
            fromfile=f"a/{label}/{path}" if before is not None else "/dev/null",
            tofile=f"b/{label}/{path}" if after is not None else "/dev/null", n=2,
        )
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        chunks.append(text)
    return "".join(chunks)


def diff_stats(diff: str) -> tuple[int, int]:
    """(lines added, lines removed) in a unified diff."""
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed
