"""Arms of an experiment: which skills (if any) the agent gets on each task.

Spec grammar (``--arms``, comma-separated; ``NAME=`` renames an arm)::

    none                 no skill
    skill                the run's --skill skills, current versions
    skill:A+B@v2         explicit skills; ``@vN`` pins version N of one skill
    version:N            the run's --skill skills at version N
    routed[:K]           the router's top K skills for each task's instruction (default K=1;
                         none when the router abstains)
    bundled              each task's own curated skills (its ``environment/skills/*``)

Skills are read from the Library once, in the calling thread, into :class:`SkillBundle` values
(the bytes of every stored file); trials copy them into a fresh skill folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from ..errors import NotFoundError
from ..skill import SKILL_FILE, Skill
from .errors import EvalError
from .router import Router
from .tasks import Task

ArmKind = Literal["none", "skills", "routed", "bundled"]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@-]{0,79}$")
_VERSION = re.compile(r"^(.*)@v(\d+)$")
_FOLDER_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SkillRef:
    ref: str
    version: int | None = None

    def label(self) -> str:
        return self.ref + (f"@v{self.version}" if self.version else "")


@dataclass(frozen=True)
class ArmSpec:
    name: str
    kind: ArmKind
    skills: tuple[SkillRef, ...] = ()
    k: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "k": self.k,
                "skills": [s.label() for s in self.skills]}


def parse_skill_ref(text: str) -> SkillRef:
    text = text.strip()
    match = _VERSION.match(text)
    if match and match.group(1):
        version = int(match.group(2))
        if version < 1:
            raise EvalError(f"skill version must be 1 or more in {text!r}")
        return SkillRef(match.group(1), version)
    if not text:
        raise EvalError("empty skill reference")
    return SkillRef(text)


def short_label(ref: SkillRef) -> str:
    base = ref.ref.rstrip("/").rsplit("/", 1)[-1] or ref.ref
    base = _FOLDER_SAFE.sub("-", base).strip("-.") or "skill"
    return base[:40] + (f"@v{ref.version}" if ref.version else "")


def parse_arm(text: str, default_skills: Sequence[SkillRef] = ()) -> ArmSpec:
    """One arm from its spec text (see the module docstring)."""
    raw = text.strip()
    name: str | None = None
    if "=" in raw.split(":", 1)[0]:
        name, raw = (part.strip() for part in raw.split("=", 1))
    kind, _, arg = raw.partition(":")
    kind = kind.strip().lower()
    spec: ArmSpec
    if kind == "none":
        if arg:
            raise EvalError(f"arm {text!r}: 'none' takes no argument")
        spec = ArmSpec(name or "none", "none")
    elif kind == "skill":
        refs = tuple(parse_skill_ref(r) for r in arg.split("+")) if arg else tuple(default_skills)
        if not refs:
            raise EvalError(f"arm {text!r} needs skills: pass --skill or write skill:REF")
        default = "skill" if not arg else "+".join(short_label(r) for r in refs)
        spec = ArmSpec(name or default, "skills", refs)
    elif kind == "version":
        if not arg.strip().isdigit() or int(arg) < 1:
            raise EvalError(f"arm {text!r}: write version:N with N a version number")
        if not default_skills:
            raise EvalError(f"arm {text!r} needs --skill to know which skill's version")
        refs = tuple(SkillRef(r.ref, int(arg)) for r in default_skills)
        spec = ArmSpec(name or f"v{int(arg)}", "skills", refs)
    elif kind == "routed":
        k = 1
        if arg:
            if not arg.strip().isdigit() or not 1 <= int(arg) <= 50:
                raise EvalError(f"arm {text!r}: write routed:K with K from 1 to 50")
            k = int(arg)
        spec = ArmSpec(name or ("routed" if k == 1 else f"routed-k{k}"), "routed", k=k)
    elif kind == "bundled":
        if arg:
            raise EvalError(f"arm {text!r}: 'bundled' takes no argument")
        spec = ArmSpec(name or "bundled", "bundled")
    else:
        raise EvalError(f"unknown arm {text!r}: use none, skill[:REF+REF], version:N, "
                        "routed[:K] or bundled")
    if not _NAME.match(spec.name):
        raise EvalError(f"arm name {spec.name!r}: use letters, digits and . _ + @ -")
    return spec


def parse_arms(text: str | Sequence[str], default_skills: Sequence[SkillRef] = ()) -> list[ArmSpec]:
    items = text.split(",") if isinstance(text, str) else list(text)
    arms = [parse_arm(item, default_skills) for item in items if item.strip()]
    if not arms:
        raise EvalError("no arms given")
    names = [a.name for a in arms]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise EvalError(f"arm names must differ; repeated: {', '.join(dupes)} (rename: NAME=SPEC)")
    return arms


# -- materialised skills ------------------------------------------------------------------
@dataclass(frozen=True)
class SkillBundle:
    """A stored skill's files, ready to be written into a trial's skill folder."""

    id: str
    name: str
    version: int
    digest: str
    files: tuple[tuple[str, bytes], ...] = field(repr=False)
    missing: tuple[str, ...] = ()  # files whose content the library does not keep
    folder: str = ""  # the skill's own folder name (tasks may import from it)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version,
                "digest": self.digest}


def load_bundle(lib: Any, ref: SkillRef) -> SkillBundle:
    """Read one skill (at a version) and the bytes of its files from the library."""
    skill = lib.get(ref.ref, ref.version)
    version = ref.version or max(v.version for v in lib.versions(skill.id))
    return bundle_from_skill(skill, version, lib.store.read_blob)


def bundle_from_skill(skill: Skill, version: int = 0,
                      read_blob: Callable[[str], bytes] | None = None) -> SkillBundle:
    """A bundle from a Skill value that need not be stored (files without kept content are
    read with ``read_blob`` when given, else left out and listed as missing)."""
    files: list[tuple[str, bytes]] = []
    missing: list[str] = []
    for entry in skill.files:
        if entry.kind != "file":
            continue
        data = entry.data
        if data is None and read_blob is not None:
            try:
                data = read_blob(entry.sha256)
            except NotFoundError:
                data = None
        if data is None:
            missing.append(entry.path)
            continue
        files.append((entry.path, data))
    if not any(path == SKILL_FILE for path, _ in files):
        files.insert(0, (SKILL_FILE, skill.skill_md.encode("utf-8")))
    return SkillBundle(skill.id, skill.name, version, skill.digest, tuple(files), tuple(missing),
                       folder_of(skill))


def folder_of(skill: Skill) -> str:
    """The name of the folder the skill came from, when it came from one."""
    prov = skill.provenance
    if prov.kind in ("folder", "agents", "git"):
        if prov.path:
            return PurePosixPath(prov.path).name
        if prov.kind != "git":
            return PurePosixPath(prov.source).name
    if skill.id.startswith("dir:"):
        return PurePosixPath(skill.id[4:]).name
    return ""


def bundled_bundles(task: Task) -> tuple[SkillBundle, ...]:
    """A task's curated skills (``environment/skills/*``), read from disk."""
    from ..sources.folders import load_skill_dir

    out = []
    for folder in task.bundled_skills:
        try:
            skill = load_skill_dir(folder)
        except Exception as exc:  # a broken curated skill is a task problem, named
            raise EvalError(f"task {task.id!r}: curated skill {folder.name}: {exc}") from None
        bundle = bundle_from_skill(skill)
        out.append(SkillBundle(bundle.id, bundle.name, 0, bundle.digest, bundle.files,
                               bundle.missing, folder.name))
    return tuple(out)


