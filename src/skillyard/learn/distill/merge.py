"""Hierarchical merge: operation lists are merged by the model in batches, level by level,
until one conflict-free list remains. Conflicts the model leaves are sent back once with the
pairs named; any still left are resolved deterministically (better supported edit wins)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ...llm import LLMClient
from ..folder import Files
from .analyze import check_ops_fit
from .llmjson import ask_json
from .ops import EditOp, conflicts, dedupe, parse_ops, resolve
from .prompts import merge_messages


@dataclass
class MergeReport:
    operations: list[EditOp]
    levels: int = 0
    calls: int = 0
    conflicts_sent_back: int = 0
    dropped: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"operations": [op.to_dict() for op in self.operations], "levels": self.levels,
                "calls": self.calls, "conflicts_sent_back": self.conflicts_sent_back,
                "dropped": self.dropped}


def _checker(files: Files, known: set[str]) -> Callable[[Any], list[EditOp]]:
    def check(value: Any) -> list[EditOp]:
        if not isinstance(value, dict) or "operations" not in value:
            raise ValueError("the reply must be an object with an 'operations' list")
        ops = parse_ops(value["operations"])
        ops = [replace(op, support=tuple(s for s in op.support if s in known)) for op in ops]
        check_ops_fit(files, ops)
        return ops
    return check


def merge_batch(client: LLMClient, files: Files, batch: list[list[EditOp]], report: MergeReport,
                *, retries: int = 2) -> list[EditOp]:
    known = {s for ops in batch for op in ops for s in op.support}
    check = _checker(files, known)
    messages = merge_messages(files, [[op.to_dict() for op in ops] for ops in batch])
    what = f"merge of {len(batch)} operation lists"
    ops = ask_json(client, messages, check, what=what, retries=retries)
    report.calls += 1
    found = conflicts(ops)
    if found:
        report.conflicts_sent_back += 1
        listing = "; ".join(f"operations {i} and {j}: {why}" for i, j, why in found)
        again = messages + [
            {"role": "assistant", "content": _as_json(ops)},
            {"role": "user", "content": f"These operations still conflict: {listing}. Resolve "
                                        "every conflict and answer with the whole JSON object."},
        ]
        ops = ask_json(client, again, check, what=what + " (conflict resolution)",
                       retries=retries)
        report.calls += 1
    return ops


def _as_json(ops: list[EditOp]) -> str:
    import json

    return json.dumps({"operations": [op.to_dict() for op in ops]}, ensure_ascii=False)


def merge_all(client: LLMClient, files: Files, lists: list[list[EditOp]], *,
              batch_size: int = 4, retries: int = 2,
              progress: Callable[[int], None] | None = None) -> MergeReport:
    """Merge per-run operation lists into one applicable list."""
    if batch_size < 2:
        raise ValueError("batch_size must be at least 2")
    report = MergeReport([])
    level = [dedupe(ops) for ops in lists if ops]
    while len(level) > 1:
        report.levels += 1
        nxt = []
        for start in range(0, len(level), batch_size):
            batch = level[start:start + batch_size]
            nxt.append(batch[0] if len(batch) == 1 else
                       merge_batch(client, files, batch, report, retries=retries))
            if progress is not None:
                progress(1)
        level = nxt
    final = level[0] if level else []
    report.operations, report.dropped = resolve(final)
    return report
