"""Visible text of simple PDFs (text-showing operators in plain or Flate-compressed content
streams), so instructions hidden in a PDF go through the same analyzers as SKILL.md. Bounded:
streams, expanded bytes and output size are capped; anything unreadable is skipped."""

from __future__ import annotations

import re
import zlib

MAX_STREAMS = 200
MAX_EXPANDED = 8 * 1024 * 1024
MAX_TEXT = 512 * 1024
_STREAM = re.compile(rb"<<(.{0,400}?)>>\s*stream\r?\n", re.S)
_SHOW = re.compile(rb"\((?:\\.|[^\\)]){0,2000}\)\s*(?:Tj|'|\")|\[(?:[^\]]{0,4000})\]\s*TJ", re.S)
_STRING = re.compile(rb"\(((?:\\.|[^\\)]){0,2000})\)", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"", b"f": b"", b"(": b"(", b")": b")",
            b"\\": b"\\"}


def _unescape(raw: bytes) -> bytes:
    def repl(match: re.Match[bytes]) -> bytes:
        code = match.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _ESCAPES.get(code, code)

    return re.sub(rb"\\([0-7]{1,3}|.)", repl, raw, flags=re.S)


def pdf_text(data: bytes) -> str:
    """Text shown by the PDF's content streams, one text operator a line."""
    out: list[str] = []
    expanded = 0
    size = 0
    for count, match in enumerate(_STREAM.finditer(data)):
        if count >= MAX_STREAMS or expanded > MAX_EXPANDED or size > MAX_TEXT:
            break
        end = data.find(b"endstream", match.end())
        if end < 0:
            break
        body = data[match.end():end]
        if b"FlateDecode" in match.group(1):
            try:
                body = zlib.decompressobj().decompress(body, MAX_EXPANDED - expanded)
            except zlib.error:
                continue
        elif b"/Filter" in match.group(1):
            continue  # other filters (images, fonts) carry no readable text
        expanded += len(body)
        for show in _SHOW.finditer(body):
            line = b"".join(_unescape(s.group(1)) for s in _STRING.finditer(show.group(0)))
            text = line.decode("latin-1")
            out.append(text)
            size += len(text)
    return "\n".join(out)
