"""Long-run fuzzing: mutate real inputs and feed them to every reader of untrusted data.

Run: nice .venv/bin/python bench/fuzz.py --minutes 10 [--seed 1] [--crashes DIR]

Targets are those of tests/test_hardening_fuzz.py (tests/support/fuzz_targets.py): SKILL.md
bytes (strict and lenient), raw YAML, JSONL corpus files, trajectory files, archives inside
skills (through the auditor), lockfiles, audit policies, and a folder indexed end to end into
a real library. Seeds are the sample skills and the first corpus records from ../shared/data,
a lockfile and a policy; mutations splice YAML tokens, random bytes, cuts and duplications.
A crash is any exception a reader does not document, or an input that takes over 10 s;
each is saved (with its traceback) under --crashes.

Baseline in the same run: PyYAML's C safe loader on the same frontmatter blocks (what
skillyard used before), counting its uncaught non-YAML exceptions and stalls.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import random
import signal
import sys
import tarfile
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "tests"))

import yaml  # noqa: E402

from skillyard import frontmatter  # noqa: E402
from support import fuzz_targets as F  # noqa: E402

STALL_SECONDS = 10


class Stall(Exception):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise Stall(f"took over {STALL_SECONDS} s")


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randint(0, len(out))
        action = rng.random()
        if action < 0.4:
            out[at:at] = rng.choice(F.YAML_TOKENS).encode("utf-8", "surrogatepass")
        elif action < 0.6:
            out[at:at] = rng.randbytes(rng.randint(1, 8))
        elif action < 0.75 and out:
            del out[at:at + rng.randint(1, 64)]
        elif action < 0.9:
            out[at:at] = out[max(0, at - 64):at]
        elif out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def seeds() -> dict[str, list[bytes]]:
    skill_md = [p.read_bytes() for p in sorted((DATA / "sample-skills").glob("*/*/SKILL.md"))]
    corpus: list[bytes] = []
    with gzip.open(DATA / "skills-corpus.jsonl.gz", "rb") as handle:
        for line in handle:
            corpus.append(line)
            if len(corpus) >= 200:
                break
    runs = [json.dumps({"id": f"r{i}", "task": "rename the column", "outcome": "success",
                        "steps": [{"role": "user", "text": "rename it"},
                                  {"action": "read_file", "arguments": {"path": "a.csv"},
                                   "observation": "ok"}]}).encode() for i in range(3)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "hello\n")
        zf.writestr("dir/b.py", "print(1)\n")
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w:gz") as tf:
        info = tarfile.TarInfo("x.sh")
        body = b"echo hi\n"
        info.size = len(body)
        tf.addfile(info, io.BytesIO(body))
    return {"skill_md": skill_md, "corpus": [b"".join(corpus[i:i + 3])
                                             for i in range(0, 200, 3)],
            "trajectory": [b"\n".join(runs)], "zip": [buf.getvalue()],
            "tgz": [tbuf.getvalue()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crashes", type=Path, default=Path("fuzz-crashes"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = seeds()
    work = F.Workdir()
    lock_text = F.lock_seed(work).encode()
    policy_text = F.POLICY_SEED.encode()

    def text(data: bytes) -> str:
        return data.decode("utf-8", "replace")

    targets: list[tuple[str, int, Callable[[], tuple[bytes, Callable[[bytes], None]]]]] = [
        ("skill_md", 30, lambda: (mutate(rng, rng.choice(pool["skill_md"])), F.skill_md)),
        ("yaml", 15, lambda: (mutate(rng, rng.choice(pool["skill_md"])[:600]),
                              lambda d: F.yaml_text(text(d)))),
        ("corpus", 10, lambda: (mutate(rng, rng.choice(pool["corpus"])),
                                lambda d: F.corpus(work, d))),
        ("trajectory", 10, lambda: (mutate(rng, pool["trajectory"][0]),
                                    lambda d: F.trajectory(work, d, rng.choice(
                                        [".jsonl", ".json", ".traj"])))),
        ("archive", 5, lambda: (mutate(rng, rng.choice(pool["zip"] + pool["tgz"])),
                                lambda d: F.archive(d, rng.choice(
                                    ["assets/a.zip", "assets/a.tar.gz", "a.docx"])))),
        ("lockfile", 10, lambda: (mutate(rng, lock_text), lambda d: F.lockfile(text(d)))),
        ("policy", 8, lambda: (mutate(rng, policy_text), lambda d: F.policy(work, text(d)))),
        ("index", 3, lambda: (mutate(rng, rng.choice(pool["skill_md"])),
                              lambda d: F.index_folder(work, d, rng.random() < 0.5))),
    ]
    names = [t[0] for t in targets]
    weights = [t[1] for t in targets]
    makers = {t[0]: t[2] for t in targets}
    tried: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    signatures: set[str] = set()
    base_tried = base_crashes = base_stalls = 0
    signal.signal(signal.SIGALRM, _alarm)
    deadline = time.monotonic() + args.minutes * 60
    ours = base = 0.0
    last_report = time.monotonic()
    while time.monotonic() < deadline:
        name = rng.choices(names, weights)[0]
        data, target = makers[name]()
        tried[name] += 1
        signal.alarm(STALL_SECONDS)
        started = time.perf_counter()
        try:
            target(data)
        except Exception as exc:  # a crash: keep the input and where it happened
            where = traceback.extract_tb(exc.__traceback__)[-1]
            sig = f"{name}:{type(exc).__name__}:{Path(where.filename).name}:{where.lineno}"
            crashes[name] += 1
            if sig not in signatures:
                signatures.add(sig)
                args.crashes.mkdir(parents=True, exist_ok=True)
                stem = args.crashes / f"{name}-{hashlib.sha256(data).hexdigest()[:12]}"
                stem.with_suffix(".bin").write_bytes(data)
                stem.with_suffix(".txt").write_text(traceback.format_exc())
                print(f"CRASH {sig} -> {stem}.bin", flush=True)
        finally:
            signal.alarm(0)
        if name == "skill_md":
            ours += time.perf_counter() - started
            base_tried += 1
            started = time.perf_counter()
            signal.alarm(STALL_SECONDS)
            try:
                block = frontmatter.split(data.decode("utf-8", "replace"))[0]
                if block is not None:
                    yaml.load(block, Loader=yaml.CSafeLoader)  # noqa: S506 - the baseline
            except (yaml.YAMLError, ValueError):
                pass
            except Stall:
                base_stalls += 1
            except Exception:  # noqa: BLE001 - what the baseline lets escape
                base_crashes += 1
            finally:
                signal.alarm(0)
            base += time.perf_counter() - started
        if time.monotonic() - last_report > 60:
            last_report = time.monotonic()
            print(f"... {sum(tried.values())} inputs, {sum(crashes.values())} crashes",
                  flush=True)
    work.close()
    total = sum(tried.values())
    print(f"fuzzed {args.minutes:g} min (seed {args.seed}): {total} inputs, "
          f"{sum(crashes.values())} crashes ({len(signatures)} distinct)")
    for name in names:
        print(f"  {name:11} {tried[name]:7} inputs  {crashes[name]:4} crashes")
    print(f"baseline PyYAML CSafeLoader on the same {base_tried} SKILL.md inputs: "
          f"{base_crashes} uncaught non-YAML exceptions, {base_stalls} stalls "
          f"({base * 1000 / max(base_tried, 1):.2f} ms/input); skillyard: "
          f"{crashes['skill_md']} crashes ({ours * 1000 / max(base_tried, 1):.2f} ms/input, "
          f"full parse + validate, strict and lenient)")
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
