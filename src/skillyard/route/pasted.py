"""Leave pasted material out of what a request is searched by.

"Review this: ```...```" or 'Edit our homepage copy: "..."' asks for one thing and carries
another: the code, the email, the copy. Searched whole, the material outweighs the ask (a
function's identifiers match whatever skill shares them). Fenced code blocks and long
quotations are dropped from what the request is searched by; the rest, the ask, is searched
as usual. The router then searches the whole request as well and adds its fused scores at
``RouteSettings.pasted_weight``: the material still says in what domain the ask is. A
request that is nothing but material is searched whole.
"""

from __future__ import annotations

import re

from .text import tokenize

QUOTED_CHARS = 80  # a quotation at least this long is material, not part of the ask
MIN_TERMS = 3  # what is left must have at least this many terms, else the whole is searched
_FENCE = re.compile(r"(```|~~~)[^\n]*\n.*?(?:\n\1[^\n]*|\Z)", re.DOTALL)
_CURLY = re.compile(rf"[“«][^“”«»]{{{QUOTED_CHARS},}}[”»]", re.DOTALL)
_SINGLE = re.compile(rf"(?<!\w)'[^']{{{QUOTED_CHARS},}}'(?!\w)", re.DOTALL)


def _straight_quotes_out(text: str) -> str:
    """Drop long "..." spans, pairing the quote marks in order (first with second, third
    with fourth...) so that the words between two short quotations are kept."""
    marks = [m.start() for m in re.finditer('"', text)]
    spans = [(a, b) for a, b in zip(marks[0::2], marks[1::2], strict=False)
             if b - a - 1 >= QUOTED_CHARS]
    for a, b in reversed(spans):
        text = text[:a] + " " + text[b + 1:]
    return text


def without_pasted(text: str) -> str:
    """``text`` without its fenced code blocks and long quotations (``text`` itself when
    there are none, or when fewer than MIN_TERMS terms would be left)."""
    if "```" not in text and "~~~" not in text and not any(q in text for q in "\"'“«"):
        return text
    kept = _FENCE.sub(" ", text)
    kept = _SINGLE.sub(" ", _CURLY.sub(" ", _straight_quotes_out(kept)))
    if kept == text or len(tokenize(kept)) < MIN_TERMS:
        return text
    return kept


def material_note(chars: int, weight: float) -> str:
    """What ``--explain`` says about ``chars`` characters of material set apart, searched
    beside the ask at ``weight`` (0: left out)."""
    what = f"{chars} characters of code blocks and quotations"
    if not weight:
        return f"pasted material left out of the search: {what}"
    return (f"pasted material: the ask was searched alone and with its {what}, the two "
            f"counted 1 : {weight:g}")
