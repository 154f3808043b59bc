"""skillyard route / reindex / index as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_skill
from skillyard.cli.route import BatchError, read_batch

SKILLS = {
    "csv-cleaner": "Clean messy CSV files: fix encodings, delimiters and headers.",
    "sql-tuner": "Speed up slow SQL queries with indexes and query plans.",
    "poem-writer": "Write short poems for birthdays and weddings.",
    "git-commits": "Write clear git commit messages in the imperative mood.",
}


def run(*args: str, db: Path, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "skillyard", *args, "--db", str(db)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}: {proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("routecli")
    for name, desc in SKILLS.items():
        write_skill(root / "skills", name, desc)
    path = root / "lib.db"
    out = json.loads(run("index", str(root / "skills"), "--json", db=path).stdout)
    assert out["loaded"] == 4 and out["route"]["skills"] == 4
    assert out["route"]["embedded"] == 0  # the default build runs no model
    return path


def test_route_json(db: Path) -> None:
    out = json.loads(run("route", "my SQL query is slow", "-k", "2", "--json", db=db).stdout)
    assert out["results"][0]["name"] == "sql-tuner" and len(out["results"]) == 2
    assert set(out) >= {"query", "results", "abstain", "latency_ms", "confidence", "threshold"}
    assert set(out["results"][0]) >= {"id", "name", "score"}


def test_route_rerank_body(db: Path) -> None:
    out = json.loads(run("route", "my SQL query is slow", "-k", "2", "--rerank", "body",
                         "--json", db=db).stdout)
    assert out["reranker"] == "body" and "notes" not in out
    assert out["results"][0]["name"] == "sql-tuner"
    assert set(out["results"][0]) >= {"id", "name", "score"}
    proc = run("route", "write a poem for my sister's wedding", "--rerank", "body", "--explain",
               db=db)
    assert "poem-writer" in proc.stdout and "static_passage" in proc.stdout
    bad = run("route", "x", "--rerank", "bodies", db=db, check=False)
    assert bad.returncode == 2 and "unknown reranker 'bodies'" in bad.stderr
    assert all(name in bad.stderr for name in ("none", "llm", "body"))


def test_route_text_and_explain(db: Path) -> None:
    proc = run("route", "write a poem for my sister's wedding", "--explain", db=db)
    assert "poem-writer" in proc.stdout and "signals" in proc.stdout


def test_batch_writes_one_json_line_per_query(db: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"qid": "a", "query": "clean up this csv export"}\n\n'
        '{"qid": 7, "query": "commit message for my change"}\n', encoding="utf-8")
    proc = run("route", "--queries", str(queries), "-k", "3", "--json", db=db)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [x["qid"] for x in lines] == ["a", "7"]
    assert lines[0]["results"][0]["name"] == "csv-cleaner"
    assert lines[1]["results"][0]["name"] == "git-commits"
    for line in lines:
        assert {"qid", "results", "abstain", "latency_ms"} <= set(line)
        assert isinstance(line["abstain"], bool) and len(line["results"]) == 3


def test_reindex_is_incremental(db: Path, tmp_path: Path) -> None:
    out = json.loads(run("reindex", "--json", db=db).stdout)
    assert out["up_to_date"] and out["embedded"] == 0
    full = json.loads(run("reindex", "--full", "--json", db=db).stdout)
    assert full["read"] == 4 and not full["up_to_date"]
    assert "up to date" in run("reindex", db=db).stdout


def test_reindex_full_model_and_back(db: Path) -> None:
    model = json.loads(run("reindex", "--full-model", "--json", db=db).stdout)
    assert model["embedded"] + model["cached"] == 4 and model["read"] == 4
    assert json.loads(run("reindex", "--json", db=db).stdout)["up_to_date"]  # kept
    out = json.loads(run("route", "my SQL query is slow", "-k", "1", "--json", db=db).stdout)
    assert out["results"][0]["name"] == "sql-tuner"
    static = json.loads(run("reindex", "--static-only", "--json", db=db).stdout)
    assert static["embedded"] == 0 and static["read"] == 4 and not static["up_to_date"]
    bad = run("reindex", "--static-only", "--ray", db=db, check=False)
    assert bad.returncode == 2 and "implies --full-model" in bad.stderr


def test_index_can_skip_routing(tmp_path: Path) -> None:
    write_skill(tmp_path / "s", "lonely", "Keeps to itself.")
    out = json.loads(run("index", str(tmp_path / "s"), "--no-route", "--json",
                         db=tmp_path / "x.db").stdout)
    assert "route" not in out
    assert not (tmp_path / "x.db.route").exists()


@pytest.mark.parametrize(("args", "code", "needle"), [
    (("route",), 2, "TASK or --queries"),
    (("route", "x", "-k", "0"), 2, "-k"),
    (("route", "   "), 2, "query is empty"),
    (("route", "x", "--rerank", "magic"), 2, "unknown reranker 'magic'"),
    (("route", "x", "--rerank", "llm"), 2, "SKILLYARD_LLM_BASE_URL"),
    (("route", "--queries", "/nonexistent/q.jsonl"), 2, "no such queries file"),
])
def test_bad_input_exits_non_zero_with_one_line(db: Path, args: tuple[str, ...], code: int,
                                                 needle: str) -> None:
    proc = run(*args, db=db, check=False)
    assert proc.returncode == code and needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_bad_batch_line_is_reported_and_the_rest_routed(db: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"qid": "a", "query": "clean up this csv export"}\n{"qid": "b"}\n'
                       'not json\n[1]\n{"qid": true, "query": "x"}\n\n'
                       '{"query": "commit message for my change"}\n', encoding="utf-8")
    proc = run("route", "--queries", str(queries), "-k", "2", "--json", db=db, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "q.jsonl:2: 'query' must be a non-empty string" in proc.stderr
    assert "q.jsonl:3: not valid JSON" in proc.stderr
    assert "4 of 6 lines" in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [x["qid"] for x in lines] == ["a", "b", "3", "4", "5", "7"]
    assert lines[0]["results"][0]["name"] == "csv-cleaner"
    assert lines[5]["results"][0]["name"] == "git-commits"
    assert [x.get("line") for x in lines] == [None, 2, 3, 4, 5, None]
    assert all(("error" in x) == ("results" not in x) for x in lines)


def test_a_query_that_no_encoder_takes_is_routed(db: Path, tmp_path: Path) -> None:
    """A lone surrogate (a JSON escape) cannot be encoded as UTF-8, which the tokenizers
    need: the router reads it as U+FFFD, and the batch goes on; a qid holding one is
    written back as an escape."""
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"qid": "s\\udcff", "query": "clean this csv \\ud800 export"}\n'
                       '{"qid": "n", "query": "a git commit message\\u0000\\udfff"}\n'
                       '{"qid": "c", "query": "slow SQL query"}\n', encoding="utf-8")
    proc = run("route", "--queries", str(queries), "-k", "1", "--json", db=db)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [x["results"][0]["name"] for x in lines] == ["csv-cleaner", "git-commits",
                                                        "sql-tuner"]
    assert lines[0]["qid"] == "s\udcff"  # written as a \\u escape: the same qid read back


ANY_TEXT = st.text(st.characters(codec=None, categories=["Cs", "Cc", "L", "M", "N", "P",
                                                          "S", "Z"]), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(ANY_TEXT)
def test_the_router_takes_any_text(db: Path, query: str) -> None:
    """Any non-blank text (surrogates, control characters, every script) gets a result
    or an abstention, never an exception."""
    from skillyard.api import Library

    if not query.strip():
        return
    with Library(str(db)) as lib:
        result = lib.route(query, 2)
    assert len(result.results) <= 2 and result.latency_ms >= 0


RECORD = st.fixed_dictionaries(
    {"query": st.text(min_size=1, max_size=40).filter(str.strip)},
    optional={"qid": st.one_of(st.text(max_size=10), st.integers())},
)


@settings(max_examples=50, deadline=None)
@given(st.lists(RECORD, max_size=6))
def test_read_batch_round_trips_records(tmp_path_factory: pytest.TempPathFactory,
                                        records: list[dict]) -> None:
    path = tmp_path_factory.mktemp("batch") / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    got = read_batch(path)
    assert not any(line.error for line in got)
    assert [line.query for line in got] == [r["query"] for r in records]
    assert [line.qid for line in got] == [str(r.get("qid", n)) for n, r in
                                          enumerate(records, start=1)]


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=80))
def test_read_batch_takes_any_text_line_by_line(tmp_path_factory: pytest.TempPathFactory,
                                                text: str) -> None:
    """Junk never raises: each non-blank line is a request or carries its error."""
    path = tmp_path_factory.mktemp("junk") / "q.jsonl"
    path.write_text(text, encoding="utf-8")
    got = read_batch(path)
    assert len(got) == sum(1 for line in text.splitlines() if line.strip())
    for line in got:
        assert bool(line.error) != bool(line.query.strip()) and line.qid


def test_a_file_that_is_not_text_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(BatchError, match="not UTF-8 text"):
        read_batch(path)
