"""Run any agent CLI from a command template, e.g. ``claude -p {instruction}``.

The template is split like a shell line (no shell runs it) and each word is filled in:
``{instruction}``, ``{instruction_file}``, ``{workdir}``, ``{skills_dir}``, ``{task_id}``,
``{trial_dir}``, ``{seed}``. The command runs in the trial's work dir with these variables set:
``SKILLYARD_WORKDIR``, ``SKILLYARD_SKILLS_DIR``, ``SKILLYARD_INSTRUCTION_FILE`` and
``SKILLYARD_USAGE_FILE``. Its stdout is the agent's answer. In a sandboxed trial the agent runs
inside the sandbox like the task's own processes (so every field and variable is a container
path, and host files named on the command line are bound read-only at their own paths); it has
the network only when the trial has it (``--allow-network`` on a task that allows internet).
An agent (or a wrapper script) that writes ``{"prompt_tokens": N, "completion_tokens": M}``
(or ``input_tokens``/``output_tokens``) to the usage file gets its tokens recorded.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import EvalError
from ..tasks import Task
from .base import AgentOutcome, TrialContext, run_process, tail

FIELDS = ("instruction", "instruction_file", "workdir", "skills_dir", "task_id", "trial_dir",
          "seed")


class CommandRunner:
    """An agent CLI as a runner."""

    def __init__(self, template: str) -> None:
        try:
            words = shlex.split(template)
        except ValueError as exc:
            raise EvalError(f"runner command {template!r}: {exc}") from None
        if not words:
            raise EvalError("runner command is empty")
        probe = {name: "x" for name in FIELDS}
        for word in words:
            try:
                word.format_map(probe)
            except KeyError as exc:
                raise EvalError(f"runner command: unknown field {{{exc.args[0]}}}; use one of "
                                + ", ".join("{" + f + "}" for f in FIELDS)) from None
            except (ValueError, IndexError) as exc:
                raise EvalError(f"runner command word {word!r}: {exc} (write {{{{ for a "
                                "literal brace)") from None
        self.template = template
        self.words = words
        self.name = f"command:{words[0]}"

    def check(self, tasks: Sequence[Task]) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"runner": "command", "template": self.template}

    def run(self, ctx: TrialContext) -> AgentOutcome:
        if ctx.dirs.box is not None:
            return self._run_boxed(ctx)
        instruction_file = ctx.dirs.root / "instruction.md"
        instruction_file.write_text(ctx.instruction, encoding="utf-8")
        usage_file = ctx.dirs.logs / "agent" / "usage.json"
        values = {
            "instruction": ctx.instruction, "instruction_file": str(instruction_file),
            "workdir": str(ctx.dirs.work), "skills_dir": str(ctx.dirs.skills),
            "task_id": ctx.task.id, "trial_dir": str(ctx.dirs.root), "seed": str(ctx.seed),
        }
        argv = [word.format_map(values) for word in self.words]
        env = {
            "SKILLYARD_WORKDIR": str(ctx.dirs.work), "SKILLYARD_SKILLS_DIR": str(ctx.dirs.skills),
            "SKILLYARD_INSTRUCTION_FILE": str(instruction_file),
            "SKILLYARD_USAGE_FILE": str(usage_file),
        }
        result = run_process(argv, cwd=ctx.dirs.work, timeout=ctx.remaining(), env=env)
        return self._outcome(ctx, result, usage_file)

    def _run_boxed(self, ctx: TrialContext) -> AgentOutcome:
        box = ctx.dirs.box
        assert box is not None
        (ctx.dirs.logs / "agent" / "instruction.md").write_text(ctx.instruction,
                                                                 encoding="utf-8")
        usage_file = ctx.dirs.logs / "agent" / "usage.json"
        skills = box.layout.inside(ctx.dirs.skills)
        values = {
            "instruction": ctx.instruction, "instruction_file": "/logs/agent/instruction.md",
            "workdir": box.workdir, "skills_dir": skills, "task_id": ctx.task.id,
            "trial_dir": "/logs", "seed": str(ctx.seed),
        }
        argv = [word.format_map(values) for word in self.words]
        env = {"SKILLYARD_WORKDIR": box.workdir, "SKILLYARD_SKILLS_DIR": skills,
               "SKILLYARD_INSTRUCTION_FILE": "/logs/agent/instruction.md",
               "SKILLYARD_USAGE_FILE": "/logs/agent/usage.json"}
        readonly = [w for w in argv if w.startswith("/") and not w.startswith(("/usr/", "/bin/"))
                    and len(w) < 4096 and Path(w).is_file()]
        result = box.run(argv, timeout=ctx.remaining(), env=env, readonly=readonly)
        return self._outcome(ctx, result, usage_file)

    def _outcome(self, ctx: TrialContext, result: Any, usage_file: Path) -> AgentOutcome:
        outcome = AgentOutcome(answer=tail(result.stdout, 1024 * 1024),
                               log=tail(result.stderr), turns=1)
        if result.timed_out:
            outcome.status, outcome.error = "timeout", f"agent timed out after {ctx.timeout:g}s"
        elif result.returncode is None:
            outcome.status, outcome.error = "error", result.stderr
        elif result.returncode != 0:
            outcome.status = "error"
            outcome.error = f"agent exited with status {result.returncode}"
        outcome.prompt_tokens, outcome.completion_tokens = _usage(usage_file)
        return outcome


def _usage(path: Any) -> tuple[int, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return 0, 0
    if not isinstance(data, dict):
        return 0, 0

    def pick(*keys: str) -> int:
        for key in keys:
            value = data.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                return int(value)
        return 0

    return pick("prompt_tokens", "input_tokens"), pick("completion_tokens", "output_tokens")
