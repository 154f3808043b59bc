"""The gate's paired evaluation, through ``skillyard.evaluate``'s public functions.

The candidate (not yet stored) runs against the previous version, or against no skill for a
new one, on the configured tasks with the configured runner; the per-task outcomes give the
helped / hurt counts and McNemar's p-value that the gate judges.
"""

from __future__ import annotations

from typing import Any

from ..llm import LLMConfig
from ..skill import Skill
from .gate import Evaluation, Evaluator, GatePolicy


def paired_evaluator(library: Any = None) -> Evaluator | None:
    """An evaluator for the gate, or None when the evaluation package cannot provide one."""
    try:
        from ..evaluate import RunConfig, make_runner
        from ..evaluate.experiment import compare_skills
    except ImportError:
        return None

    def evaluate(candidate: Skill, previous: Skill | None, policy: GatePolicy) -> Evaluation:
        spec = policy.runner
        if spec is None:
            if LLMConfig.from_env() is None:
                raise ValueError("no evaluation runner: pass --runner (e.g. 'command:claude -p "
                                 "{instruction}') or configure an LLM for the built-in agent")
            spec = "llm"
        experiment = compare_skills(
            policy.tasks, candidate, previous, runner=make_runner(spec),
            config=RunConfig(trials=policy.trials), lib=library,
        )
        analysis = experiment.analysis
        arms = {a.arm: a for a in analysis.arms}
        found = [c for c in analysis.comparisons
                 if c.arm == "candidate" and c.baseline == "baseline"]
        if not found or "candidate" not in arms or "baseline" not in arms:
            raise ValueError("the evaluation produced no candidate-versus-baseline comparison")
        comparison = found[0]
        return Evaluation(
            baseline="the previous version" if previous is not None else "no skill",
            tasks=comparison.tasks,
            candidate_passed=arms["candidate"].tasks_passed,
            baseline_passed=arms["baseline"].tasks_passed,
            helped=comparison.helped, hurt=comparison.hurt, p_value=comparison.p_value,
            detail={"run_id": experiment.run_id, "verdict": comparison.verdict,
                    "runner": spec},
        )

    return evaluate
