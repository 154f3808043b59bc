"""Benchmark signature verification over a library of signed skills.

Specimens are made here: N small skill folders (SKILL.md, a script, a reference), signed by
three ed25519 keys made with ssh-keygen; one in ten is then tampered with and the skills of one
signer are revoked by a KRL (`ssh-keygen -k`), so every outcome is exercised. The allowed
signers hold the three keys and 20 others. Measured in one run, per skill:

- baseline: `ssh-keygen -Y` per skill (check-novalidate, find-principals, verify: what the
  verifier ran before, and what it still runs for certificates and security keys);
- skillyard: the in-process check (allowed signers parsed once for the whole set, one
  signature check per skill with the `cryptography` primitives).

Both see the same skills and must reach the same decisions (printed as "agree").

    nice .venv/bin/python bench/signing.py               # 200 skills, 3 rounds
    nice .venv/bin/python bench/signing.py --skills 500 --rounds 5

Prints ms per skill for each, and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from skillyard.provenance import AllowedSigners, signing, sshsig
from skillyard.provenance.revocation import load_revocation
from skillyard.sources.folders import load_skill_dir
from skillyard.sources.sign import sign_folder


def keygen(folder: Path, name: str) -> tuple[Path, str]:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                   check=True, capture_output=True)
    return key, " ".join(key.with_suffix(".pub").read_text().split()[:2])


def make(root: Path, count: int) -> tuple[list, AllowedSigners]:
    keys = [keygen(root, f"signer{i}") for i in range(3)]
    extra = [keygen(root, f"other{i}") for i in range(20)]
    skills = []
    for i in range(count):
        folder = root / "skills" / f"skill-{i:04d}"
        (folder / "scripts").mkdir(parents=True)
        (folder / "references").mkdir()
        (folder / "SKILL.md").write_text(
            f"---\nname: skill-{i:04d}\ndescription: Converts report {i} to CSV. Use when a "
            f"task needs report {i} as a table.\n---\n\n# Report {i}\n\nRun scripts/run.sh.\n")
        (folder / "scripts" / "run.sh").write_text(f"#!/bin/sh\necho report {i}\n")
        (folder / "references" / "format.md").write_text(f"Columns of report {i}.\n" * 20)
        sign_folder(folder, keys[i % 3][0])
        if i % 10 == 7:
            (folder / "scripts" / "run.sh").write_text("#!/bin/sh\necho tampered\n")
        skills.append(load_skill_dir(folder))
    krl = root / "revoked.krl"
    subprocess.run(["ssh-keygen", "-q", "-k", "-f", str(krl), str(keys[2][0]) + ".pub"],
                   check=True, capture_output=True)
    lines = "\n".join(f"signer{i}@example.test {k[1]}" for i, k in enumerate(keys))
    lines += "\n" + "\n".join(f"other{i}@example.test {k[1]}" for i, k in enumerate(extra))
    return skills, AllowedSigners.parse(lines).with_revoked(load_revocation(krl))


def run_once(skills: list, signers: AllowedSigners, check) -> tuple[float, list[str]]:  # noqa: ANN001
    signing._CACHE.clear()
    sshsig.check = check  # verify_skill calls sshsig.check: the path being measured
    start = time.perf_counter()
    states = [signing.verify_skill(s, signers).status for s in skills]
    return time.perf_counter() - start, states


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skills", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    fast_check = sshsig.check
    with tempfile.TemporaryDirectory(prefix="skillyard-bench-sign-") as tmp:
        skills, signers = make(Path(tmp), args.skills)
        base_t, ours_t = [], []
        for _ in range(args.rounds):
            t, base_states = run_once(skills, signers, sshsig.check_keygen)
            base_t.append(t)
            t, our_states = run_once(skills, signers, fast_check)
            ours_t.append(t)
        sshsig.check = fast_check
    counts = {s: our_states.count(s) for s in sorted(set(our_states))}
    base = statistics.median(base_t) / len(skills) * 1000
    ours = statistics.median(ours_t) / len(skills) * 1000
    print(f"skills: {len(skills)} ({', '.join(f'{k} {v}' for k, v in counts.items())}); "
          f"rounds: {args.rounds}")
    print(f"agree: {base_states == our_states}")
    print(f"baseline (ssh-keygen per skill): {base:.2f} ms/skill")
    print(f"skillyard (in process, batched): {ours:.2f} ms/skill")
    print(f"ratio: {base / ours:.1f}x faster")
    return 0 if base_states == our_states else 1


if __name__ == "__main__":
    sys.exit(main())
