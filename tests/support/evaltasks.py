"""Small Harbor-layout tasks and skills written by the evaluation tests (and the benchmark)."""

from __future__ import annotations

from pathlib import Path

TEST_SH = """#!/usr/bin/env bash
# Harbor-style verifier: container paths are mapped to the trial's folders by skillyard.
mkdir -p /logs/verifier
if [ -f {workdir}/answer.txt ] && [ "$(cat {workdir}/answer.txt)" = "{answer}" ]; then
  echo 1 > /logs/verifier/reward.txt
else
  echo 0 > /logs/verifier/reward.txt
fi
"""

SOLVE_SH = """#!/usr/bin/env bash
cp {workdir}/seed.txt /dev/null
printf '%s' "{answer}" > {workdir}/answer.txt
"""


def harbor_task(root: Path, name: str, *, answer: str = "42", workdir: str = "/app",
                solution: bool = True, agent_timeout: float | None = None,
                extra_toml: str = "", bundled_skill: bool = False) -> Path:
    """Write a task whose verifier passes iff work/answer.txt holds ``answer``."""
    folder = root / name
    (folder / "tests").mkdir(parents=True)
    (folder / "environment").mkdir()
    toml = f'version = "1.0"\n\n[task]\nname = "{name}"\n\n[metadata]\ncategory = "test"\n'
    if agent_timeout is not None:
        toml += f"\n[agent]\ntimeout_sec = {agent_timeout}\n"
    toml += "\n[verifier]\ntimeout_sec = 30.0\n" + extra_toml
    (folder / "task.toml").write_text(toml, encoding="utf-8")
    (folder / "instruction.md").write_text(
        f"Write {answer} into answer.txt in the working directory.\n", encoding="utf-8")
    (folder / "environment" / "Dockerfile").write_text(
        f"FROM ubuntu:24.04\nWORKDIR {workdir}\nCOPY seed.txt {workdir}/seed.txt\n",
        encoding="utf-8")
    (folder / "environment" / "seed.txt").write_text("seed\n", encoding="utf-8")
    if bundled_skill:
        skill = folder / "environment" / "skills" / "baked"
        skill.mkdir(parents=True)
        (skill / "SKILL.md").write_text(
            "---\nname: baked\ndescription: Baked into the task image.\n---\nBody.\n",
            encoding="utf-8")
    (folder / "tests" / "test.sh").write_text(
        TEST_SH.format(workdir=workdir, answer=answer), encoding="utf-8")
    if solution:
        (folder / "solution").mkdir()
        (folder / "solution" / "solve.sh").write_text(
            SOLVE_SH.format(workdir=workdir, answer=answer), encoding="utf-8")
    return folder


def skill_folder(root: Path, name: str, body: str = "Write the answer file.\n",
                 description: str = "Writes answer files. Use for answer tasks.") -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(
        f"---\nname: {name}\ndescription: {description}\n---\n# {name}\n\n{body}",
        encoding="utf-8")
    (folder / "references").mkdir(exist_ok=True)
    (folder / "references" / "notes.md").write_text(f"Notes for {name}.\n", encoding="utf-8")
    return folder
