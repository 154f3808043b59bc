"""Text that can be written as UTF-8.

A Python string may hold a lone surrogate (U+D800-U+DFFF): a JSON ``"\\ud800"`` escape without
its pair decodes to one, and the OS hands over a file name or an argument byte that is not
UTF-8 as one (``surrogateescape``). Such a string cannot be encoded as UTF-8, which SQLite,
PostgreSQL, the tokenizers, hashing and printing all need. Skill content that holds one is
refused where it is loaded; free text (a query, a trajectory, a token's name) is read with
U+FFFD in its place, as a UTF-8 decoder reads a broken byte.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
# what a refusal says about a string ``not_text_at`` found
NOT_TEXT = "holds a NUL or a lone surrogate (a \\udXXX escape without its pair): not text"
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def is_utf8(text: str) -> bool:
    """``text`` has no lone surrogate, so it can be encoded as UTF-8."""
    return _SURROGATE.search(text) is None


def readable(text: str) -> str:
    """``text`` with every lone surrogate read as U+FFFD."""
    return text if _SURROGATE.search(text) is None else _SURROGATE.sub(REPLACEMENT, text)


def shown(text: str) -> str:
    """``text`` for a one-line message: a byte that was not UTF-8 as ``\\xNN`` (as ``ls -b``
    shows it), another lone surrogate as ``\\udNNN``, a control character as ``\\xNN``."""
    if is_utf8(text) and _CONTROL.search(text) is None:
        return text
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def not_text_at(value: Any, where: str = "", *, allow_nul: bool = False) -> str | None:
    """Where in a JSON-like value the first string (key or value) that is not text is, as
    ``a.b[2]``: one with a lone surrogate, or (unless ``allow_nul``) a NUL, which
    PostgreSQL's text and file paths cannot hold. None when every string is text."""
    if isinstance(value, str):
        bad = not is_utf8(value) or (not allow_nul and "\x00" in value)
        return (where or "the value") if bad else None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = not_text_at(item, f"{where}[{index}]", allow_nul=allow_nul)
            if found:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            place = f"{where}.{shown(str(key))}" if where else shown(str(key))
            found = (not_text_at(key, place, allow_nul=allow_nul)
                     or not_text_at(item, place, allow_nul=allow_nul))
            if found:
                return found
    return None
