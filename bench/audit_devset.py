"""The labelled development set (tests/support/audit_devset*.py) through the auditor, next to
a baseline: the auditor as it was before the audit-depth work (a git commit, run from an
exported copy of its source in a subprocess), in the same run.

    .venv/bin/python bench/audit_devset.py            # both splits, per class, baseline vs new
    .venv/bin/python bench/audit_devset.py --misses   # list misses of the DEV split only

The blind split is reported as numbers only: its misses are never printed, so rules are not
tuned on it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from skillyard.audit import Auditor  # noqa: E402
from support.audit_devset import CLASSES, Specimen, specimens, write_specimen  # noqa: E402

# The last commit before the audit-depth work: "today's rules" for the baseline column.
BASELINE_REF = "e8e9703"
RANK = {"allow": 0, "warn": 1, "block": 2}
_RUNNER = """
import json, sys
from skillyard.audit import Auditor
groups = json.load(open(sys.argv[1]))
out = {}
for sid, paths in groups.items():
    try:
        out[sid] = Auditor().run_paths(paths)[0].verdict
    except Exception as exc:  # the old code may crash on new inputs: count it as no block
        out[sid] = "error"
json.dump(out, open(sys.argv[2], "w"))
"""


def export_baseline(ref: str, dest: Path) -> Path | None:
    """The package source at ``ref`` (git archive), or None outside a git checkout."""
    try:
        blob = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref,
                               "src/skillyard"], check=True, capture_output=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    import io

    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "src"


def baseline_verdicts(groups: dict[str, list[str]], ref: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="skillyard-baseline-") as tmp:
        src = export_baseline(ref, Path(tmp))
        if src is None:
            return {}
        args = Path(tmp) / "groups.json"
        out = Path(tmp) / "out.json"
        args.write_text(json.dumps(groups))
        env = {**os.environ, "PYTHONPATH": str(src)}
        subprocess.run([sys.executable, "-c", _RUNNER, str(args), str(out)], env=env,
                       check=True)
        return json.loads(out.read_text())


_CORPUS_RUNNER = """
import collections, gzip, json, sys, time
from skillyard.audit import Auditor
from skillyard.errors import SkillLoadError
from skillyard.sources.corpus import record_to_skill
limit = int(sys.argv[2])
skills = []
with gzip.open(sys.argv[1], "rt", encoding="utf-8") as handle:
    for line in handle:
        try:
            skills.append(record_to_skill(json.loads(line), source="corpus"))
        except SkillLoadError:
            pass
        if limit and len(skills) >= limit:
            break
start = time.process_time()
results = Auditor().run([(s, "") for s in skills])
took = time.process_time() - start
counts = collections.Counter(r.verdict for r in results)
json.dump({"n": len(results), "verdicts": dict(counts), "cpu_s": took,
           "blocked": sorted(r.skill for r in results if r.verdict == "block")},
          open(sys.argv[3], "w"))
