"""Evaluation tasks: Harbor/SkillsBench task folders and agentskills.io ``evals/evals.json``.

A Harbor task folder holds ``task.toml``, ``instruction.md``, ``tests/test.sh`` (the verifier,
which writes a reward), and optionally ``environment/`` (the starting files; its Dockerfile and
any ``environment/skills/`` folder are *not* copied into the agent's directory, so a task never
bakes a skill in) and ``solution/solve.sh`` (the reference solution the oracle runs).

An ``evals.json`` file is ``{skill_name, evals: [{id, prompt, expected_output, files,
assertions}]}``; each eval becomes one task graded by its assertions (see ``verify.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..utf8 import NOT_TEXT, not_text_at
from .errors import TaskError

TaskKind = Literal["harbor", "evals"]
TASK_TOML = "task.toml"
INSTRUCTION = "instruction.md"
TEST_SCRIPT = "tests/test.sh"
SOLVE_SCRIPT = "solution/solve.sh"
# Files of environment/ that describe the container rather than the starting state.
ENV_SKIP = frozenset({"Dockerfile", "docker-compose.yaml", "docker-compose.yml", ".dockerignore"})
ENV_SKILLS = "skills"
MAX_INSTRUCTION_BYTES = 1024 * 1024
_WORKDIR = re.compile(r"^\s*WORKDIR\s+(\S+)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Task:
    """One task an agent attempts; ``kind`` says how it is verified."""

    id: str
    kind: TaskKind
    instruction: str
    source: str
    root: Path | None = None  # harbor: the task folder
    environment: Path | None = None
    tests: Path | None = None
    solution: Path | None = None
    container_workdir: str | None = None  # WORKDIR from environment/Dockerfile
    agent_timeout: float | None = None
    verifier_timeout: float | None = None
    files: tuple[tuple[str, Path], ...] = ()  # evals: (path in the work dir, source file)
    expected_output: str | None = None
    assertions: tuple[str, ...] = ()
    skill_name: str | None = None
    bundled_skills: tuple[Path, ...] = ()  # environment/skills/* (never copied into a trial)
    metadata: dict[str, Any] = field(default_factory=dict)
    digest: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "source": self.source, "digest": self.digest,
            "has_solution": self.solution is not None or self.expected_output is not None,
            "agent_timeout": self.agent_timeout, "verifier_timeout": self.verifier_timeout,
            "assertions": len(self.assertions), "files": [p for p, _ in self.files],
            "skill_name": self.skill_name,
            "bundled_skills": [str(p) for p in self.bundled_skills],
        }


@dataclass
class TaskSet:
    """Tasks loaded from one path, plus the folders skipped as bad (only with ``skip_bad``)."""

    source: str
    tasks: list[Task]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def by_id(self) -> dict[str, Task]:
        return {t.id: t for t in self.tasks}


# -- helpers ------------------------------------------------------------------------------
def _read_text(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TaskError(f"{path}: cannot read {what} ({exc.strerror})") from None
    if len(data) > MAX_INSTRUCTION_BYTES:
        raise TaskError(f"{path}: {what} is over {MAX_INSTRUCTION_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TaskError(f"{path}: {what} is not UTF-8 (byte offset {exc.start})") from None


def _timeout(table: Any, section: str, where: Path) -> float | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise TaskError(f"{where}: [{section}] must be a table")
    value = table.get("timeout_sec")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise TaskError(f"{where}: [{section}] timeout_sec must be a positive number, "
                        f"not {value!r}")
    return float(value)


def _walk_files(folder: Path, skip_top: frozenset[str] = frozenset()) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in skip_top:
            continue
        if path.is_file() and not path.is_symlink():
            yield path


def _digest(paths: list[tuple[str, Path]], extra: str = "") -> str:
    h = hashlib.sha256(extra.encode("utf-8", "surrogatepass"))
    for rel, path in sorted(paths):
        h.update(os.fsencode(rel) + b"\0")  # the name's bytes, decodable or not
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


# -- Harbor folders -----------------------------------------------------------------------
def is_harbor_task(folder: Path) -> bool:
    return (folder / TASK_TOML).is_file()


def load_harbor_task(folder: Path) -> Task:
    """Load one Harbor/SkillsBench task folder or raise a TaskError naming what is wrong."""
    folder = folder.resolve()
    toml_path = folder / TASK_TOML
    if not toml_path.is_file():
        raise TaskError(f"{folder}: not a task folder (no {TASK_TOML})")
    try:
        config = tomllib.loads(_read_text(toml_path, TASK_TOML))
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{toml_path}: invalid TOML ({exc})") from None
    except RecursionError:
        raise TaskError(f"{toml_path}: TOML nested too deeply") from None
    inst_path = folder / INSTRUCTION
    if not inst_path.is_file():
        raise TaskError(f"{folder}: missing {INSTRUCTION}")
    instruction = _read_text(inst_path, INSTRUCTION)
    if not instruction.strip():
        raise TaskError(f"{inst_path}: {INSTRUCTION} is empty")
    tests = folder / "tests"
    if not (folder / TEST_SCRIPT).is_file():
        raise TaskError(f"{folder}: missing {TEST_SCRIPT} (the verifier that writes the reward)")
    meta_task = config.get("task", {})
    if not isinstance(meta_task, dict):
        raise TaskError(f"{toml_path}: [task] must be a table")
    name = meta_task.get("name", folder.name)
    if not isinstance(name, str) or not name.strip() or "\n" in name:
        raise TaskError(f"{toml_path}: [task] name must be a one-line string")
    metadata = config.get("metadata", {})
    if not isinstance(metadata, dict):
        raise TaskError(f"{toml_path}: [metadata] must be a table")
    env = folder / "environment"
    environment = env if env.is_dir() else None
    workdir = None
    bundled: tuple[Path, ...] = ()
    if environment is not None:
        dockerfile = env / "Dockerfile"
        if dockerfile.is_file():
            found = _WORKDIR.findall(_read_text(dockerfile, "Dockerfile"))
            workdir = found[-1] if found else None
        if (env / ENV_SKILLS).is_dir():
            bundled = tuple(sorted(p for p in (env / ENV_SKILLS).iterdir()
                                   if (p / "SKILL.md").is_file()))
    solve = folder / SOLVE_SCRIPT
    solution = solve.parent if solve.is_file() else None
    files = [(p.relative_to(folder).as_posix(), p) for p in _walk_files(folder)]
    return Task(
        id=name.strip(), kind="harbor", instruction=instruction, source=str(folder),
        root=folder, environment=environment, tests=tests, solution=solution,
        container_workdir=workdir,
        agent_timeout=_timeout(config.get("agent"), "agent", toml_path),
        verifier_timeout=_timeout(config.get("verifier"), "verifier", toml_path),
        bundled_skills=bundled, metadata=metadata, digest=_digest(files),
    )


def environment_files(task: Task) -> Iterator[tuple[str, Path]]:
    """(relative path, file) of the starting state a trial's work dir receives."""
    if task.kind == "evals":
        yield from task.files
        return
    if task.environment is None:
        return
    for path in _walk_files(task.environment, ENV_SKIP | {ENV_SKILLS}):
        yield path.relative_to(task.environment).as_posix(), path


