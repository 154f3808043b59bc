"""``skillyard eval`` end to end, as a user runs it (a real subprocess per command)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLE_SKILLS
from support.evaltasks import harbor_task, skill_folder


def run(*args: str, db: Path | None, check: bool = True) -> subprocess.CompletedProcess:
    extra = ["--db", str(db)] if db is not None else []
    proc = subprocess.run([sys.executable, "-m", "skillyard", *args, *extra],
                          capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}: {proc.stderr}")
    return proc


def _tasks(root: Path) -> Path:
    for i in range(4):
        harbor_task(root, f"help-{i}")
    harbor_task(root, "same-0")
    return root


def test_run_report_list_round_trip(tmp_path: Path, db_path: Path) -> None:
    tasks = _tasks(tmp_path / "tasks")
    skill = skill_folder(tmp_path / "skills", "answer-writer")
    out = json.loads(run("eval", "run", str(tasks), "--skill", str(skill), "--runner",
                         "scripted:skill-gated@help-*,oracle", "--trials", "2", "--seed", "5",
                         "--json", db=db_path).stdout)
    (result,) = out["runs"]
    comp = result["analysis"]["comparisons"][0]
    assert (comp["helped"], comp["hurt"], comp["both_pass"]) == (4, 0, 1)
    assert comp["p_value"] == 0.125
    run_id = result["run"]
    listed = json.loads(run("eval", "list", "--json", db=db_path).stdout)
    assert [r["id"] for r in listed] == [run_id] and listed[0]["status"] == "done"
    rebuilt = json.loads(run("eval", "report", run_id[:10], "--json", db=db_path).stdout)
    assert rebuilt["runs"][0]["analysis"] == result["analysis"]
    md = tmp_path / "report.md"
    png = tmp_path / "report.png"
    run("eval", "report", "latest", "--format", "md", "--out", str(md), "--plot", str(png),
        db=db_path)
    text = md.read_text(encoding="utf-8")
    assert "helped on 4 task(s), hurt on 0, of 5" in text and "![pass rates](report.png)" in text
    assert "| help-0 | fail 0/2 | pass 2/2 |" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = run("eval", "report", "latest", "--format", "html", db=db_path).stdout
    assert page.startswith("<!doctype html>") and "data:image/png;base64," in page
    table = run("eval", "report", "latest", db=db_path).stdout
    assert "skill vs none" in table and "exact McNemar p = 0.125" in table


def test_text_run_and_tasks_command(tmp_path: Path, db_path: Path) -> None:
    tasks = _tasks(tmp_path / "tasks")
    harbor_task(tasks, "baked", bundled_skill=True)
    listing = json.loads(run("eval", "tasks", str(tasks), "--json", db=None).stdout)
    assert len(listing["tasks"]) == 6
    assert next(t for t in listing["tasks"] if t["id"] == "baked")["bundled_skills"]
    text = run("eval", "tasks", str(tasks), db=None).stdout
    assert "6 tasks" in text and "never copied into a trial" in text
    out = run("eval", "run", str(tasks), "--arms", "none", "--runner", "scripted:oracle",
              db=db_path).stdout
    assert "stored as run" in out and "6/6" in out


def test_bad_input_is_one_clear_line(tmp_path: Path, db_path: Path) -> None:
    tasks = _tasks(tmp_path / "tasks")
    broken = tmp_path / "broken"
    harbor_task(broken, "t")
    (broken / "t" / "task.toml").write_text("= nope", encoding="utf-8")
    cases = [
        (("eval", "run", str(broken)), "invalid TOML"),
        (("eval", "run", str(tasks), "--runner", "scripted:psychic"), "unknown scripted policy"),
        (("eval", "run", str(tasks), "--arms", "none,routed:99"), "routed:K"),
        (("eval", "run", str(tasks), "--runner", "llm"), "needs an LLM"),
        (("eval", "report", "nope"), "no evaluation run 'nope'"),
        (("eval", "triggers", str(tmp_path / "missing.json")), "no such trigger eval file"),
    ]
    for args, message in cases:
        proc = run(*args, db=db_path, check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and message in lines[0], (args, proc.stderr)
    usage = run("eval", "report", "latest", "--format", "pdf", db=db_path, check=False)
    assert usage.returncode == 2


def test_triggers_and_rank_commands(tmp_path: Path, db_path: Path) -> None:
    run("index", str(SAMPLE_SKILLS / "mcp-use@mcp-use"), db=db_path)
    trigger_set = tmp_path / "trigger_eval_set.json"
    trigger_set.write_text(json.dumps([{"query": "build an MCP server", "should_trigger": True},
                                       {"query": "bake bread", "should_trigger": False}]),
                           encoding="utf-8")
    proc = run("eval", "triggers", str(trigger_set), "--skill", "mcp-builder", "--json",
               db=db_path, check=False)
    import skillyard

    if callable(getattr(skillyard.Library, "route", None)):
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout)
        assert report["cases"] == 2 and report["skills"][0]["skill"].endswith("mcp-builder")
    else:
        assert proc.returncode == 2 and "Library.route is missing" in proc.stderr
    tasks = tmp_path / "tasks"
    for i in range(3):
        harbor_task(tasks, f"task-{i}")
    players = [skill_folder(tmp_path / "skills", n) for n in ("first", "second", "third")]
    png = tmp_path / "rank.png"
    out = json.loads(run("eval", "rank", str(tasks), *[a for p in players
                                                     for a in ("-s", str(p))],
                         "--runner", "scripted:skill-gated:needs=first", "--plot", str(png),
                         "--json", db=db_path).stdout)
    assert out["standings"][0]["player"] == "first"
    assert png.read_bytes()[:4] == b"\x89PNG"
    md = run("eval", "report", out["run"], "--format", "md", db=db_path).stdout
    assert "Skill tournament" in md and "| 1 | first |" in md
