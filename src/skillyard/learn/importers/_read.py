"""Reading JSON and JSONL trajectory files with errors that name the broken record."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...utf8 import readable
from ..errors import TrajectoryError

MAX_FILE_BYTES = 2 * 1024**3
_decoder = json.JSONDecoder()
_WS = " \t\r\n"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def read_text(path: Path) -> str:
    """The file's text (``.gz`` transparently), or one clear error."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TrajectoryError(f"{path}: cannot read ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise TrajectoryError(f"{path}: {size} bytes is over the {MAX_FILE_BYTES} byte limit")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError) as exc:
        raise TrajectoryError(f"{path}: cannot read ({exc}); the file may be truncated") from None
    if b"\0" in data[:4096]:
        raise TrajectoryError(f"{path}: binary data, not a JSON trajectory file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrajectoryError(f"{path}: not UTF-8 (invalid byte at offset {exc.start})") from None


def may_hold_surrogates(text: str) -> bool:
    """The JSON text has a ``\\udXXX`` escape: one without its pair decodes to a lone
    surrogate, a string that cannot be stored, hashed or printed as UTF-8."""
    return _SURROGATE_ESCAPE.search(text) is not None


def text_only(value: Any) -> Any:
    """``value`` (strings, lists, tuples, dicts, dataclasses such as a Trajectory) with every
    lone surrogate in its strings read as U+FFFD."""
    if isinstance(value, str):
        return readable(value)
    if isinstance(value, list | tuple):
        return type(value)(text_only(v) for v in value)
    if isinstance(value, dict):
        return {text_only(k): text_only(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: text_only(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    return value


def _truncated(text: str, exc: json.JSONDecodeError) -> bool:
    """The parser ran off the end of the text (an unterminated string also reaches the end)."""
    return exc.pos >= len(text.rstrip(_WS)) or exc.msg.startswith("Unterminated string")


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line} column {col}"


def load_json(path: Path, text: str) -> Any:
    """Parse a whole JSON document; a top-level list is parsed record by record so that a
    truncated or broken file names the record where it breaks."""
    start = len(text) - len(text.lstrip(_WS))
    if start >= len(text):
        raise TrajectoryError(f"{path}: empty file")
    if text[start] != "[":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            hint = "; the file is truncated" if _truncated(text, exc) else ""
            raise TrajectoryError(
                f"{path}: not valid JSON at {_where(text, exc.pos)} ({exc.msg}){hint}"
            ) from None
    return list(iter_array(path, text, start))


def iter_array(path: Path, text: str, start: int) -> Iterator[Any]:
    pos = start + 1
    end = len(text)
    index = 0
    while True:
        while pos < end and text[pos] in _WS:
            pos += 1
        if pos >= end:
            raise TrajectoryError(f"{path}: truncated after record {index} (no closing ']')")
        if text[pos] == "]" and index == 0:
            return
        try:
            value, pos = _decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            what = "truncated" if _truncated(text, exc) else "not valid JSON"
            raise TrajectoryError(
                f"{path}: record {index} is {what} at {_where(text, exc.pos)} ({exc.msg})"
            ) from None
        yield value
        index += 1
        while pos < end and text[pos] in _WS:
            pos += 1
        if pos >= end:
            raise TrajectoryError(f"{path}: truncated after record {index - 1} (no closing ']')")
        if text[pos] == "]":
            rest = text[pos + 1:].strip(_WS)
            if rest:
                raise TrajectoryError(f"{path}: unexpected data after the closing ']'")
            return
        if text[pos] != ",":
            raise TrajectoryError(
                f"{path}: expected ',' after record {index - 1} at {_where(text, pos)}"
            )
        pos += 1


def iter_jsonl(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    """(line number, value) for every non-blank line; a bad line is named in the error."""
    lines = text.split("\n")
    last = len(lines)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            truncated = number >= last - 1 and not text.endswith("\n")
            why = "truncated" if truncated else "not valid JSON"
            raise TrajectoryError(f"{path}:{number}: line is {why} ({exc.msg})") from None


def require(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    """Return ``value`` if it has the expected type, else raise an error naming the record."""
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        got = type(value).__name__ if value is not None else "nothing"
        raise TrajectoryError(f"{where}: {what} should be {_article(names)}, got {got}")
    return value


def _article(names: str) -> str:
    mapping = {"dict": "an object", "list": "a list", "str": "a string", "int": "an integer",
               "float": "a number"}
    return " or ".join(mapping.get(n, n) for n in names.split(" or "))


def text_of(content: Any) -> str:
    """Flatten message content (a string, or a list of text/content blocks) to text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict):
                if isinstance(block.get("text"), str):
                    parts.append(block["text"])
                elif isinstance(block.get("content"), (str, list)):
                    parts.append(text_of(block["content"]))
        return "\n".join(p for p in parts if p)
    if isinstance(content, dict):
        return text_of(content.get("text") or content.get("content"))
    return str(content)


def decode_arguments(raw: Any) -> Any:
    """Tool-call arguments as JSON when they parse, else the raw text."""
    if isinstance(raw, str):
        stripped = raw.strip()
        if stripped[:1] in ("{", "["):
            try:
                return json.loads(stripped)
            except json.JSONDecodeError:
                return raw
        return raw
    return raw