@dataclass
class PreparedArm:
    """An arm with its skills loaded: the same for every task, or chosen per task (routed)."""

    spec: ArmSpec
    fixed: tuple[SkillBundle, ...] = ()
    per_task: dict[str, tuple[SkillBundle, ...]] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def bundles_for(self, task_id: str) -> tuple[SkillBundle, ...]:
        if self.per_task is not None:
            return self.per_task.get(task_id, ())
        return self.fixed


def prepare_arms(
    lib: Any, arms: Sequence[ArmSpec], tasks: Sequence[Task], router: Router | None = None
) -> list[PreparedArm]:
    """Load every arm's skills; the routed arm asks ``router`` once per task."""
    cache: dict[SkillRef, SkillBundle] = {}

    def bundle(ref: SkillRef) -> SkillBundle:
        if ref not in cache:
            cache[ref] = load_bundle(lib, ref)
        return cache[ref]

    out: list[PreparedArm] = []
    for arm in arms:
        if arm.kind == "none":
            out.append(PreparedArm(arm))
        elif arm.kind == "skills":
            out.append(PreparedArm(arm, fixed=tuple(bundle(r) for r in arm.skills)))
        elif arm.kind == "bundled":
            out.append(PreparedArm(arm, per_task={t.id: bundled_bundles(t) for t in tasks}))
        else:
            if router is None:
                raise EvalError(f"arm {arm.name!r} is routed but no router was given")
            chosen = {t.id: tuple(bundle(SkillRef(i)) for i in router.route(t.instruction, arm.k))
                      for t in tasks}
            out.append(PreparedArm(arm, per_task=chosen))
    return out


def folder_names(bundles: Sequence[SkillBundle]) -> list[str]:
    """A distinct, filesystem-safe folder name per bundle (the skill name where possible)."""
    names: list[str] = []
    for b in bundles:
        base = _FOLDER_SAFE.sub("-", b.folder or b.name).strip("-.") or "skill"
        candidate, n = base, 2
        while candidate in names:
            candidate, n = f"{base}-{n}", n + 1
        names.append(candidate)
    return names
