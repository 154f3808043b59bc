"""The labelled development set: its shape (size, classes, languages, file kinds, inert hosts,
blind split) and the auditor's results on the DEV split only. The blind split is reported by
bench/audit_devset.py and never asserted on here, so nothing is tuned to it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from skillyard.audit import Auditor
from support.audit_devset import CLASSES, specimens, write_specimen

SPECS = specimens()
_HOST = re.compile(rb"https?://([A-Za-z0-9.-]+)")
REAL_HOSTS = re.compile(r"(?:^|\.)(?:github\.com|astral\.sh|pypi\.org|slack\.com|discord\.com|"
                        r"trycloudflare\.com|ngrok-free\.app|loca\.lt|pastebin\.com|"
                        r"localhost|schemas\.openxmlformats\.org)$")


def test_the_set_has_the_required_shape() -> None:
    malicious = [s for s in SPECS if s.label == "malicious"]
    benign = [s for s in SPECS if s.label == "benign"]
    assert len(malicious) >= 250 and len(benign) >= 60
    per_class = Counter(s.cls for s in malicious)
    assert set(per_class) == set(CLASSES) and min(per_class.values()) >= 10
    assert sum(s.lang != "en" for s in malicious) >= 20
    kinds = Counter(k for s in malicious for k in s.kinds)
    assert {"script", "config", "document", "archive"} <= set(kinds)
    codes = {s.code for s in malicious}
    assert {"P1", "P2", "P3", "P4", "E1", "E2", "PE1", "PE3", "SC2", "SC3", "D1", "VULN"} <= codes
    blind = sum(s.blind for s in SPECS) / len(SPECS)
    assert 0.30 <= blind <= 0.40
    assert len({s.files["SKILL.md"] for s in malicious}) == len(malicious)  # no copies


def test_every_specimen_is_inert() -> None:
    for spec in SPECS:
        for data in [*spec.files.values(), *(spec.partner or {}).values()]:
            for host in _HOST.findall(data):
                name = host.decode().lower().rstrip(".")
                assert name.endswith((".invalid", ".test")) or name.startswith("192.0.2.") \
                    or REAL_HOSTS.search(name) or name.endswith("example.com"), (spec.id, name)


def test_dev_split_recall_and_hard_negatives(tmp_path: Path) -> None:
    dev = [s for s in SPECS if not s.blind]
    missed, false_blocks = [], []
    for spec in dev:
        paths = [str(p) for p in write_specimen(spec, tmp_path)]
        verdict = Auditor().run_paths(paths)[0].verdict
        if spec.label == "malicious" and verdict != "block":
            missed.append(spec.id)
        if spec.label == "benign" and verdict == "block":
            false_blocks.append(spec.id)
    malicious = sum(s.label == "malicious" for s in dev)
    assert len(missed) <= 0.05 * malicious, missed
    assert len(false_blocks) <= 1, false_blocks
