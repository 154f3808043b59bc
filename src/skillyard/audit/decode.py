"""Decode embedded base64 and hex blobs that hold readable text, so that the shell and text
rules see what a one-liner would really run."""

from __future__ import annotations

import base64
import binascii
import re

from .content import TextUnit
from .mdparse import LineIndex, Segment, is_quoted, segment_at

_B64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{32,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9a-fA-F]{2}){24,}(?![0-9A-Fa-f])")
MAX_BLOBS = 40
MAX_BLOB_CHARS = 64 * 1024
_PRINTABLE = set(range(32, 127)) | {9, 10, 13}


def _readable(raw: bytes) -> str | None:
    if len(raw) < 12:
        return None
    good = sum(1 for b in raw if b in _PRINTABLE)
    if good / len(raw) < 0.95:
        return None
    text = raw.decode("ascii", "replace")
    if " " not in text and "/" not in text and "\n" not in text:
        return None  # an identifier or hash, not a command
    return text


def decoded_units(unit: TextUnit, index: LineIndex, segs: list[Segment] | None,
                  depth: int = 0) -> list[TextUnit]:
    """Readable text hidden in base64/hex blobs of ``unit`` (two levels deep at most)."""
    if depth > 1 or (len(unit.text) < 32):
        return []
    out: list[TextUnit] = []
    blobs = 0
    for regex, decode in ((_B64, _b64), (_HEX, binascii.unhexlify)):
        for match in regex.finditer(unit.text):
            if len(match.group(0)) > MAX_BLOB_CHARS:
                continue
            blobs += 1
            if blobs > MAX_BLOBS:
                return out
            try:
                raw = decode(match.group(0))
            except (binascii.Error, ValueError):
                continue
            text = _readable(raw)
            if text is None:
                continue
            seg = segment_at(segs, match.start()) if segs else None
            line = index.line(match.start()) + unit.line_offset
            # A blob inside a string literal, a code sample or a quote is data someone shows;
            # what it says to a model is softened (what it would run is not).
            as_data = unit.origin == "decoded-data" or (seg is not None and seg.kind == "code") \
                or unit.lang not in ("markdown", "text", "shell") \
                or is_quoted(unit.text, match.start(), match.end(), seg)
            child = TextUnit(unit.path, text, "shell", line_offset=line - 1,
                             flow=unit.flow or (seg.flow if seg else unit.path),
                             origin="decoded-data" if as_data else "decoded")
            out.append(child)
            out.extend(decoded_units(child, LineIndex(text), None, depth + 1))
    return out


def _b64(blob: str) -> bytes:
    padded = blob + "=" * (-len(blob) % 4)
    return base64.b64decode(padded, validate=True)
