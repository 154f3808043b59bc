"""Hidden-character analyzer: Unicode tags, zero-width and bidi controls, variation-selector
smuggling, and look-alike (homoglyph or punycode) host names."""

from __future__ import annotations

import re
import unicodedata

from .content import TextUnit
from .mdparse import LineIndex
from .model import Hit

_TAGS = re.compile("[\U000e0000-\U000e007f]+")
_ZW = "\u200b\u200c\u200d\u2060\ufeff\u180e"
_ZW_RUN = re.compile(f"[{_ZW}]{{8,}}")
_ZW_ASCII = re.compile(f"[A-Za-z0-9_./:-][{_ZW}]+[A-Za-z0-9_./:-]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_VS_RUN = re.compile("[\U000e0100-\U000e01ef\ufe00-\ufe0f]{4,}")
_URL_HOST = re.compile(r"(?i)\b(?:https?|ftp)://([^\s/:?#)\]>\"'`|]+)")
_PUNY = re.compile(r"(?i)\bxn--[a-z0-9-]+")
# Cyrillic and Greek letters that render like Latin ones.
_LOOKALIKE = set("аеорсухіјԁӏѕԛԝһԌвкмнтАВЕКМНОРСТХУІЈЅοαρνκιτυεχ")


def _script(ch: str) -> str:
    if ch.isascii():
        return "latin" if ch.isalpha() else ""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "other"
    for script in ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"):
        if name.startswith(script):
            return script.lower()
    return "other" if ch.isalpha() else ""


def suspicious_host(host: str) -> str | None:
    """Why a host name looks like a disguise, or None."""
    labels = host.lower().rstrip(".").split(".")
    for label in labels:
        scripts = {_script(c) for c in label} - {""}
        if "latin" in scripts and scripts & {"cyrillic", "greek", "armenian", "cherokee"}:
            return f"label {label!r} mixes Latin with {', '.join(sorted(scripts - {'latin'}))}"
        lookalike = label and not label.isascii() and all(
            c in _LOOKALIKE or not c.isalpha() for c in label)
        if lookalike and labels[-1].isascii():
            return f"label {label!r} is made of Latin look-alike letters"
    return None


def scan_unicode(unit: TextUnit, index: LineIndex) -> list[Hit]:
    text = unit.text
    hits: list[Hit] = []
    flow = unit.flow or unit.path

    def add(rule: str, offset: int, evidence: str) -> None:
        hits.append(Hit(rule, unit.path, index.line(offset) + unit.line_offset, evidence,
                        flow=flow))

    if not text.isascii():
        for match in _TAGS.finditer(text):
            hidden = "".join(chr(ord(c) - 0xE0000) for c in match.group(0)
                             if 0x20 <= ord(c) - 0xE0000 < 0x7F)
            add("unicode-tags", match.start(), f"{len(match.group(0))} tag characters "
                f"hiding: {hidden[:200]!r}")
        for match in _ZW_RUN.finditer(text):
            add("zero-width-run", match.start(), f"{len(match.group(0))} zero-width characters "
                "in a row")
        inside = list(_ZW_ASCII.finditer(text))
        if inside:
            first = inside[0]
            around = text[max(first.start() - 20, 0):first.end() + 20]
            add("zero-width-ascii", first.start(), f"{len(inside)} place(s), first: {around}")
        bidi = list(_BIDI.finditer(text))
        if bidi:
            add("bidi-control", bidi[0].start(), f"{len(bidi)} bidi control character(s), first "
                f"U+{ord(bidi[0].group(0)):04X}: "
                f"{text[max(bidi[0].start() - 30, 0):bidi[0].end() + 30]}")
        for match in _VS_RUN.finditer(text):
            add("variation-selector-run", match.start(), f"{len(match.group(0))} variation "
                "selectors in a row")
        for match in _URL_HOST.finditer(text):
            reason = suspicious_host(match.group(1))
            if reason:
                add("homoglyph-domain", match.start(), f"{match.group(0)}: {reason}")
    if "xn--" in text.lower():
        for match in _PUNY.finditer(text):
            try:
                shown = match.group(0).encode("ascii").decode("idna")
            except UnicodeError:
                shown = "undecodable"
            add("punycode-domain", match.start(), f"{match.group(0)} (renders as {shown!r})")
    return hits
