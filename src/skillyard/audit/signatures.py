"""Signature analyzer: YARA-X rules (``rules/signatures.yar``) over the raw bytes of every file
and archive member, binaries included."""

from __future__ import annotations

import functools

import yara_x

from .model import AuditError, Hit, clip
from .rules import RuleSet

SCAN_TIMEOUT_S = 10


@functools.cache
def _compiled(source: str) -> yara_x.Rules:
    try:
        return yara_x.compile(source)
    except yara_x.CompileError as exc:
        raise AuditError(f"signatures.yar does not compile: {exc}") from None


def scan_signatures(blobs: list[tuple[str, bytes]], rules: RuleSet) -> list[Hit]:
    scanner = yara_x.Scanner(_compiled(rules.yara_source))
    scanner.set_timeout(SCAN_TIMEOUT_S)
    hits: list[Hit] = []
    for path, data in blobs:
        try:
            results = scanner.scan(data)
        except yara_x.TimeoutError:
            hits.append(Hit("oversize-file", path, None, "signature scan timed out", flow=path))
            continue
        except yara_x.ScanError as exc:
            hits.append(Hit("unreadable-file", path, None, f"signature scan failed: {exc}",
                            flow=path))
            continue
        for match in results.matching_rules:
            offset = min((m.offset for p in match.patterns for m in p.matches), default=0)
            line = data.count(b"\n", 0, offset) + 1
            end = data.find(b"\n", offset)
            snippet = data[offset:end if end >= 0 else offset + 160].decode("utf-8", "replace")
            rule_id = "yara-" + match.identifier.replace("_", "-")
            hits.append(Hit(rule_id, path, line, clip(snippet), flow=path))
    return hits