"""


def baseline_corpus(corpus: Path, limit: int, ref: str = BASELINE_REF) -> dict | None:
    """Verdict counts and CPU time of the pre-work auditor over the corpus (a subprocess)."""
    with tempfile.TemporaryDirectory(prefix="skillyard-baseline-") as tmp:
        src = export_baseline(ref, Path(tmp))
        if src is None:
            return None
        out = Path(tmp) / "out.json"
        env = {**os.environ, "PYTHONPATH": str(src)}
        subprocess.run([sys.executable, "-c", _CORPUS_RUNNER, str(corpus), str(limit or 0),
                        str(out)], env=env, check=True)
        return json.loads(out.read_text())


def run(misses: bool = False, ref: str = BASELINE_REF) -> dict[str, object]:
    specs = specimens()
    tmp = Path(tempfile.mkdtemp(prefix="skillyard-devset-"))
    groups = {s.id: [str(p) for p in write_specimen(s, tmp)] for s in specs}
    start = time.perf_counter()
    ours: dict[str, str] = {}
    for spec in specs:
        ours[spec.id] = Auditor().run_paths(groups[spec.id])[0].verdict
    took = time.perf_counter() - start
    base = baseline_verdicts(groups, ref)
    _report(specs, ours, base, misses, ref)
    print(f"devset audit time: {took:.1f} s for {len(specs)} specimens "
          f"({len(specs) / took:.0f}/s with loading)")
    return {"ours": ours, "base": base}


def _pct(hits: int, n: int) -> str:
    return f"{100 * hits / n:5.1f}%" if n else "   - "


def _report(specs: list[Specimen], ours: dict[str, str], base: dict[str, str],
            misses: bool, ref: str = BASELINE_REF) -> None:
    for split in ("dev", "blind"):
        chosen = [s for s in specs if s.blind == (split == "blind")]
        mal = [s for s in chosen if s.label == "malicious"]
        neg = [s for s in chosen if s.label == "benign"]
        print(f"\n== devset {split} split: {len(mal)} malicious, {len(neg)} hard negatives "
              f"(recall = blocked; baseline = {ref})")
        print(f"{'class':12} {'n':>4} {'new block':>10} {'new warn+':>10} {'base block':>11}")
        per: dict[str, list[Specimen]] = defaultdict(list)
        for s in mal:
            per[s.cls].append(s)
        for cls in CLASSES:
            rows = per.get(cls, [])
            print(f"{cls:12} {len(rows):4d} "
                  f"{_pct(sum(ours[s.id] == 'block' for s in rows), len(rows)):>10} "
                  f"{_pct(sum(RANK.get(ours[s.id], 0) >= 1 for s in rows), len(rows)):>10} "
                  f"{_pct(sum(base.get(s.id) == 'block' for s in rows), len(rows)):>11}")
        print(f"{'all':12} {len(mal):4d} "
              f"{_pct(sum(ours[s.id] == 'block' for s in mal), len(mal)):>10} "
              f"{_pct(sum(RANK.get(ours[s.id], 0) >= 1 for s in mal), len(mal)):>10} "
              f"{_pct(sum(base.get(s.id) == 'block' for s in mal), len(mal)):>11}")
        foreign = [s for s in mal if s.lang != "en"]
        print(f"{'non-English':12} {len(foreign):4d} "
              f"{_pct(sum(ours[s.id] == 'block' for s in foreign), len(foreign)):>10} "
              f"{'':>10} {_pct(sum(base.get(s.id) == 'block' for s in foreign), len(foreign)):>11}")
        shapes = [s for s in mal if s.id.startswith("shape-")]
        shape_neg = [s for s in neg if s.id.startswith("shape-")]
        print(f"{'new shapes':12} {len(shapes):4d} "
              f"{_pct(sum(ours[s.id] == 'block' for s in shapes), len(shapes)):>10} "
              f"{_pct(sum(RANK.get(ours[s.id], 0) >= 1 for s in shapes), len(shapes)):>10} "
              f"{_pct(sum(base.get(s.id) == 'block' for s in shapes), len(shapes)):>11}"
              f"   (audit_devset_shapes.py; {len(shape_neg)} of its hard negatives, "
              f"{sum(ours[s.id] == 'block' for s in shape_neg)} blocked)")
        nb = sum(ours[s.id] == "block" for s in neg)
        print(f"hard negatives blocked: new {nb}/{len(neg)} ({_pct(nb, len(neg)).strip()}), "
              f"warned {sum(ours[s.id] == 'warn' for s in neg)}; baseline "
              f"{sum(base.get(s.id) == 'block' for s in neg)}/{len(neg)}")
        if misses and split == "dev":
            for s in mal:
                if ours[s.id] != "block":
                    print(f"  MISS {s.id} ({s.cls}/{s.code}): {ours[s.id]}")
            for s in neg:
                if ours[s.id] == "block":
                    print(f"  FALSE BLOCK {s.id} ({s.cls})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list dev-split misses")
    parser.add_argument("--baseline-ref", default=BASELINE_REF)
    args = parser.parse_args()
    run(args.misses, args.baseline_ref)


if __name__ == "__main__":
    main()
