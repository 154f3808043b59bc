"""Benchmark the auditor: detection on labelled fixtures and on the labelled development set,
false positives on real skills, speed.

Measured in one run, next to two baselines: the auditor as it was before the audit-depth work
(commit ``audit_devset.BASELINE_REF``, run from an exported copy in a subprocess) on the
development set, the corpus and the sample skills; and, on the small fixture set, a keyword
scanner of the kind many skill scanners start from (case-insensitive dangerous strings in each
text file up to 1 MiB; binaries and archives skipped), which blocks when any keyword appears.

    .venv/bin/python bench/audit.py                  # everything (corpus takes a few minutes)
    .venv/bin/python bench/audit.py --limit 2000     # a corpus prefix
    .venv/bin/python bench/audit.py --workers 2      # also time two processes on the corpus
    .venv/bin/python bench/audit.py --seed 1717      # another random sample of blocks to review
    .venv/bin/python bench/audit.py --baseline-ref main   # compare with another commit

Prints per-category recall on malicious fixtures, recall on fail-closed evasions, false-block
rate on benign twins; per class recall on both splits of the development set (the blind split
as numbers only); block/warn rates over the corpus and the sample skills (new and before); a
random sample of corpus blocks to review (all of them go to --blocked-out); throughput in
skills/s and the slowest skill. The machine is shared: throughput is CPU time of this process.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from skillyard.audit import Auditor  # noqa: E402
from skillyard.errors import SkillLoadError  # noqa: E402
from skillyard.skill import Skill  # noqa: E402
from skillyard.sources import load_skill_dir  # noqa: E402
from skillyard.sources.corpus import record_to_skill  # noqa: E402
from support.audit_fixtures import Fixture, generated, labelled  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import audit_devset  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
RANK = {"allow": 0, "warn": 1, "block": 2}
BASELINE_LIMIT = 1024 * 1024
BASELINE = re.compile(
    r"curl\s|wget\s|\|\s*(?:ba)?sh\b|base64\s+-d|\beval\(|\bexec\(|ignore (?:all )?previous|"
    r"\.ssh/|\.aws/credentials|rm -rf|/dev/tcp|nc -e|password|api[_-]?key|secret|token|sudo ",
    re.I)


def baseline_verdict(files: list[tuple[str, bytes | None]]) -> str:
    for _path, data in files:
        if data is None or b"\0" in data[:4096]:
            continue
        if BASELINE.search(data[:BASELINE_LIMIT].decode("utf-8", "replace")):
            return "block"
    return "allow"


def skill_files(skill: Skill) -> list[tuple[str, bytes | None]]:
    return [(f.path, f.data) for f in skill.files]


def fixture_files(fixture: Fixture) -> list[tuple[str, bytes | None]]:
    try:
        return skill_files(load_skill_dir(fixture.path))
    except SkillLoadError:
        return []


def run_fixtures() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="skillyard-audit-bench-"))
    fixtures = labelled() + generated(tmp)
    by_name = {f.name: f for f in fixtures}
    per_cat: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    evasion: list[tuple[bool, bool]] = []
    benign: list[tuple[bool, bool]] = []
    misses = []
    for fixture in fixtures:
        paths = [str(fixture.path)] + [str(by_name[n].path) for n in fixture.with_]
        verdict = Auditor().run_paths(paths)[0].verdict
        files = [f for p in [fixture, *(by_name[n] for n in fixture.with_)]
                 for f in fixture_files(p)]
        base = baseline_verdict(files)
        if fixture.label == "malicious":
            ours = RANK[verdict] >= RANK[fixture.expect]
            theirs = RANK[base] >= RANK[fixture.expect]
            (evasion if fixture.evasion else per_cat[fixture.category]).append((ours, theirs))
            if not ours:
                misses.append(f"{fixture.name} (expected {fixture.expect}, got {verdict})")
        else:
            benign.append((verdict == "block", base == "block"))
    print("== labelled fixtures (malicious: detected at the expected verdict or worse)")
    print(f"{'category':10} {'n':>3} {'skillyard':>10} {'baseline':>9}")
    all_ours, all_base = [], []
    for cat in sorted(per_cat):
        rows = per_cat[cat]
        all_ours += [r[0] for r in rows]
        all_base += [r[1] for r in rows]
        print(f"{cat:10} {len(rows):3d} {_pct(r[0] for r in rows):>10} "
              f"{_pct(r[1] for r in rows):>9}")
    print(f"{'all':10} {len(all_ours):3d} {_pct(all_ours):>10} {_pct(all_base):>9}")
    print(f"{'evasions':10} {len(evasion):3d} {_pct(r[0] for r in evasion):>10} "
          f"{_pct(r[1] for r in evasion):>9}   (fail-closed: archives, bytecode, padding, "
          "unicode, disguises)")
    print(f"false blocks on {len(benign)} benign twins: skillyard {_pct(r[0] for r in benign)}, "
          f"baseline {_pct(r[1] for r in benign)}")
    if misses:
        print("missed:", "; ".join(misses))


def _pct(values) -> str:  # noqa: ANN001 - any iterable of bools
    items = list(values)
    return f"{100 * sum(items) / len(items):.1f}%" if items else "-"


def _load_records(limit: int | None) -> list[dict]:
    records = []
    with gzip.open(SHARED / "skills-corpus.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            records.append(json.loads(line))
            if limit and len(records) >= limit:
                break
    return records


def _audit_chunk(records: list[dict]) -> list[tuple[str, str, list[str]]]:
    auditor = Auditor()
    skills = []
    for record in records:
        try:
            skills.append((record_to_skill(record, source="corpus"), ""))
        except SkillLoadError:
            continue
    return [(r.skill, r.verdict, sorted({f.rule for f in r.findings
                                         if f.severity in ("medium", "high", "critical")}))
            for r in auditor.run(skills)]


def run_corpus(limit: int | None, workers: int, blocked_out: Path,
               with_baseline: bool = True, seed: int = 7,
               ref: str = audit_devset.BASELINE_REF) -> None:
    records = _load_records(limit)
    skills = []
    for record in records:
        try:
            skills.append(record_to_skill(record, source="corpus"))
        except SkillLoadError:
            continue
    start = time.perf_counter()
    for skill in skills:
        baseline_verdict(skill_files(skill))
    base_s = time.perf_counter() - start
    auditor = Auditor()
    auditor.run([(skills[0], "")])  # rules and signatures compiled outside the timing
    results = []
    times = []
    for skill in skills:
        start = time.process_time()
        results += auditor.run([(skill, "")])
        times.append((time.process_time() - start, skill.id))
    ours_s = sum(t for t, _ in times)
    verdicts = Counter(r.verdict for r in results)
    rules = Counter(f.rule for r in results if r.verdict == "block" for f in r.findings
                    if f.severity in ("high", "critical"))
    n = len(results)
    print(f"\n== corpus: {n} skills (SKILL.md only; listed files are reported as unseen)")
    print(f"block {verdicts['block']} ({100 * verdicts['block'] / n:.2f}%), "
          f"warn {verdicts['warn']} ({100 * verdicts['warn'] / n:.2f}%), "
          f"allow {verdicts['allow']}")
    print("blocking rules:", ", ".join(f"{k} {v}" for k, v in rules.most_common(12)))
    print(f"throughput (1 process, CPU time, audit only): skillyard {n / ours_s:.0f} skills/s, "
          f"baseline keyword scan {n / base_s:.0f} skills/s, ratio {base_s / ours_s:.3f}")
    slow = sorted(times)[-3:]
    print("slowest skills: " + ", ".join(f"{sid} {t * 1000:.0f} ms" for t, sid in reversed(slow)))
    if with_baseline:
        old = audit_devset.baseline_corpus(SHARED / "skills-corpus.jsonl.gz", limit or 0, ref)
        if old:
            ov = old["verdicts"]
            print(f"baseline ({ref}): block {ov.get('block', 0)} "
                  f"({100 * ov.get('block', 0) / old['n']:.2f}%), warn {ov.get('warn', 0)} "
                  f"({100 * ov.get('warn', 0) / old['n']:.2f}%); {old['n'] / old['cpu_s']:.0f} "
                  f"skills/s; new/old speed {old['cpu_s'] / ours_s:.2f}")
            now = {r.skill for r in results if r.verdict == "block"}
            print(f"newly blocked: {len(now - set(old['blocked']))}; no longer blocked: "
                  f"{len(set(old['blocked']) - now)}")
    anthropic = [r for r in results if r.skill.startswith("anthropics@skills/")]
    print(f"anthropics@skills ({len(anthropic)}): " + ", ".join(
        f"{r.name}={r.verdict}" for r in anthropic))
    blocked = [r for r in results if r.verdict == "block"]
    blocked_out.write_text("\n".join(json.dumps({
        "skill": r.skill, "findings": [f.to_dict() for f in r.findings
                                       if f.severity in ("high", "critical")]})
        for r in blocked) + "\n", encoding="utf-8")
    print(f"all blocked skills with their blocking findings: {blocked_out}")
    sample = random.Random(seed).sample(blocked, min(30, len(blocked)))
    print(f"random sample of blocks to review (seed {seed}):")
    for r in sorted(sample, key=lambda x: x.skill):
        top = [f for f in r.findings if f.severity in ("high", "critical")][0]
        print(f"  {r.skill}: {top.rule}: {top.evidence[:90]}")
    if workers > 1:
        chunks = [records[i::workers * 4] for i in range(workers * 4)]
        start = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            done = sum(len(c) for c in pool.map(_audit_chunk, chunks))
        wall = time.perf_counter() - start
        print(f"throughput ({workers} processes, load + audit): {done / wall:.0f} skills/s")


def run_samples(ref: str = audit_devset.BASELINE_REF) -> None:
    start = time.perf_counter()
    results = Auditor().run_paths([str(SHARED / "sample-skills")])
    took = time.perf_counter() - start
    verdicts = Counter(r.verdict for r in results)
    print(f"\n== sample-skills: {len(results)} folders, block {verdicts['block']}, warn "
          f"{verdicts['warn']}, allow {verdicts['allow']} ({len(results) / took:.0f} skills/s "
          "with loading)")
    for r in results:
        if r.verdict != "allow":
            top = r.findings[0]
            print(f"  {r.verdict}: {r.name}: {top.rule} ({top.evidence[:80]})")
    groups = {str(p.parent): [str(p.parent)]
              for p in sorted((SHARED / "sample-skills").rglob("SKILL.md"))}
    old = Counter(audit_devset.baseline_verdicts(groups, ref).values())
    print(f"baseline ({ref}): block {old['block']}, warn "
          f"{old['warn']}, allow {old['allow']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="corpus records to use")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--blocked-out", type=Path,
                        default=Path(tempfile.gettempdir()) / "skillyard-audit-blocked.jsonl")
    parser.add_argument("--seed", type=int, default=7,
                        help="seed of the random sample of corpus blocks to review by hand")
    parser.add_argument("--baseline-ref", default=audit_devset.BASELINE_REF,
                        help="git commit whose auditor is the baseline column (default: the "
                             "last commit before the audit-depth work)")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the pre-work auditor on the corpus (saves a corpus pass)")
    args = parser.parse_args()
    run_fixtures()
    audit_devset.run(ref=args.baseline_ref)
    run_samples(args.baseline_ref)
    if not args.skip_corpus:
        run_corpus(args.limit, args.workers, args.blocked_out, not args.no_baseline, args.seed,
                   args.baseline_ref)


if __name__ == "__main__":
    main()
