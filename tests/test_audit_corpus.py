"""No crying wolf on real skills: the official anthropics/skills records and the sample skills
are never blocked (the false-positive rate over the whole corpus is measured in bench/audit.py)."""

from __future__ import annotations

import gzip
import json

from conftest import CORPUS, SAMPLE_SKILLS
from skillyard.audit import Auditor
from skillyard.sources.corpus import record_to_skill


def test_official_anthropic_skills_are_not_blocked() -> None:
    skills = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        for line in handle:
            if '"id": "anthropics@skills/' in line[:200] or '"anthropics@skills/' in line[:80]:
                record = json.loads(line)
                if record["id"].startswith("anthropics@skills/"):
                    skills.append((record_to_skill(record, source=str(CORPUS)), ""))
    assert len(skills) == 12
    results = Auditor().run(skills)
    assert [r.skill for r in results if r.verdict == "block"] == []
    serious = [(r.skill, f.rule) for r in results for f in r.findings
               if f.severity in ("high", "critical")]
    assert serious == []


def test_sample_skills_are_not_blocked() -> None:
    results = Auditor().run_paths([str(SAMPLE_SKILLS)])
    assert len(results) == 41
    assert [r.skill for r in results if r.verdict == "block"] == []
    assert sum(r.verdict == "warn" for r in results) <= 2
