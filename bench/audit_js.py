"""JavaScript/TypeScript data flow: the regex pass the auditor had before (statement by
statement on the text, loaded from git at ``REGEX_REF``) against the tree-sitter pass, in the
same run, on the JS/TS specimens of the development set (both splits, numbers only), and the
throughput of the whole auditor over the real-skill corpus with either pass plugged in.

    nice .venv/bin/python bench/audit_js.py                 # specimens + 3000 corpus skills
    nice .venv/bin/python bench/audit_js.py --corpus 0      # specimens only

Recall here is "blocked". Throughput is CPU time of this process (the machine is shared).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from skillyard.audit import Auditor, deep  # noqa: E402
from skillyard.audit.jsflow import js_flows  # noqa: E402
from support.audit_devset import specimens, write_specimen  # noqa: E402

REGEX_REF = "179f168"  # the last main commit with the regex JS pass
CORPUS = ROOT.parent / "shared" / "data" / "skills-corpus.jsonl.gz"


def regex_pass(ref: str) -> Callable | None:
    """The regex ``js_flows`` of ``ref``, imported as a module of this package."""
    try:
        source = subprocess.run(["git", "-C", str(ROOT), "show",
                                 f"{ref}:src/skillyard/audit/jsflow.py"], check=True,
                                capture_output=True, text=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    tmp = Path(tempfile.mkdtemp(prefix="skillyard-jsregex-")) / "_jsflow_regex.py"
    tmp.write_text(source)
    spec = importlib.util.spec_from_file_location("skillyard.audit._jsflow_regex", tmp)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "skillyard.audit"
    spec.loader.exec_module(module)
    return module.js_flows


def with_pass(fn: Callable, work: Callable[[], object]) -> object:
    saved = deep.js_flows
    deep.js_flows = fn
    try:
        return work()
    finally:
        deep.js_flows = saved


def is_js(spec) -> bool:  # noqa: ANN001
    files = {**spec.files, **(spec.partner or {})}
    return any(rel.endswith((".js", ".mjs", ".cjs", ".ts", ".tsx", ".mts")) for rel in files)


def specimen_recall(fn: Callable) -> dict[str, tuple[int, int, int, int]]:
    """split -> (malicious blocked, malicious, negatives blocked, negatives)."""
    tmp = Path(tempfile.mkdtemp(prefix="skillyard-jsbench-"))
    out: dict[str, list[int]] = {"dev": [0, 0, 0, 0], "blind": [0, 0, 0, 0]}
    for spec in specimens():
        if not is_js(spec):
            continue
        paths = [str(p) for p in write_specimen(spec, tmp)]
        verdicts = with_pass(fn, lambda p=paths: [r.verdict for r in Auditor().run_paths(p)])
        blocked = "block" in verdicts  # type: ignore[operator]
        row = out["blind" if spec.blind else "dev"]
        if spec.label == "malicious":
            row[0] += blocked
            row[1] += 1
        else:
            row[2] += blocked
            row[3] += 1
    return {k: tuple(v) for k, v in out.items()}  # type: ignore[misc]


def corpus_speed(fn: Callable, limit: int) -> tuple[int, float, int]:
    """(skills, CPU seconds, blocked) over the first ``limit`` corpus skills."""
    from skillyard.errors import SkillLoadError
    from skillyard.sources.corpus import record_to_skill

    skills = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        for line in handle:
            try:
                skills.append(record_to_skill(json.loads(line), source="corpus"))
            except SkillLoadError:
                continue
            if len(skills) >= limit:
                break
    start = time.process_time()
    results = with_pass(fn, lambda: Auditor().run([(s, "") for s in skills]))
    took = time.process_time() - start
    return len(skills), took, sum(r.verdict == "block" for r in results)  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=int, default=3000, help="corpus skills (0: none)")
    parser.add_argument("--ref", default=REGEX_REF)
    args = parser.parse_args()
    old = regex_pass(args.ref)
    if old is None:
        sys.exit("bench/audit_js.py: needs a git checkout to load the regex pass")
    print("JS/TS specimens of the devset, blocked (regex pass -> tree-sitter pass):")
    base, ours = specimen_recall(old), specimen_recall(js_flows)
    for split in ("dev", "blind"):
        b, o = base[split], ours[split]
        print(f"  {split:5}: malicious {b[0]}/{b[1]} ({100 * b[0] / max(b[1], 1):.1f}%) -> "
              f"{o[0]}/{o[1]} ({100 * o[0] / max(o[1], 1):.1f}%); hard negatives blocked "
              f"{b[2]}/{b[3]} -> {o[2]}/{o[3]}")
    if args.corpus and CORPUS.exists():
        n, t_old, blk_old = corpus_speed(old, args.corpus)
        n, t_new, blk_new = corpus_speed(js_flows, args.corpus)
        print(f"corpus ({n} skills, whole auditor, CPU time): regex pass {n / t_old:.0f} "
              f"skills/s, tree-sitter pass {n / t_new:.0f} skills/s (ratio "
              f"{t_old / t_new:.2f}); blocked {blk_old} -> {blk_new}")


if __name__ == "__main__":
    main()
