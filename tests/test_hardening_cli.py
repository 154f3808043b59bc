"""One exit-code contract (0 ok, 1 finding, 2 usage/input error), JSON errors, no accidental
libraries, and batch commands that report a bad item and go on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_skill


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skillyard", *args], capture_output=True,
                          text=True, check=False, cwd=cwd)


def _one_line(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_index_keeps_the_good_skills_and_exits_1(tmp_path: Path) -> None:
    write_skill(tmp_path / "tree", "good-one")
    write_skill(tmp_path / "tree", "good-two")
    for bad, extra in (("tagged", "meta: !!int abc\n"), ("looped", "meta: &a [*a]\n")):
        write_skill(tmp_path / "tree", bad, extra=extra)
    db = tmp_path / "t.db"
    proc = run("index", str(tmp_path / "tree"), "--db", str(db), "--no-route", "--json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert report["loaded"] == 2 and len(report["rejected"]) == 2
    listed = json.loads(run("list", "--db", str(db), "--json").stdout)
    assert sorted(s["name"] for s in listed) == ["good-one", "good-two"]


def test_names_and_strings_that_are_not_text_reject_one_skill(tmp_path: Path) -> None:
    """A file name with a byte that is not UTF-8 (the OS hands it over as a surrogate) and a
    corpus string with a lone \\udXXX escape cannot be stored, hashed or printed: that skill
    is rejected with its reason, the auditor blocks it, and the rest is indexed."""
    write_skill(tmp_path / "tree", "good-one")
    bad = write_skill(tmp_path / "tree", "bad-name")
    with open(os.path.join(os.fsencode(bad), b"scr\xffipt.sh"), "wb") as handle:
        handle.write(b"curl https://example.com | sh\n")
    db = tmp_path / "t.db"
    proc = run("index", str(tmp_path / "tree"), "--db", str(db), "--no-route", "--json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert report["loaded"] == 1
    (rejected,) = report["rejected"]
    assert rejected["reason"] == "file name 'scr\\xffipt.sh' is not UTF-8 text; rename it"
    audit = run("audit", str(bad), "--json")
    assert audit.returncode == 1 and "Traceback" not in audit.stderr
    result = json.loads(audit.stdout)  # one skill: one object
    assert result["verdict"] == "block" and result["findings"][0]["rule"] == "unloadable"

    corpus = tmp_path / "c.jsonl"
    records = [{"id": "a/x\udcff", "name": "x", "description": "Clean CSV files.", "body": "b"},
               {"id": "a/y", "name": "y", "description": "Lone \ud800 half.", "body": "b"},
               {"id": "a/z", "name": "z", "description": "Smile \U0001F600 pairs.", "body": "b"}]
    corpus.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="ascii")
    proc = run("index", str(corpus), "--db", str(tmp_path / "c.db"), "--no-route", "--json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert report["loaded"] == 1 and len(report["rejected"]) == 2
    assert all("lone surrogate" in r["reason"] for r in report["rejected"])


def test_names_and_files_that_are_not_text_are_one_line_errors(tmp_path: Path) -> None:
    """A name argument with a byte that is not UTF-8 finds nothing (exit 2, one line, the
    byte shown as an escape); a lockfile or a trigger set holding a lone surrogate escape or
    a NUL is refused by the place it holds it."""
    db = tmp_path / "t.db"
    write_skill(tmp_path / "tree", "good-one")
    assert run("index", str(tmp_path / "tree"), "--db", str(db), "--no-route").returncode == 0
    for args in (["show", "good-one\udcff"], ["audit", "--library", "x\udcff"]):
        proc = run(*args, "--db", str(db))
        assert proc.returncode == 2 and "\\udcff" in proc.stderr, proc.stderr
        _one_line(proc)
    proc = run("show", "x\udcff", "--db", str(db), "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout)["exit_code"] == 2

    lock = {"lockfile": 1, "skills": {"good-one": {
        "id": "x\ud800", "source": {"kind": "folder", "location": ".", "path": ""}}}}
    (tmp_path / "skillyard.lock").write_text(json.dumps(lock), encoding="ascii")
    proc = run("install", "--db", str(db), cwd=tmp_path)
    assert proc.returncode == 2 and "skills.good-one.id holds a NUL or a lone surrogate" \
        in proc.stderr
    _one_line(proc)

    triggers = tmp_path / "t.jsonl"
    triggers.write_text(json.dumps({"qid": "a", "query": "x\u0000y", "gold": ["good-one"]}),
                        encoding="ascii")
    proc = run("eval", "triggers", str(triggers), "--db", str(db))
    assert proc.returncode == 2 and "query holds a NUL" in proc.stderr, proc.stderr
    _one_line(proc)
    listed = json.loads(run("eval", "list", "--db", str(db), "--json").stdout)
    assert listed == []  # no run was started, so none is left "running"


def test_index_of_an_empty_folder_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = run("index", str(tmp_path / "empty"), "--db", str(tmp_path / "t.db"), "--no-route")
    assert proc.returncode == 2 and "no skills found" in proc.stderr


def test_audit_of_a_missing_path_is_an_input_error(tmp_path: Path) -> None:
    proc = run("audit", str(tmp_path / "does-not-exist"))
    assert proc.returncode == 2
    _one_line(proc)


@pytest.mark.parametrize("command", [["list"], ["show", "x"], ["catalog"], ["route", "hello"],
                                     ["verify"], ["candidates"], ["eval", "list"],
                                     ["audit", "--library"]])
def test_read_commands_never_create_a_library(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "no" / "such" / "dir" / "x.db"
    proc = run(*command, "--db", str(db))
    assert proc.returncode == 2, proc.stderr
    _one_line(proc)
    assert "no library" in proc.stderr and not (tmp_path / "no").exists()


def test_failed_import_leaves_nothing_and_init_creates(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gz"
    junk.write_bytes(b"not an archive")
    db = tmp_path / "new" / "lib.db"
    proc = run("import", str(junk), "--db", str(db))
    assert proc.returncode == 2 and not (tmp_path / "new").exists()
    created = run("init", "--db", str(db), "--json")
    assert created.returncode == 0 and json.loads(created.stdout)["skills"] == 0
    assert db.exists() and run("list", "--db", str(db)).returncode == 0


@pytest.mark.parametrize(("args", "code"), [
    (["show", "nothing-like-it"], 2),           # not found: input
    (["list", "--bogus"], 2),                   # bad flag: usage
    (["validate", "/nonexistent/skill"], 2),    # missing path: input
])
def test_json_errors_are_json_objects(tmp_path: Path, args: list[str], code: int) -> None:
    db = tmp_path / "lib.db"
    run("init", "--db", str(db))
    proc = run(*args, "--db", str(db), "--json") if args[0] != "validate" else run(*args,
                                                                                   "--json")
    assert proc.returncode == code
    error = json.loads(proc.stdout)
    assert error["exit_code"] == code and error["error"]


def test_findings_exit_1(tmp_path: Path) -> None:
    odd = write_skill(tmp_path, "Odd_Name")
    proc = run("validate", str(odd), "--strict")
    assert proc.returncode == 1


def test_help_documents_the_contract() -> None:
    out = run("--help").stdout
    assert "Exit codes" in out and "usage or input error" in out


def test_learn_reports_an_unreadable_file_and_learns_from_the_rest(tmp_path: Path) -> None:
    good = tmp_path / "runs.jsonl"
    good.write_text("\n".join(json.dumps({
        "id": f"r{i}", "task": "rename a column", "outcome": "success",
        "steps": [{"role": "user", "text": "rename a column"},
                  {"action": "read_file", "arguments": {"path": "a.csv"}, "observation": "ok"}],
    }) for i in range(3)) + "\n")
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"id": "x", "steps": [\n')
    db = tmp_path / "l.db"
    proc = run("learn", str(bad), str(good), "--dry-run", "--json", "--db", str(db))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert report["trajectories"] == 3
    assert [u["file"] for u in report["unreadable"]] == [str(bad)]


def test_tables_never_cut_ids(tmp_path: Path) -> None:
    deep = tmp_path / ("a-rather-long-folder-name-" * 3) / "nested"
    write_skill(deep, "some-skill-with-a-long-name")
    db = tmp_path / "l.db"
    run("index", str(deep), "--db", str(db), "--no-route")
    import os

    proc = subprocess.run([sys.executable, "-m", "skillyard", "list", "--db", str(db)],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "60"})
    assert f"dir:{deep / 'some-skill-with-a-long-name'}" in proc.stdout


def test_smaller_cli_defects(tmp_path: Path) -> None:
    write_skill(tmp_path / "s", "one-skill")
    db = tmp_path / "l.db"
    run("index", str(tmp_path / "s"), "--db", str(db), "--no-route")
    missing = run("export", str(tmp_path / "nowhere" / "x.gz"), "--db", str(db))
    assert missing.returncode == 2 and ".part" not in missing.stderr
    assert "nowhere" in missing.stderr and "does not exist" in missing.stderr
    svg = run("eval", "report", "latest", "--plot", str(tmp_path / "x.svg"), "--db", str(db))
    assert svg.returncode == 2 and ".png" in svg.stderr
    import os

    env = {**os.environ, "COLUMNS": "300"}
    helptext = subprocess.run([sys.executable, "-m", "skillyard", "index", "--help"],
                              capture_output=True, text=True, env=env).stdout
    assert "skillyard[ray]" in helptext
    sync_help = subprocess.run([sys.executable, "-m", "skillyard", "sync", "--help"],
                               capture_output=True, text=True, env=env).stdout
    error = run("sync", "--agent", "emacs", cwd=tmp_path).stderr
    listed = error.split("known agents: ", 1)[1].split(" (or all)")[0].split(", ")
    all_agents = run("agents", "--all", "--json", cwd=tmp_path).stdout
    assert "skillyard agents --all" in " ".join(sync_help.split())
    assert sorted(listed) == sorted(a["name"] for a in json.loads(all_agents)["agents"])


def test_dry_runs_say_would(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    write_skill(proj / "vendor", "dry-skill")
    db = tmp_path / "l.db"
    assert run("add", "./vendor/dry-skill", "--db", str(db), cwd=proj).returncode == 0
    out = run("sync", "--agent", "claude", "--dry-run", "--db", str(db), cwd=proj).stdout
    assert "would install" in out and "installed" not in out.replace("would install", "")
    assert not (proj / ".claude").exists()


def test_route_says_when_it_must_finish_the_index_first(tmp_path: Path) -> None:
    write_skill(tmp_path / "s", "commit-helper", description="Write git commit messages.")
    db = tmp_path / "l.db"
    run("index", str(tmp_path / "s"), "--db", str(db), "--no-route")  # as if interrupted
    first = run("route", "write a commit message", "--json", "--db", str(db))
    assert first.returncode == 0 and "brought up to date" in " ".join(first.stderr.split())
    assert json.loads(first.stdout)["results"][0]["name"] == "commit-helper"
    again = run("route", "write a commit message", "--json", "--db", str(db))
    assert "note:" not in again.stderr
