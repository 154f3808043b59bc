"""Trajectory importers: detect a file's format and read it into :class:`Trajectory` values.

Formats: ``openai`` (chat messages with tool calls; τ-bench's historical trajectories are read by
it too, alias ``tau-bench``), ``claude-code`` (session JSONL), ``swe-agent`` (``.traj``),
``otel`` (OpenTelemetry GenAI spans as OTLP/JSON or flat JSON) and ``generic`` (skillyard's
documented JSONL, see :mod:`.generic`). ``auto`` looks at the suffix and the first record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import TrajectoryError
from ..model import Trajectory
from . import claude_code, generic, openai_chat, otel, swe_agent
from ._read import iter_jsonl, load_json, may_hold_surrogates, read_text, text_only

FORMATS = ("auto", "openai", "tau-bench", "claude-code", "swe-agent", "otel", "generic")
SUFFIXES = (".json", ".jsonl", ".ndjson", ".traj", ".json.gz", ".jsonl.gz")
_JSONL = (".jsonl", ".ndjson", ".jsonl.gz")

__all__ = ["FORMATS", "detect_value", "load_file", "load_paths"]


def _is_jsonl(path: Path, text: str) -> bool:
    name = path.name.lower()
    if name.endswith(_JSONL):
        return True
    if name.endswith(".traj"):
        return False
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return len(lines) > 1 and lines[0].lstrip().startswith("{") and lines[0].rstrip().endswith("}")


def detect_value(value: Any) -> str | None:
    """The format a parsed record or document looks like, or None."""
    first = value[0] if isinstance(value, list) and value else value
    if claude_code.looks_like(first):
        return "claude-code"
    if otel.looks_like(value):
        return "otel"
    if swe_agent.looks_like(first):
        return "swe-agent"
    if generic.looks_like(first):
        return "generic"
    if openai_chat.looks_like_tau(first) or openai_chat.is_message(first) or (
        isinstance(first, dict) and isinstance(first.get("messages"), list)
    ):
        return "openai"
    return None


def _dispatch_lines(path: Path, fmt: str, lines: list[tuple[int, Any]]) -> list[Trajectory]:
    if fmt == "claude-code":
        return claude_code.load_lines(path, lines)
    if fmt == "generic":
        return generic.load_lines(path, lines)
    if fmt == "otel":
        return otel.load(path, None, lines)
    if fmt == "openai":
        return openai_chat.load_lines(path, lines)
    if fmt == "swe-agent":
        out = []
        for number, value in lines:
            out.extend(swe_agent.load(Path(f"{path}:{number}"), value))
        return out
    raise TrajectoryError(f"{path}: unknown format {fmt!r}")


def _dispatch(path: Path, fmt: str, value: Any) -> list[Trajectory]:
    if fmt == "swe-agent":
        return swe_agent.load(path, value)
    if fmt == "otel":
        return otel.load(path, value)
    if fmt == "generic":
        return generic.load(path, value)
    if fmt == "openai":
        return openai_chat.load(path, value)
    if fmt == "claude-code":
        records = value if isinstance(value, list) else [value]
        return claude_code.load_lines(path, list(enumerate(records, start=1)))
    raise TrajectoryError(f"{path}: unknown format {fmt!r}")


def load_file(path: str | Path, fmt: str = "auto") -> list[Trajectory]:
    """Every trajectory in one file; raise TrajectoryError naming the bad record."""
    try:
        return _load_file(Path(path), fmt)
    except RecursionError:  # hostile nesting: one clear error, not a crash
        raise TrajectoryError(f"{path}: nested too deeply to be a trajectory file") from None


def _load_file(path: Path, fmt: str) -> list[Trajectory]:
    if fmt not in FORMATS:
        raise TrajectoryError(f"unknown trajectory format {fmt!r}; use one of "
                              f"{', '.join(FORMATS)}")
    fmt = "openai" if fmt == "tau-bench" else fmt
    if not path.is_file():
        raise TrajectoryError(f"{path}: no such file")
    text = read_text(path)
    if not text.strip():
        raise TrajectoryError(f"{path}: empty file")
    runs = _read_runs(path, fmt, text)
    # free text, unlike a skill's files: a stray surrogate is read as U+FFFD, not refused
    return [text_only(run) for run in runs] if may_hold_surrogates(text) else runs


def _read_runs(path: Path, fmt: str, text: str) -> list[Trajectory]:
    if _is_jsonl(path, text):
        lines = list(iter_jsonl(path, text))
        if not lines:
            raise TrajectoryError(f"{path}: no records")
        found = fmt if fmt != "auto" else detect_value(lines[0][1])
        if found is None:
            raise TrajectoryError(f"{path}:{lines[0][0]}: cannot tell the trajectory format of "
                                  "this record; pass --format")
        return _dispatch_lines(path, found, lines)
    value = load_json(path, text)
    found = fmt if fmt != "auto" else detect_value(value)
    if found is None:
        raise TrajectoryError(f"{path}: cannot tell the trajectory format; pass --format "
                              f"({', '.join(FORMATS[1:])})")
    return _dispatch(path, found, value)


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.name.lower().endswith(SUFFIXES))
            if not found:
                raise TrajectoryError(f"{path}: no trajectory files ({', '.join(SUFFIXES)})")
            out.extend(found)
        elif path.exists():
            out.append(path)
        else:
            raise TrajectoryError(f"{path}: no such file or folder")
    return out


def load_paths(
    paths: Iterable[str | Path],
    fmt: str = "auto",
    progress: Callable[[Path, int], None] | None = None,
    unreadable: list[tuple[str, str]] | None = None,
) -> list[Trajectory]:
    """Trajectories from files and folders (searched for trajectory files), ids made unique.
    With ``unreadable``, a bad file is recorded there (path, reason) and the rest are read."""
    out: list[Trajectory] = []
    seen: dict[str, int] = {}
    for path in _expand(paths):
        try:
            loaded = load_file(path, fmt)
        except TrajectoryError as exc:
            if unreadable is None:
                raise
            unreadable.append((str(path), str(exc)))
            continue
        for traj in loaded:
            count = seen.get(traj.id, 0)
            seen[traj.id] = count + 1
            out.append(traj if count == 0 else replace(traj, id=f"{traj.id}~{count + 1}"))
        if progress is not None:
            progress(path, len(loaded))
    return out
