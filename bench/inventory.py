"""Benchmark `skillyard inventory` on a machine laid out in a temporary HOME.

The sample skills (../shared/data/sample-skills) are copied into several agents' user and
project folders (a laptop where the same skills are installed for many agents), with an MCP
config beside them. Measured in one run:

- baseline: load every agent folder and audit each skill copy on its own, as running a skill
  scanner over each folder would;
- skillyard, cold: `inventory` with no library (copies with the same digest analysed once);
- skillyard, warm: `inventory` again with the analysis cached by digest in a library.

    .venv/bin/python bench/inventory.py            # 4 agents x the sample skills, 3 rounds
    .venv/bin/python bench/inventory.py --agents 8 --rounds 5

Prints skills found, median seconds per inventory for each, and the ratios.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from skillyard import Library
from skillyard.audit import Auditor
from skillyard.inventory import scan
from skillyard.sources import load_agent_folders
from skillyard.sources.agenttable import find_agent

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "data" / "sample-skills"
AGENTS = ("claude", "cursor", "gemini", "windsurf", "cline", "roo", "kiro", "qwen", "trae",
          "junie")


def lay_out(base: Path, agents: int) -> tuple[Path, Path]:
    home, project = base / "home", base / "project"
    skills = sorted(p for p in SAMPLES.glob("*/*") if (p / "SKILL.md").is_file())
    for name in AGENTS[:agents]:
        agent = find_agent(name)
        for folder in (agent.folders("user", home, home)[0], project / agent.project[0]):
            for skill in skills:
                target = folder / skill.name
                if not target.exists():  # two sample repos may hold a same-named skill
                    shutil.copytree(skill, target, symlinks=True)
    (home / ".cursor").mkdir(parents=True, exist_ok=True)
    (home / ".cursor/mcp.json").write_text(json.dumps({"mcpServers": {
        "fetch": {"command": "npx", "args": ["-y", "some-fetch-mcp"]},
        "docs": {"url": "https://docs.example.test/mcp"}}}))
    return home, project


def timed(**kwargs: object) -> tuple[float, int]:
    start = time.perf_counter()
    inventory = scan(**kwargs)  # type: ignore[arg-type]
    return time.perf_counter() - start, len(inventory.skills)


def baseline(home: Path, project: Path) -> tuple[float, int]:
    start = time.perf_counter()
    auditor = Auditor()
    found = 0
    for result in load_agent_folders(project, home=home):
        if result.skill is not None:
            auditor.run([(result.skill, result.where)])
            found += 1
    return time.perf_counter() - start, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not SAMPLES.is_dir():
        print(f"needs {SAMPLES}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        home, project = lay_out(Path(tmp), min(args.agents, len(AGENTS)))
        base = [baseline(home, project) for _ in range(args.rounds)]
        cold = [timed(home=home, projects=[project]) for _ in range(args.rounds)]
        with Library(Path(tmp) / "library.db") as library:
            timed(home=home, projects=[project], library=library)  # warm the cache
            warm = [timed(home=home, projects=[project], library=library)
                    for _ in range(args.rounds)]
    b = statistics.median(t for t, _ in base)
    c = statistics.median(t for t, _ in cold)
    w = statistics.median(t for t, _ in warm)
    print(f"skill copies found: baseline {base[0][1]}, skillyard {cold[0][1]} "
          f"({args.agents} agents x 2 scopes)")
    print(f"baseline (audit each copy):                 {b:.2f} s")
    print(f"skillyard inventory, cold (dedupe by digest): {c:.2f} s   ratio {b / c:.1f}x")
    print(f"skillyard inventory, warm (library cache):    {w:.2f} s   ratio {b / w:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
