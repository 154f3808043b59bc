"""A fresh directory per trial, with the arm's skills injected at run time.

Layout of one trial (``root/<task>/<arm>/<trial>/``)::

    work/                    the agent's working directory: the task's starting files
    work/<skills_dir>/NAME/  the arm's skills (empty for the no-skill arm)
    logs/verifier/           where the verifier writes reward.txt or reward.json
    tests/                   the verifier, copied in only after the agent has finished
    solution/                the reference solution, copied in only for the oracle

Harbor scripts address container paths (``/tests``, ``/logs/verifier``, ``/solution`` and the
Dockerfile's ``WORKDIR``). In a sandbox (:func:`make_sandboxed_trial`) those paths are real: the
trial's folders are bound there, and nothing is rewritten. Without one (``--sandbox none``) the
prefixes are rewritten to the trial's folders in the copied ``.sh``/``.py`` files (see
:func:`rewrite_paths`).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..fsmodes import mark_script
from .arms import SkillBundle, folder_names
from .errors import EvalError
from .tasks import Task, environment_files

if TYPE_CHECKING:
    from .sandbox import TrialBox
    from .taskenv import TaskEnvironment

DEFAULT_SKILLS_DIR = ".agents/skills"
_REWRITE_SUFFIXES = frozenset({".sh", ".py", ".bash", ""})
_MAX_REWRITE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class TrialDirs:
    root: Path
    work: Path
    skills: Path
    logs: Path
    tests: Path
    solution: Path
    box: TrialBox | None = None  # set when the trial runs in a sandbox

    @property
    def reward_dir(self) -> Path:
        return self.logs / "verifier"


def check_skills_dir(skills_dir: str) -> str:
    """A skills folder must be a relative path that stays inside the work dir."""
    path = PurePosixPath(skills_dir)
    if not skills_dir.strip() or path.is_absolute() or ".." in path.parts:
        raise EvalError(f"skills dir {skills_dir!r} must be a relative path inside the work dir")
    return path.as_posix()


def _safe_join(base: Path, rel: str) -> Path:
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise EvalError(f"refusing to write {rel!r} outside {base}")
    return base.joinpath(*path.parts)


def make_trial(
    root: Path, task: Task, bundles: Sequence[SkillBundle], skills_dir: str = DEFAULT_SKILLS_DIR
) -> tuple[TrialDirs, list[str]]:
    """Create the trial folders, copy the starting files and inject the skills.

    Returns the folders and the names of the skill folders the agent can see.
    """
    root.mkdir(parents=True, exist_ok=False)
    work = root / "work"
    dirs = TrialDirs(root, work, _safe_join(work, skills_dir), root / "logs", root / "tests",
                     root / "solution")
    work.mkdir()
    (dirs.logs / "verifier").mkdir(parents=True)
    (dirs.logs / "agent").mkdir()
    for rel, source in environment_files(task):
        target = _safe_join(work, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        shutil.copymode(source, target)
    dirs.skills.mkdir(parents=True, exist_ok=True)
    names = folder_names(bundles)
    for name, bundle in zip(names, bundles, strict=True):
        folder = dirs.skills / name
        for rel, data in bundle.files:
            target = _safe_join(folder, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            mark_script(target, data)
    return dirs, names


def path_map(task: Task, dirs: TrialDirs) -> list[tuple[str, str]]:
    """Container path prefixes and the trial folders they stand for, longest first."""
    pairs = [("/logs/verifier", str(dirs.reward_dir)), ("/logs/agent", str(dirs.logs / "agent")),
             ("/tests", str(dirs.tests)), ("/solution", str(dirs.solution))]
    workdir = task.container_workdir
    if workdir and workdir.startswith("/") and workdir.rstrip("/") not in ("", "/"):
        pairs.append((workdir.rstrip("/"), str(dirs.work)))
    return sorted(pairs, key=lambda p: -len(p[0]))


def rewrite_paths(text: str, mapping: Sequence[tuple[str, str]]) -> str:
    """Replace whole container path prefixes (``/tests`` but not ``/testsuite`` or ``a/tests``)."""
    for prefix, target in mapping:
        pattern = re.compile(r"(?<![\w./~-])" + re.escape(prefix) + r"(?![\w.-])")
        text = pattern.sub(lambda _m, t=target: t, text)
    return text


def _copy_tree(source: Path, dest: Path, mapping: Sequence[tuple[str, str]]) -> None:
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix in _REWRITE_SUFFIXES and path.stat().st_size <= _MAX_REWRITE_BYTES:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                shutil.copyfile(path, target)
            else:
                target.write_text(rewrite_paths(text, mapping), encoding="utf-8")
        else:
            shutil.copyfile(path, target)
        shutil.copymode(path, target)


def stage_tests(task: Task, dirs: TrialDirs) -> None:
    """Copy the verifier in (after the agent is done, so it never sees the tests)."""
    if task.tests is not None:
        _copy_tree(task.tests, dirs.tests, [] if dirs.box else path_map(task, dirs))


def stage_solution(task: Task, dirs: TrialDirs) -> Path | None:
    """Copy the reference solution in; return solve.sh, or None if the task has none."""
    if task.solution is None:
        return None
    _copy_tree(task.solution, dirs.solution, [] if dirs.box else path_map(task, dirs))
    return dirs.solution / "solve.sh"


def _copy_plain(source: Path, target: Path) -> None:
    if source.is_symlink():
        return  # a link in a task folder may point anywhere on the host
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.is_symlink():
                _copy_plain(path, target / path.relative_to(source))
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    shutil.copymode(source, target)


def _write_skills(folder: Path, bundles: Sequence[SkillBundle], names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, bundle in zip(names, bundles, strict=True):
        for rel, data in bundle.files:
            target = _safe_join(folder / name, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            mark_script(target, data)


def make_sandboxed_trial(root: Path, task: Task, bundles: Sequence[SkillBundle],
                         tenv: TaskEnvironment, box: TrialBox,
                         skills_dir: str = DEFAULT_SKILLS_DIR) -> tuple[TrialDirs, list[str]]:
    """Create a trial whose folders sit at the container paths the Dockerfile uses.

    The Dockerfile's COPY sources land at their targets (under ``root/fs``), except the task's
    own ``skills`` folder: the arm's skills go, under their own folder names, into every agent
    folder the Dockerfile copies it to (or ``WORKDIR/skills_dir`` when it copies it nowhere).
    """
    from .tasks import ENV_SKILLS

    layout = box.layout
    root.mkdir(parents=True, exist_ok=box.quota is not None)  # the quota made root/fs
    for mount in layout.roots:
        (layout.fs / mount.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for folder in ("tests", "solution", "logs/verifier", "logs/agent"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    env_dir = task.environment
    plan = tenv.plan
    if env_dir is not None and plan.copies:
        for copy in plan.copies:
            if copy.is_dir and PurePosixPath(copy.source).parts[:1] == (ENV_SKILLS,):
                continue
            _copy_plain(env_dir / copy.source, layout.host(copy.dest))
    elif task.kind == "harbor" or task.files:
        for rel, source in environment_files(task):
            _copy_plain(source, _safe_join(layout.host(tenv.workdir), rel))
    for path in plan.mkdirs:
        layout.host(path).mkdir(parents=True, exist_ok=True)
    work = layout.host(tenv.workdir)
    work.mkdir(parents=True, exist_ok=True)
    skill_dirs = plan.skill_dirs or [str(PurePosixPath(tenv.workdir) / skills_dir)]
    names = folder_names(bundles)
    for inside in skill_dirs:
        _write_skills(layout.host(inside), bundles, names)
    dirs = TrialDirs(root, work, layout.host(skill_dirs[0]), root / "logs", root / "tests",
                     root / "solution", box)
    return dirs, names


def visible_skills(skills_dir: Path) -> dict[str, str]:
    """What an agent finds in its skill folder: folder name -> SKILL.md text."""
    found: dict[str, str] = {}
    if not skills_dir.is_dir():
        return found
    for folder in sorted(skills_dir.iterdir()):
        skill_md = folder / "SKILL.md"
        if skill_md.is_file():
            found[folder.name] = skill_md.read_text(encoding="utf-8", errors="replace")
    return found