# -- agentskills.io evals.json ------------------------------------------------------------
def _evals_file(path: Path) -> Path | None:
    if path.is_file():
        return path
    for candidate in (path / "evals" / "evals.json", path / "evals.json"):
        if candidate.is_file():
            return candidate
    return None


def _str_list(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TaskError(f"{where}: '{key}' must be a list of non-empty strings")
    return [v.strip() for v in value]


def parse_evals(data: Any, path: Path) -> list[Task]:
    """Turn a parsed evals.json document into tasks (one per eval)."""
    if isinstance(data, list) and data and isinstance(data[0], dict) and "query" in data[0]:
        raise TaskError(f"{path}: this is a trigger eval set ([{{query, should_trigger}}]); "
                        "use `skillyard eval triggers`")
    if not isinstance(data, dict) or not isinstance(data.get("evals"), list):
        raise TaskError(f"{path}: expected an object with an 'evals' list")
    skill_name = data.get("skill_name")
    if skill_name is not None and (not isinstance(skill_name, str) or not skill_name.strip()):
        raise TaskError(f"{path}: 'skill_name' must be a non-empty string")
    if not data["evals"]:
        raise TaskError(f"{path}: 'evals' is empty")
    skill_root = path.parent.parent if path.parent.name == "evals" else path.parent
    prefix = skill_name or skill_root.name
    tasks: list[Task] = []
    seen: set[str] = set()
    for index, item in enumerate(data["evals"]):
        where = f"{path}: evals[{index}]"
        if not isinstance(item, dict):
            raise TaskError(f"{where}: must be an object")
        raw_id = item.get("id", index + 1)
        if isinstance(raw_id, bool) or not isinstance(raw_id, int | str) or str(raw_id) == "":
            raise TaskError(f"{where}: 'id' must be a number or a non-empty string")
        eval_id = str(raw_id)
        if eval_id in seen:
            raise TaskError(f"{where}: duplicate id {eval_id!r}")
        seen.add(eval_id)
        prompt = item.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise TaskError(f"{where}: 'prompt' must be a non-empty string")
        expected = item.get("expected_output")
        if expected is not None and not isinstance(expected, str):
            raise TaskError(f"{where}: 'expected_output' must be a string")
        assertions = _str_list(item.get("assertions"), where, "assertions")
        if not assertions and not (expected and expected.strip()):
            raise TaskError(f"{where}: nothing to check (no assertions and no expected_output)")
        files: list[tuple[str, Path]] = []
        for rel in _str_list(item.get("files"), where, "files"):
            files.append((_safe_rel(rel, where), _find_input(rel, skill_root, path, where)))
        tasks.append(Task(
            id=f"{prefix}#{eval_id}", kind="evals", instruction=prompt, source=str(path),
            files=tuple(files), expected_output=expected, assertions=tuple(assertions),
            skill_name=skill_name,
            digest=_digest(files, json.dumps(item, sort_keys=True, ensure_ascii=False)),
        ))
    return tasks


def _safe_rel(rel: str, where: str) -> str:
    parts = Path(rel).parts
    if Path(rel).is_absolute() or ".." in parts or not parts:
        raise TaskError(f"{where}: file {rel!r} must be a relative path inside the skill folder")
    return Path(*parts).as_posix()


def _find_input(rel: str, skill_root: Path, path: Path, where: str) -> Path:
    for base in (skill_root, path.parent):
        candidate = base / rel
        if candidate.is_file():
            return candidate.resolve()
    raise TaskError(f"{where}: input file {rel!r} not found beside {path}")


def require_text(data: Any, where: str) -> None:
    """TaskError unless every string of the parsed JSON is text (utf8.not_text_at)."""
    bad = not_text_at(data)
    if bad is not None:
        raise TaskError(f"{where}: {bad} {NOT_TEXT}")


def load_evals(path: Path) -> list[Task]:
    """Load an evals.json file (or a skill folder holding evals/evals.json)."""
    found = _evals_file(path)
    if found is None:
        raise TaskError(f"{path}: no evals/evals.json here")
    try:
        data = json.loads(_read_text(found, "evals file"))
    except json.JSONDecodeError as exc:
        raise TaskError(f"{found}: invalid JSON at line {exc.lineno} ({exc.msg})") from None
    except RecursionError:
        raise TaskError(f"{found}: JSON nested too deeply") from None
    require_text(data, str(found))
    return parse_evals(data, found.resolve())


# -- discovery ----------------------------------------------------------------------------
def _looks_like_task(folder: Path) -> bool:
    return any((folder / name).exists() for name in (INSTRUCTION, "tests", "solution"))


def load_tasks(path: str | Path, *, skip_bad: bool = False) -> TaskSet:
    """Load tasks from a task folder, a folder of task folders, or an evals.json.

    A sub-folder that looks like a task (instruction.md, tests/ or solution/) but is broken is
    an error, or is listed in ``skipped`` with ``skip_bad``.
    """
    root = Path(path)
    if not root.exists():
        raise TaskError(f"{root}: no such file or folder")
    if root.is_file():
        if root.suffix != ".json":
            raise TaskError(f"{root}: expected a task folder or an evals .json file")
        return _finish(TaskSet(str(root), load_evals(root)))
    if is_harbor_task(root):
        return _finish(TaskSet(str(root), [load_harbor_task(root)]))
    if _evals_file(root) is not None:
        return _finish(TaskSet(str(root), load_evals(root)))
    out = TaskSet(str(root), [])
    for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            if is_harbor_task(child):
                out.tasks.append(load_harbor_task(child))
            elif _evals_file(child) is not None:
                out.tasks.extend(load_evals(child))
            elif _looks_like_task(child):
                raise TaskError(f"{child}: looks like a task but has no {TASK_TOML}")
        except TaskError as exc:
            if not skip_bad:
                raise
            out.skipped.append((str(child), str(exc)))
    if not out.tasks:
        raise TaskError(f"{root}: no tasks found (expected folders with {TASK_TOML}, or "
                        "evals/evals.json)")
    return _finish(out)


def _finish(task_set: TaskSet) -> TaskSet:
    seen: dict[str, str] = {}
    for task in task_set.tasks:
        if task.id in seen:
            raise TaskError(f"task id {task.id!r} appears twice ({seen[task.id]} and "
                            f"{task.source})")
        seen[task.id] = task.source
    return task_set
