"""The skillyard CLI end to end, as a user runs it (a real subprocess per command)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE_SKILLS, write_skill


def run(*args: str, db: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "skillyard", *args]
    if db is not None:
        cmd += ["--db", str(db)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}: {proc.stderr}")
    return proc


@pytest.fixture
def indexed(db_path: Path) -> Path:
    run("index", str(SAMPLE_SKILLS), db=db_path)
    return db_path


def test_index_json_summary(db_path: Path) -> None:
    out = json.loads(run("index", str(SAMPLE_SKILLS), "--json", db=db_path).stdout)
    assert out["loaded"] == 41 and out["added"] == 41 and out["rejected"] == []
    again = json.loads(run("index", str(SAMPLE_SKILLS), "--json", db=db_path).stdout)
    assert again["unchanged"] == 41


def test_index_reports_rejections_and_warnings(tmp_path: Path, db_path: Path) -> None:
    write_skill(tmp_path, "fine")
    bad = tmp_path / "broken"
    bad.mkdir()
    (bad / "SKILL.md").write_bytes(b"\xff\xfe garbage")
    write_skill(tmp_path, "odd", extra="mystery: 1\n")
    proc = run("index", str(tmp_path), "--json", db=db_path, check=False)
    assert proc.returncode == 1  # the good ones are kept; the exit code says one was not
    out = json.loads(proc.stdout)
    assert out["loaded"] == 2 and len(out["rejected"]) == 1
    assert "not UTF-8" in out["rejected"][0]["reason"]
    assert out["warned"] == 1
    text = run("index", str(tmp_path), db=db_path, check=False).stdout
    assert "rejected" in text and "broken" in text
    assert "warned" in text and "mystery" in text  # the text report says what was warned


def test_strict_index_rejects_spec_violations(tmp_path: Path, db_path: Path) -> None:
    write_skill(tmp_path, "odd", extra="mystery: 1\n")
    proc = run("index", str(tmp_path), "--strict", "--json", db=db_path, check=False)
    assert proc.returncode == 1
    assert "mystery" in json.loads(proc.stdout)["rejected"][0]["reason"]


def test_list_and_show(indexed: Path) -> None:
    rows = json.loads(run("list", "--json", db=indexed).stdout)
    assert len(rows) == 41 and {"id", "name", "description", "version"} <= set(rows[0])
    shown = json.loads(run("show", "excalidraw", "--json", db=indexed).stdout)
    assert shown["name"] == "excalidraw" and shown["version"] == 1 and shown["files"]
    assert "excalidraw" in run("show", "excalidraw", db=indexed).stdout


def test_ambiguous_name_lists_candidates_in_one_line(indexed: Path) -> None:
    proc = run("show", "frontend-design", db=indexed, check=False)
    assert proc.returncode == 2  # an input error: the user must name one
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "matches 2 skills" in lines[0]
    assert "HKUDS@ClawTeam/frontend-design" in lines[0]


def test_show_old_version(tmp_path: Path, db_path: Path) -> None:
    write_skill(tmp_path, "v-skill", description="One.")
    run("index", str(tmp_path), db=db_path)
    write_skill(tmp_path, "v-skill", description="Two.")
    run("index", str(tmp_path), db=db_path)
    assert json.loads(run("show", "v-skill", "--json", db=db_path).stdout)["description"] == "Two."
    old = json.loads(run("show", "v-skill", "--version", "1", "--json", db=db_path).stdout)
    assert old["description"] == "One." and len(old["versions"]) == 2


def test_validate(tmp_path: Path) -> None:
    good = write_skill(tmp_path / "good", "good-skill")
    assert run("validate", str(good), "--strict").returncode == 0
    odd = write_skill(tmp_path / "odd", "Odd_Name")
    proc = run("validate", str(odd), "--strict", "--json", check=False)
    assert proc.returncode == 1
    [result] = json.loads(proc.stdout)
    assert not result["ok"] and any("lowercase" in e for e in result["errors"])
    lenient = json.loads(run("validate", str(odd), "--json").stdout)
    assert lenient[0]["ok"] and lenient[0]["warnings"]
    assert run("validate", str(good / "SKILL.md")).returncode == 0
    missing = run("validate", str(tmp_path / "nothing"), check=False)
    assert missing.returncode == 2 and "error" in missing.stderr


def test_validate_all_samples_leniently() -> None:
    out = json.loads(run("validate", str(SAMPLE_SKILLS), "--json").stdout)
    assert len(out) == 41 and all(r["ok"] for r in out)


def test_catalog_formats_and_budget(indexed: Path) -> None:
    xml = run("catalog", db=indexed).stdout
    assert xml.startswith("<available_skills>") and xml.count("<skill>") == 41
    md = run("catalog", "--format", "md", "--budget", "3000", db=indexed).stdout
    assert len(md) <= 3000 and md.startswith("# Available skills")
    data = json.loads(run("catalog", "--budget", "2000", "--json", db=indexed).stdout)
    assert data["chars"] <= 2000 and data["omitted"] > 0
    bad = run("catalog", "--format", "yaml", db=indexed, check=False)
    assert bad.returncode == 2 and "unknown format" in bad.stderr


def test_bad_input_exits_nonzero_with_one_line(tmp_path: Path, db_path: Path) -> None:
    proc = run("index", str(tmp_path / "missing"), db=db_path, check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "no such" in proc.stderr
    notdb = tmp_path / "junk.db"
    notdb.write_bytes(b"junk" * 1000)
    proc = run("list", db=notdb, check=False)
    assert proc.returncode == 2 and "not a usable" in proc.stderr
    assert run("frobnicate", check=False).returncode == 2


def test_help_has_examples() -> None:
    for command in ("index", "list", "show", "validate", "catalog"):
        assert "Examples" in run(command, "--help").stdout


def test_env_var_selects_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "via-env.db"
    monkeypatch.setenv("SKILLYARD_DB", str(target))
    run("index", str(SAMPLE_SKILLS / "anthropics@skills"))
    assert target.exists()
    assert len(json.loads(run("list", "--json").stdout)) >= 1


def test_index_git_source_via_cli(tmp_path: Path, db_path: Path) -> None:
    repo = tmp_path / "repo"
    write_skill(repo / "skills", "from-git")
    for args in (["init", "-q"], ["add", "."],
                 ["-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    out = json.loads(run("index", f"file://{repo}", "--json", db=db_path).stdout)
    assert out["added"] == 1
    shown = json.loads(run("show", "from-git", "--json", db=db_path).stdout)
    assert shown["provenance"]["kind"] == "git" and len(shown["provenance"]["commit"]) == 40


def test_catalog_can_leave_out_blocked_skills(tmp_path: Path, db_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "audit" / "sc2-fake-prereq-b64"
    run("index", str(SAMPLE_SKILLS / "anthropics@skills"), str(fixture), "--no-route", db=db_path)
    everything = json.loads(run("catalog", "--json", db=db_path).stdout)
    allowed = json.loads(run("catalog", "--json", "--exclude-blocked", db=db_path).stdout)
    assert len(allowed["skills"]) == len(everything["skills"]) - 1
    assert fixture.name not in {s["name"] for s in allowed["skills"]}


def test_version_zero_is_a_usage_error(indexed: Path) -> None:
    zero = run("show", "excalidraw", "--version", "0", db=indexed, check=False)
    assert zero.returncode == 2
    missing = run("show", "excalidraw", "--version", "9", db=indexed, check=False)
    assert missing.returncode == 2 and "version 9" in missing.stderr
