"""Evolution across users: sessions grouped by the skill they used; improve, description-only,
create or skip; new versions with provenance, never overwriting a version in place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conftest import write_skill
from skillyard.api import Library
from skillyard.learn import LearnOptions, Trajectory, learn
from skillyard.learn.gate import find_auditor
from skillyard.learn.simulate import Block, Script, simulate

pytestmark = pytest.mark.skipif(find_auditor() is None, reason="skillyard.audit not present")

SCRIPT = Script("invoices", (
    Block("step", (("find_invoice(id)",),)),
    Block("optional", (("check_terms(id)",),), skip=0.4),
    Block("step", (("send_reminder(id)",),)),
), ("invoice", "overdue", "billing", "reminder"), ("void_invoice(force)", "purge_account(force)"))
OTHER = Script("passwords", (
    Block("step", (("lookup_account(id)",),)),
    Block("step", (("reset_password(id)",),)),
    Block("optional", (("notify_user(id)",),), skip=0.3),
), ("password", "locked", "login", "reset"), ("delete_account(force)", "disable_mfa(force)"))

THIN = "\n# Invoice reminders\n\n## Steps\n\n1. Call `find_invoice` for the invoice.\n"
FULL = ("\n# Invoice reminders\n\n## Steps\n\n1. `find_invoice`\n2. `check_terms` if unsure\n"
        "3. `send_reminder`\n\n## Pitfalls\n\n- Never void an invoice to silence a reminder.\n")


def _sessions(path: Path, script: Script, runs: int, *, skill: str | None, failure_rate: float,
              seed: int = 1) -> Path:
    users = ("ana", "bo", "chen")
    out: list[Trajectory] = []
    for number, traj in enumerate(simulate(script, runs, 0.0, seed=seed,
                                           failure_rate=failure_rate)):
        out.append(replace(traj, user=users[number % 3], skills=(skill,) if skill else ()))
    path.write_text("".join(t.to_json() + "\n" for t in out), encoding="utf-8")
    return path


def _library(tmp_path: Path, body: str, description: str) -> Library:
    write_skill(tmp_path / "skills", "invoice-reminders", description=description, body=body)
    lib = Library(tmp_path / "lib.db")
    assert lib.index([str(tmp_path / "skills")]).added == 1
    return lib


def test_failing_sessions_improve_the_skill_as_a_new_version(tmp_path: Path) -> None:
    lib = _library(tmp_path, THIN, "Invoice reminders. Use when an invoice is overdue.")
    sessions = _sessions(tmp_path / "s.jsonl", SCRIPT, 18, skill="invoice-reminders",
                         failure_rate=0.35)
    with lib:
        (skill_id,) = [s.id for s in lib.list()]
        before = lib.get(skill_id)
        report = learn(lib, [sessions])
        (cand,) = [c for c in report.candidates if c.decision != "skip"]
        assert cand.decision == "improve" and cand.skill_id == skill_id and cand.users == 3
        assert cand.status == "published" and cand.base_version == 1 and cand.version == 2
        assert "sessions failed" in cand.reason
        after = lib.get(skill_id)
        assert "## Pitfalls learned from runs" in after.body
        assert "void_invoice(force)" in after.body or "purge_account(force)" in after.body
        assert "## Procedure learned from runs" in after.body  # send_reminder was missing
        assert after.file("references/step-graph.md") is not None
        assert lib.get(skill_id, 1).digest == before.digest  # v1 untouched
        assert [v.version for v in lib.versions(skill_id)] == [1, 2]
        learned = after.provenance.extra["learned"]
        assert learned["decision"] == "improve" and learned["base_version"] == 1
        assert len(learned["trajectories"]) == 18 and after.provenance.kind == "folder"
        assert "+## Pitfalls learned from runs" in cand.diff
        assert [c.status for c in lib.learn_candidates()] == ["published"]
        again = learn(lib, [sessions])  # same sessions again: nothing new, no version 3
        assert [v.version for v in lib.versions(skill_id)] == [1, 2]
        assert all(c.status == "skipped" for c in again.candidates)


def test_good_skill_with_a_narrow_description_gets_a_description_only_edit(
        tmp_path: Path) -> None:
    lib = _library(tmp_path, FULL, "Helps with accounts receivable.")
    sessions = _sessions(tmp_path / "s.jsonl", SCRIPT, 9, skill="invoice-reminders",
                         failure_rate=0.0)
    with lib:
        (skill_id,) = [s.id for s in lib.list()]
        (cand,) = learn(lib, [sessions]).candidates
        assert cand.decision == "description" and cand.status == "published", cand.reasons
        after = lib.get(skill_id)
        assert after.description.startswith("Helps with accounts receivable. Also use for "
                                             "requests about")
        assert "invoice" in after.description and after.body == lib.get(skill_id, 1).body
        changed = [ln for ln in cand.diff.splitlines() if ln.startswith(("+", "-"))
                   and not ln.startswith(("+++", "---"))]
        assert len(changed) == 2 and all("description:" in ln for ln in changed)


def test_skip_when_the_skill_already_covers_the_sessions(tmp_path: Path) -> None:
    description = "Send an overdue invoice reminder (billing). Use for invoice reminder requests."
    lib = _library(tmp_path, FULL, description)
    sessions = _sessions(tmp_path / "s.jsonl", SCRIPT, 9, skill="invoice-reminders",
                         failure_rate=0.0)
    few = _sessions(tmp_path / "few.jsonl", SCRIPT, 2, skill="invoice-reminders",
                    failure_rate=0.0)
    with lib:
        (cand,) = learn(lib, [sessions]).candidates
        assert cand.decision == "skip" and "already covers" in cand.reason
        (cand,) = learn(lib, [few]).candidates
        assert cand.decision == "skip" and "only 2 session(s)" in cand.reason
        assert len(lib.versions(cand.skill_id)) == 1


def test_sessions_without_a_skill_create_one_per_task(tmp_path: Path) -> None:
    lib = _library(tmp_path, FULL, "Invoice reminders.")
    mixed = _sessions(tmp_path / "a.jsonl", OTHER, 12, skill=None, failure_rate=0.2)
    unknown = _sessions(tmp_path / "b.jsonl", OTHER, 6, skill="not-in-library",
                        failure_rate=0.2, seed=2)
    with lib:
        report = learn(lib, [mixed, unknown])
        created = [c for c in report.candidates if c.decision == "create"]
        assert len(created) == 1 and created[0].status == "published"
        assert len(created[0].runs) == 18
        skill = lib.get(created[0].skill_id)
        assert skill.id.startswith("learned:") and skill.provenance.kind == "learned"
        assert "reset_password(id)" in skill.body
        rerun = learn(lib, [mixed, unknown])  # later runs of the same task improve that skill
        (again,) = [c for c in rerun.candidates if c.skill_id == skill.id]
        assert again.decision == "improve"


def test_into_deepens_or_creates_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    lib = _library(tmp_path, THIN, "Invoice reminders.")
    sessions = _sessions(tmp_path / "s.jsonl", SCRIPT, 12, skill=None, failure_rate=0.3)
    with lib:
        dry = learn(lib, [sessions], LearnOptions(into="invoice-reminders", dry_run=True))
        (cand,) = dry.candidates
        assert cand.decision == "improve" and cand.status == "would-publish"
        assert cand.diff.startswith("--- a/invoice-reminders/SKILL.md")
        assert len(lib.versions("invoice-reminders")) == 1 and lib.learn_candidates() == []
        (made,) = learn(lib, [sessions], LearnOptions(into="Invoice Chasing")).candidates
        assert made.decision == "create" and made.skill_id == "learned:invoice-chasing"
        assert made.status == "published" and lib.get("invoice-chasing").name == "invoice-chasing"


def test_offline_levels_option(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path / "s.jsonl", OTHER, 12, skill=None, failure_rate=0.2)
    with Library(tmp_path / "lib.db") as lib:
        (cand,) = learn(lib, [sessions], LearnOptions(levels=True)).candidates
        assert cand.status == "published", cand.reasons
        skill = lib.get(cand.skill_id)
        assert "## Plan" in skill.body and "F1: lookup_account → reset_password" in skill.body
        paths = {f.path for f in skill.files}
        assert {"references/functional-skills.md", "references/atomic-skills.md"} <= paths
