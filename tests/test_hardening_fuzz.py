"""Property fuzzing (bounded: a few seconds each) over everything skillyard reads from outside:
SKILL.md bytes and YAML structures, corpus records, trajectories, archives, lockfiles and
policies. A target may return or raise its reader's documented error; anything else fails.
``bench/fuzz.py --minutes N`` runs the same targets for as long as you like."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLE_SKILLS
from support import fuzz_targets as F

FAST = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SLOW = settings(FAST, max_examples=25)

SEEDS = sorted(p.read_bytes() for p in SAMPLE_SKILLS.glob("*/*/SKILL.md"))[:12]


@pytest.fixture(scope="module")
def work() -> Iterator[F.Workdir]:
    scratch = F.Workdir()
    yield scratch
    scratch.close()


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few splices: YAML tokens, random bytes, cuts and duplications."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["token", "bytes", "cut", "dup"]))
        if action == "token":
            token = draw(st.sampled_from(F.YAML_TOKENS))
            data[at:at] = token.encode("utf-8", "surrogatepass")
        elif action == "bytes":
            data[at:at] = draw(st.binary(max_size=8))
        elif action == "cut":
            del data[at:at + draw(st.integers(1, 40))]
        else:
            data[at:at] = data[max(0, at - 30):at]
    return bytes(data)


@FAST
@given(mutated(SEEDS))
def test_skill_md_mutations(data: bytes) -> None:
    F.skill_md(data)


@FAST
@given(st.binary(max_size=400))
def test_skill_md_random_bytes(data: bytes) -> None:
    F.skill_md(b"---\n" + data)


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)


@FAST
@given(YAML_VALUES, st.lists(st.tuples(st.integers(0, 400), st.sampled_from(F.YAML_TOKENS)),
                             max_size=4))
def test_yaml_structures_with_spliced_tokens(value: Any, splices: list[tuple[int, str]]) -> None:
    text = yaml.safe_dump({"name": "x", "description": "d", "meta": value}, allow_unicode=True)
    for at, token in splices:
        text = text[:at] + token + text[at:]
    F.yaml_text(text)


@FAST
@given(YAML_VALUES)
def test_plain_yaml_round_trips(value: Any) -> None:
    """What the safe loader refuses is never ordinary YAML: dumped plain values load back."""
    text = yaml.safe_dump({"v": value}, allow_unicode=True)
    loaded = F.safeyaml.load(text)
    assert set(loaded) == {"v"}


# JSON strings may hold any code point, lone surrogates too (a "\\udXXX" escape not in a pair)
def json_text(min_size: int = 0, max_size: int = 30) -> st.SearchStrategy[str]:
    chars = st.characters(codec=None, categories=["Cs"]) | st.characters()
    return st.lists(chars, min_size=min_size, max_size=max_size).map("".join)


RECORD_VALUES = st.one_of(st.none(), st.integers(), json_text(),
                          st.lists(json_text(max_size=5), max_size=3),
                          st.dictionaries(json_text(max_size=5), json_text(max_size=5),
                                          max_size=2))


@FAST
@given(st.lists(st.one_of(
    st.fixed_dictionaries({}, optional={k: RECORD_VALUES for k in
                                        ("id", "name", "description", "body", "source_path")}
                          ).map(json.dumps),
    st.builds(lambda md, rid: json.dumps({"id": rid, "skill_md": md.decode("utf-8", "replace")}),
              mutated(SEEDS), st.text(min_size=1, max_size=10)),
    st.text(max_size=40),
    st.just("[" * 5000),
), max_size=4))
def test_corpus_records(work: F.Workdir, lines: list[str]) -> None:
    F.corpus(work, "\n".join(lines).encode("utf-8", "surrogatepass"))


@FAST
@given(st.sampled_from(["id", "name", "description", "body", "source_path"]),
       json_text(min_size=1, max_size=12))
def test_corpus_strings_that_are_not_text(work: F.Workdir, field: str, value: str) -> None:
    """A record whose string holds a lone surrogate is rejected; the others load all-text."""
    record = {"id": "team/pdf-forms", "name": "pdf-forms", "body": "Steps.",
              "description": "Fill PDF forms. Use for PDF forms.", "source_path": "a/b/SKILL.md"}
    record[field] = record[field][:4] + value
    F.corpus(work, json.dumps(record).encode("ascii"))


STEP = st.fixed_dictionaries({}, optional={
    "role": st.sampled_from(["user", "assistant", "tool", "system", "robot"]) | RECORD_VALUES,
    "text": RECORD_VALUES, "action": RECORD_VALUES, "arguments": RECORD_VALUES,
    "observation": RECORD_VALUES, "error": RECORD_VALUES, "tool_call_id": RECORD_VALUES,
    "tool_calls": st.lists(st.fixed_dictionaries({}, optional={
        "name": RECORD_VALUES, "arguments": RECORD_VALUES, "id": RECORD_VALUES}), max_size=2)
    | RECORD_VALUES,
})
RUN = st.fixed_dictionaries({}, optional={
    "id": RECORD_VALUES, "task": RECORD_VALUES,
    "outcome": st.sampled_from(["success", "failure", "unknown", "meh"]) | RECORD_VALUES,
    "reward": st.floats() | RECORD_VALUES, "steps": st.lists(STEP, max_size=4) | RECORD_VALUES,
    "messages": st.lists(STEP, max_size=3), "trajectory": st.lists(STEP, max_size=3),
})


@FAST
@given(st.lists(RUN, min_size=1, max_size=3), st.sampled_from([".jsonl", ".json", ".traj"]),
       st.integers(0, 50))
def test_trajectories(work: F.Workdir, runs: list[dict[str, Any]], suffix: str,
                      cut: int) -> None:
    if suffix == ".jsonl":
        data = "\n".join(json.dumps(r) for r in runs).encode()
    else:
        data = json.dumps(runs if suffix == ".json" else runs[0]).encode()
    F.trajectory(work, data[:len(data) - cut] if cut else data, suffix)


@FAST
@given(st.sampled_from(["id", "task", "agent", "user", "text", "thought", "name", "path",
                        "observation", "error", "metadata"]),
       json_text(min_size=1, max_size=12), st.sampled_from([".jsonl", ".json"]))
def test_trajectory_strings_that_are_not_text(work: F.Workdir, field: str, value: str,
                                              suffix: str) -> None:
    """Lone surrogates in a run's free text are read as U+FFFD: the run loads, all text."""
    run: dict[str, Any] = {
        "id": "run-1", "task": "Rename a column", "agent": "a", "user": "u",
        "outcome": "success", "metadata": {"note": "m"},
        "steps": [{"role": "user", "text": "Rename the column"},
                  {"role": "assistant", "text": "ok", "thought": "t",
                   "tool_calls": [{"name": "read_file", "arguments": {"path": "a.csv"},
                                   "id": "c1"}]},
                  {"role": "tool", "tool_call_id": "c1", "text": "x,y"},
                  {"action": "run_tests", "observation": "2 failed", "error": "failed"}]}
    text = json.dumps(run).replace(f'"{field}": "', f'"{field}": "{json.dumps(value)[1:-1]}')
    data = text if suffix == ".jsonl" else f"[{text}]"
    F.trajectory(work, data.encode("ascii"), suffix)


