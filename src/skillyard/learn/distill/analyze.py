"""Per-run analysis: one LLM call per trajectory, returning edit operations on the frozen skill."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ...llm import LLMClient
from ..folder import Files
from ..model import Trajectory
from .llmjson import ask_json
from .ops import EditOp, apply_ops, parse_ops
from .prompts import analysis_messages

MAX_OPS = 8


@dataclass
class Analysis:
    run: str
    success_path: list[str]
    failure_causes: list[str]
    operations: list[EditOp]

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run, "success_path": self.success_path,
                "failure_causes": self.failure_causes,
                "operations": [op.to_dict() for op in self.operations]}


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name!r} must be a list of strings")
    return value


def check_ops_fit(files: Files, ops: list[EditOp]) -> None:
    """Raise ValueError when an operation applies neither after the ones before it nor on its
    own to the frozen skill (two conflicting edits each fit alone; that is for the merge)."""
    result = apply_ops(files, ops)
    for op, why in result.skipped:
        if apply_ops(files, [op]).skipped:
            target = f"section {op.section!r}" if op.section else op.file
            raise ValueError(f"operation {op.op} on {target} does not apply: {why}")


def analyse(client: LLMClient, files: Files, traj: Trajectory, *, retries: int = 2) -> Analysis:
    """Ask the model what this run teaches, as operations against ``files``."""

    def check(value: Any) -> Analysis:
        if not isinstance(value, dict):
            raise ValueError("the reply must be a JSON object")
        if "operations" not in value:
            raise ValueError("the reply has no 'operations' list")
        ops = parse_ops(value["operations"])
        if len(ops) > MAX_OPS:
            raise ValueError(f"{len(ops)} operations; at most {MAX_OPS}")
        ops = [op if op.support else replace(op, support=(traj.id,)) for op in ops]
        check_ops_fit(files, ops)
        return Analysis(traj.id, _strings(value.get("success_path"), "success_path"),
                        _strings(value.get("failure_causes"), "failure_causes"), ops)

    return ask_json(client, analysis_messages(files, traj), check,
                    what=f"analysis of run {traj.id}", retries=retries)
