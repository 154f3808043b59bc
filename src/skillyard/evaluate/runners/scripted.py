"""Scripted agents for offline experiments, whose effect of a skill is known in advance.

Policies:

- ``oracle``: runs the task's ``solution/solve.sh`` (an evals task: answers its expected output).
- ``nothing``: does nothing.
- ``skill-gated[:needs=NAME]``: acts as the oracle only if it finds a skill (named NAME, if
  given) in its skill folder, read from disk; otherwise does nothing.
- ``misled``: acts as the oracle when its skill folder is empty; when it finds a skill it follows
  that skill instead, and fails.

A spec may assign policies per task with globs on the task id, the first match winning:
``skill-gated@help-*,misled@hurt-*,oracle`` (an entry without ``@`` matches every task).
Token counts are estimates (about four characters a token) of what such an agent would read:
the instruction, the catalog of visible skills, and the bodies of the skills it followed.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...skill import estimate_tokens
from ..errors import EvalError
from ..tasks import Task
from ..workspace import stage_solution, visible_skills
from .base import AgentOutcome, TrialContext, run_process, tail

POLICIES = ("oracle", "nothing", "skill-gated", "misled")
_FRONT_NAME = re.compile(r"^name:\s*['\"]?([^'\"\n]+?)['\"]?\s*$", re.MULTILINE)
_FRONT_DESC = re.compile(r"^description:\s*(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Rule:
    policy: str
    glob: str | None = None
    needs: str | None = None

    def label(self) -> str:
        text = self.policy + (f":needs={self.needs}" if self.needs else "")
        return text + (f"@{self.glob}" if self.glob else "")


def parse_policy(spec: str) -> list[Rule]:
    """``policy[:needs=NAME][@GLOB],...`` -> rules (see the module docstring)."""
    rules: list[Rule] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        head, _, glob = item.partition("@")
        policy, _, option = head.partition(":")
        policy = policy.strip()
        if policy not in POLICIES:
            raise EvalError(f"unknown scripted policy {policy!r}; use one of "
                            + ", ".join(POLICIES))
        needs = None
        if option:
            key, _, value = option.partition("=")
            if policy != "skill-gated" or key.strip() != "needs" or not value.strip():
                raise EvalError(f"scripted policy {item!r}: only skill-gated takes an option "
                                "(needs=NAME)")
            needs = value.strip()
        if "@" in item and not glob.strip():
            raise EvalError(f"scripted policy {item!r}: empty task glob after '@'")
        rules.append(Rule(policy, glob.strip() or None, needs))
    if not rules:
        raise EvalError("scripted runner needs a policy, e.g. scripted:oracle")
    return rules


def _skill_name(folder: str, text: str) -> str:
    match = _FRONT_NAME.search(text.split("\n---", 1)[0]) if text.startswith("---") else None
    return match.group(1).strip() if match else folder


def _catalog_tokens(skills: dict[str, str]) -> int:
    total = 0
    for folder, text in skills.items():
        head = text.split("\n---", 1)[0] if text.startswith("---") else ""
        desc = _FRONT_DESC.search(head)
        total += estimate_tokens(folder + (desc.group(1) if desc else ""))
    return total


class ScriptedRunner:
    """Deterministic agents for tests and benchmarks."""

    def __init__(self, spec: str) -> None:
        self.rules = parse_policy(spec)
        self.spec = ",".join(r.label() for r in self.rules)
        self.name = f"scripted:{self.spec}"

    def rule_for(self, task_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.glob is None or fnmatch.fnmatchcase(task_id, rule.glob):
                return rule
        return None

    def check(self, tasks: Sequence[Task]) -> None:
        for task in tasks:
            rule = self.rule_for(task.id)
            if rule is None:
                raise EvalError(f"scripted runner: no policy matches task {task.id!r}")
            if rule.policy != "nothing" and task.kind == "harbor" and task.solution is None:
                raise EvalError(f"scripted policy {rule.policy!r} needs solution/solve.sh, "
                                f"which task {task.id!r} lacks")

    def describe(self) -> dict[str, Any]:
        return {"runner": "scripted", "policy": self.spec}

    def run(self, ctx: TrialContext) -> AgentOutcome:
        rule = self.rule_for(ctx.task.id)
        if rule is None:
            raise EvalError(f"scripted runner: no policy matches task {ctx.task.id!r}")
        seen = visible_skills(ctx.dirs.skills)
        names = {_skill_name(folder, text): folder for folder, text in seen.items()}
        prompt = estimate_tokens(ctx.instruction) + _catalog_tokens(seen)
        outcome = AgentOutcome(prompt_tokens=prompt, turns=1)
        act = False
        followed: list[str] = []
        if rule.policy == "oracle":
            act = True
        elif rule.policy == "skill-gated":
            wanted = [rule.needs] if rule.needs else list(names)
            followed = [n for n in wanted if n in names]
            act = bool(followed)
        elif rule.policy == "misled":
            followed = list(names)
            act = not followed
        for name in followed:
            outcome.prompt_tokens += estimate_tokens(seen[names[name]])
        outcome.skills_seen = followed
        if act:
            self._solve(ctx, outcome)
        outcome.completion_tokens = estimate_tokens(outcome.answer) + 1
        return outcome

    def _solve(self, ctx: TrialContext, outcome: AgentOutcome) -> None:
        if ctx.task.kind == "evals":
            outcome.answer = ctx.task.expected_output or ""
            return
        script = stage_solution(ctx.task, ctx.dirs)
        if script is None:
            outcome.status, outcome.error = "error", "task has no solution/solve.sh"
            return
        if ctx.dirs.box is not None:
            result = ctx.dirs.box.run(["bash", "/solution/solve.sh"], timeout=ctx.remaining(),
                                      env={"SKILLYARD_WORKDIR": ctx.dirs.box.workdir})
        else:
            result = run_process(["bash", str(script)], cwd=ctx.dirs.work,
                                 timeout=ctx.remaining())
        outcome.answer = tail(result.stdout)
        outcome.log = tail(result.stderr)
        if result.timed_out:
            outcome.status, outcome.error = "timeout", f"solve.sh timed out after {ctx.timeout:g}s"
        elif result.returncode != 0:
            outcome.status = "error"
            lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
            outcome.error = f"solve.sh exited with status {result.returncode}" + (
                f": {lines[-1][:300]}" if lines else "")