@st.composite
def archives(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["zip", "tar", "tgz", "raw"]))
    members = draw(st.lists(st.tuples(
        st.sampled_from(["a.txt", "../escape.sh", "/abs", "dir/b.py", "x" * 200, "c.zip"]),
        st.binary(max_size=60)), max_size=4))
    buf = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buf, "w") as zf:
            for name, body in members:
                zf.writestr(name, body)
    elif kind in ("tar", "tgz"):
        with tarfile.open(fileobj=buf, mode="w:gz" if kind == "tgz" else "w") as tf:
            for name, body in members:
                info = tarfile.TarInfo(name)
                info.size = len(body)
                tf.addfile(info, io.BytesIO(body))
    else:
        buf.write(draw(st.binary(max_size=200)))
    data = bytearray(buf.getvalue())
    for _ in range(draw(st.integers(0, 3))):  # corrupt a few bytes
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, 30))
    name = {"zip": "assets/a.zip", "tar": "assets/a.tar", "tgz": "assets/a.tar.gz",
            "raw": draw(st.sampled_from(["assets/a.zip", "assets/a.gz", "x.docx"]))}[kind]
    return bytes(data[:len(data) - cut] if cut else data), name


@SLOW
@given(archives())
def test_archives_in_skills(sample: tuple[bytes, str]) -> None:
    F.archive(*sample)


def _mutate_json(value: Any, path: list[Any], new: Any) -> Any:
    if not path or not isinstance(value, dict | list):
        return new
    key = path[0]
    if isinstance(value, dict) and value:
        k = sorted(value)[key % len(value)]
        return {**value, k: _mutate_json(value[k], path[1:], new)}
    if isinstance(value, list) and value:
        i = key % len(value)
        return value[:i] + [_mutate_json(value[i], path[1:], new)] + value[i + 1:]
    return value


@FAST
@given(st.lists(st.integers(0, 20), max_size=6), RECORD_VALUES | st.booleans() | st.floats(),
       st.integers(0, 30))
def test_lockfiles(work: F.Workdir, path: list[int], new: Any, cut: int) -> None:
    seed = json.loads(F.lock_seed(work))
    text = json.dumps(_mutate_json(seed, path, new))
    F.lockfile(text[:len(text) - cut] if cut else text)


TOML_VALUE = st.one_of(st.integers(-5, 9).map(str), st.sampled_from(
    ['"high"', '"low"', '"block"', '"nope"', "true", "[1, 2]", "{a = 1}", '"dir:*"', "'x'"]))


@FAST
@given(st.lists(st.tuples(st.sampled_from(["[thresholds]", "[tiers]", "[[sources]]",
                                           "[rules.hidden-html-comment]", "[signers]", "[x]",
                                           ""]),
                          st.sampled_from(["block", "warn", "default", "id", "ceiling",
                                           "severity", "disabled", "kind", "source", "q"]),
                          TOML_VALUE), max_size=6),
       st.integers(0, 20))
def test_policies(work: F.Workdir, lines: list[tuple[str, str, str]], cut: int) -> None:
    text = F.POLICY_SEED + "".join(f"{head}\n{key} = {value}\n" for head, key, value in lines)
    F.policy(work, text[:len(text) - cut] if cut else text)


@SLOW
@given(mutated(SEEDS), st.booleans())
def test_index_keeps_going(work: F.Workdir, data: bytes, strict: bool) -> None:
    F.index_folder(work, data, strict)


def test_zip_member_without_a_name_fails_closed() -> None:
    """Found by bench/fuzz.py: zipfile's is_dir() raised IndexError on an empty member name."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(""), b"hi")
    F.archive(buf.getvalue())


def test_zip_of_an_unknown_version_fails_closed() -> None:
    """Found by bench/fuzz.py (10-minute run): zipfile raised NotImplementedError."""
    from pathlib import Path

    data = (Path(__file__).parent / "fixtures" / "fuzz-zip-version.bin").read_bytes()
    F.archive(data, "assets/a.zip")


def test_deeply_nested_policy_is_one_error(work: F.Workdir) -> None:
    F.policy(work, "a = " + "[" * 100_000 + "]" * 100_000)
