"""Secrets analyzer: the token patterns of detect-secrets' regex plugins, applied to whole texts.

detect-secrets scans line by line through its plugin machinery, which is too slow for a
10K-skill corpus; we reuse its maintained pattern list (``denylist`` of each regex plugin) in one
pass per pattern, drop keyword/entropy heuristics and the plugins that fire on ordinary prose,
skip documentation placeholders, and never print the secret itself.
"""

from __future__ import annotations

import functools
import re

from .content import TextUnit
from .mdparse import LineIndex
from .model import Hit

# Plugins left out: keyword- or shape-only matches that fire on documentation and examples.
EXCLUDED = frozenset({
    "IPPublicDetector", "BasicAuthDetector", "CloudantDetector", "IbmCloudIamDetector",
    "IbmCosHmacDetector", "SoftlayerDetector", "ArtifactoryDetector", "JwtTokenDetector",
})
_PLACEHOLDER = re.compile(
    r"example|sample|dummy|fake|test|xxxx|your|placeholder|redacted|changeme|<|\$\{|\.\.\.|"
    r"0123456789|1234567890|abcdef", re.I)
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{60,}")


@functools.cache
def detectors() -> tuple[tuple[str, re.Pattern[str]], ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    out = []
    for secret_type, cls in sorted(get_mapping_from_secret_type_to_class().items()):
        if not issubclass(cls, RegexBasedDetector) or cls.__name__ in EXCLUDED:
            continue
        out.extend((secret_type, regex) for regex in cls.denylist)
    return tuple(out)


def _redact(value: str) -> str:
    value = value.strip(" \t\"'=:")
    return f"{value[:4]}…({len(value)} chars)"


def scan_secrets(unit: TextUnit, index: LineIndex) -> list[Hit]:
    hits: list[Hit] = []
    text = unit.text
    seen: set[str] = set()
    for secret_type, regex in detectors():
        for match in regex.finditer(text):
            value = match.group(0)
            if value in seen or _PLACEHOLDER.search(value):
                continue
            if "PRIVATE KEY" in secret_type.upper() and not _KEY_BODY.search(
                text[match.end():match.end() + 400]
            ):
                continue  # a key header in documentation, with no key under it
            seen.add(value)
            hits.append(Hit("hardcoded-secret", unit.path,
                            index.line(match.start()) + unit.line_offset,
                            f"{secret_type}: {_redact(value)}", flow=unit.flow or unit.path,
                            detail=secret_type))
            if len(hits) >= 10:
                return hits
    return hits
