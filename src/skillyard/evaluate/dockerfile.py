"""Read a task's Dockerfile into what can be carried out without Docker.

Only instructions whose effect can be reproduced faithfully are accepted: ``ENV``, ``WORKDIR``,
``COPY``/``ADD`` of files from the build context, and ``RUN`` lines made of ``apt-get``
installs (checked against the host), ``pip``/``uv pip`` installs (into a cached virtualenv),
``python3 -m venv``, ``mkdir`` and apt housekeeping. Anything else is recorded in
``unsupported`` with the reason, so ``eval tasks --check`` can say why a task cannot run here.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

# Packages a provisioned environment provides itself (its Python, pip and venv).
PYTHON_APT = frozenset({"python3", "python3-pip", "python3-venv", "python3-dev",
                        "python-is-python3", "python3-full", "pip"})
_APT_NOOP = frozenset({"update", "clean", "autoremove", "autoclean"})
_PIP_VALUE_OPTS = frozenset({"-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                             "-c", "--constraint", "--target", "-t", "--prefix", "--root"})
_PIP_FLAG_OK = frozenset({"--break-system-packages", "--no-cache-dir", "--upgrade", "-U", "-q",
                          "--quiet", "--no-build-isolation", "--user", "--system",
                          "--no-warn-script-location", "--root-user-action=ignore", "-v",
                          "--pre", "--no-deps", "--force-reinstall", "--ignore-installed"})
_UBUNTU_PY = {"24.04": "3.12", "22.04": "3.10", "20.04": "3.8", "noble": "3.12", "jammy": "3.10"}
_DEBIAN_PY = {"12": "3.11", "bookworm": "3.11", "13": "3.13", "trixie": "3.13", "11": "3.9",
              "bullseye": "3.9"}
VAR_PATTERN = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_REDIRECT = re.compile(r"^(?:\d*|&)[<>]{1,2}&?(.*)$")


def strip_redirects(words: list[str]) -> list[str]:
    """Drop shell redirections (``> /dev/null``, ``2>&1``) from a command's words."""
    out: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        match = _REDIRECT.match(word)
        if match:
            skip = not match.group(1)
            continue
        out.append(word)
    return out


@dataclass(frozen=True)
class Copy:
    source: str  # relative to the build context (environment/)
    dest: str  # absolute path in the container
    is_dir: bool


@dataclass
class EnvPlan:
    """What a Dockerfile asks for, in a form the sandbox can carry out."""

    base: str = ""
    python: str | None = None  # the Python version the base image brings (3.12, ...)
    env: list[tuple[str, str]] = field(default_factory=list)
    workdir: str | None = None
    copies: list[Copy] = field(default_factory=list)
    mkdirs: list[str] = field(default_factory=list)
    pip_installs: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    apt: list[str] = field(default_factory=list)
    venvs: list[str] = field(default_factory=list)  # python -m venv targets
    unsupported: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)

    @property
    def pip(self) -> list[str]:
        """Every requirement the Dockerfile pip-installs, in order."""
        return [r for reqs, _ in self.pip_installs for r in reqs]

    @property
    def skill_dirs(self) -> list[str]:
        """Container folders the Dockerfile copies the task's ``skills`` folder into."""
        out = []
        for c in self.copies:
            if c.is_dir and PurePosixPath(c.source).parts[:1] == ("skills",) and \
                    len(PurePosixPath(c.source).parts) == 1 and c.dest not in out:
                out.append(c.dest)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "python": self.python, "env": dict(self.env),
                "workdir": self.workdir, "pip": self.pip, "apt": self.apt,
                "venvs": self.venvs, "skill_dirs": self.skill_dirs,
                "copies": [{"source": c.source, "dest": c.dest} for c in self.copies],
                "mkdirs": self.mkdirs, "unsupported": self.unsupported,
                "missing_files": self.missing_files}


def base_python(image: str) -> str | None:
    """The Python version an image brings: ``python:3.10-slim`` -> 3.10, ubuntu:24.04 -> 3.12."""
    name, _, tag = image.partition(":")
    name = name.rsplit("/", 1)[-1]
    if name == "python":
        match = re.match(r"(\d+\.\d+)", tag)
        return match.group(1) if match else None
    if name == "ubuntu":
        return _UBUNTU_PY.get(tag.split("-")[0])
    if name == "debian":
        return _DEBIAN_PY.get(tag.split("-")[0].split(".")[0])
    return None


def _logical_lines(text: str) -> list[str]:
    out: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if current and line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        out.append((current + line).strip())
        current = ""
    if current.strip():
        out.append(current.strip())
    return out


def _expand(value: str, env: dict[str, str]) -> str:
    return VAR_PATTERN.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), value)


def _abs(path: str, workdir: str | None) -> str:
    if path.startswith("/"):
        return str(PurePosixPath(path))
    return str(PurePosixPath(workdir or "/") / path)


def _env_pairs(rest: str) -> list[tuple[str, str]]:
    try:
        words = shlex.split(rest)
    except ValueError:
        return []
    if words and "=" not in words[0]:  # legacy form: ENV KEY value words
        return [(words[0], " ".join(words[1:]))]
    return [tuple(w.split("=", 1)) for w in words if "=" in w]  # type: ignore[misc]


def split_commands(run: str) -> list[str]:
    """Split a RUN line on ``&&``, ``||`` and ``;`` outside quotes."""
    parts, buf, quote, i = [], "", "", 0
    while i < len(run):
        ch = run[i]
        if quote:
            buf += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            buf += ch
        elif run.startswith("&&", i) or run.startswith("||", i):
            parts.append(buf)
            buf = ""
            i += 1
        elif ch == ";":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
        i += 1
    parts.append(buf)
    return [p.strip() for p in parts if p.strip()]


def pip_requirements(words: list[str]) -> tuple[list[str], list[str], str | None]:
    """(requirements, flags, problem) of the words after ``pip install``."""
    reqs: list[str] = []
    flags: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word in _PIP_VALUE_OPTS or word in ("-r", "--requirement"):
            return reqs, flags, f"pip option {word} is not supported"
        if word.startswith("-"):
            if word.split("=", 1)[0] not in {f.split("=", 1)[0] for f in _PIP_FLAG_OK}:
                return reqs, flags, f"pip option {word} is not supported"
            flags.append(word)
            continue
        if "://" in word or word.startswith((".", "/")):
            return reqs, flags, f"pip requirement {word!r} is not a PyPI package"
        reqs.append(word)
    return reqs, flags, None


def _run_command(cmd: str, plan: EnvPlan, context: Path | None) -> None:
    try:
        words = strip_redirects(shlex.split(cmd))
    except ValueError:
        plan.unsupported.append(f"RUN {cmd!r}: cannot parse")
        return
    while words and "=" in words[0] and not words[0].startswith("-"):
        words = words[1:]  # VAR=value prefix
    if not words:
        return
    head = words[0].rsplit("/", 1)[-1]
    if head in ("apt-get", "apt"):
        sub = next((w for w in words[1:] if not w.startswith("-")), "")
        if sub in _APT_NOOP:
            return
        if sub == "install":
            pkgs = [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
            plan.apt.extend(p for p in pkgs if p not in plan.apt)
            return
    if head == "rm" and all(w.startswith("-") or w.startswith("/var/lib/apt/lists")
                            or w.startswith("/tmp") for w in words[1:]):
        return
    if head in ("true", ":"):
        return
    if head == "mkdir":
        plan.mkdirs.extend(_abs(w, plan.workdir) for w in words[1:] if not w.startswith("-"))
        return
    pip_at = _pip_index(words)
    if pip_at is not None:
        if pip_at >= len(words) or words[pip_at] != "install":
            plan.unsupported.append(f"RUN {cmd!r}: only 'pip install' is supported")
            return
        reqs, flags, problem = pip_requirements(words[pip_at + 1:])
        if problem:
            plan.unsupported.append(f"RUN {cmd!r}: {problem}")
            return
        if len(reqs) == 1 and reqs[0].lower() == "pip":
            return  # upgrading pip itself
        plan.pip_installs.append((tuple(reqs), tuple(f for f in flags
                                                      if f == "--no-build-isolation")))
        return
    if head.startswith("python") and words[1:3] == ["-m", "venv"] and len(words) >= 4:
        plan.venvs.append(_abs(words[-1], plan.workdir))
        return
    if head in ("curl", "wget", "git"):
        plan.unsupported.append(f"RUN {cmd!r}: downloads from the network at build time")
        return
    plan.unsupported.append(f"RUN {cmd!r}: not carried out without Docker")


def _pip_index(words: list[str]) -> int | None:
    """Index of the pip subcommand in ``pip ...``, ``python -m pip ...`` or ``uv pip ...``."""
    head = words[0].rsplit("/", 1)[-1]
    if re.fullmatch(r"pip3?(\.\d+)?", head):
        return 1
    if head.startswith("python") and words[1:3] == ["-m", "pip"]:
        return 3
    if head == "uv" and words[1:2] == ["pip"]:
        return 2
    return None


def parse_dockerfile(text: str, context: Path | None = None) -> EnvPlan:
    """Parse a Dockerfile; ``context`` (the build folder) is used to check COPY sources."""
    plan = EnvPlan()
    env: dict[str, str] = {}
    for line in _logical_lines(text):
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            if plan.base:
                plan.unsupported.append("multi-stage build (a second FROM)")
            plan.base = rest.split()[0] if rest else ""
            plan.python = base_python(plan.base)
        elif keyword == "ENV":
            for key, value in _env_pairs(rest):
                value = _expand(value, env)
                env[key] = value
                plan.env.append((key, value))
        elif keyword == "ARG":
            key, _, default = rest.partition("=")
            if default:
                env[key.strip()] = default.strip().strip('"')
        elif keyword == "WORKDIR":
            plan.workdir = _abs(_expand(rest.strip('"'), env), plan.workdir)
        elif keyword in ("COPY", "ADD"):
            _copy(keyword, rest, plan, context, env)
        elif keyword == "RUN":
            if rest.startswith("["):
                plan.unsupported.append(f"RUN {rest!r}: exec form is not supported")
                continue
            for cmd in split_commands(rest):
                _run_command(cmd, plan, context)
        elif keyword in ("CMD", "ENTRYPOINT", "LABEL", "EXPOSE", "MAINTAINER", "STOPSIGNAL",
                         "HEALTHCHECK", "SHELL", "VOLUME"):
            continue
        elif keyword == "USER":
            if rest not in ("root", "0"):
                plan.unsupported.append(f"USER {rest}: trials run as the sandbox's user")
        else:
            plan.unsupported.append(f"{keyword}: unknown instruction")
    return plan


def _copy(keyword: str, rest: str, plan: EnvPlan, context: Path | None,
          env: dict[str, str]) -> None:
    try:
        words = [w for w in shlex.split(rest) if not w.startswith("--")]
    except ValueError:
        plan.unsupported.append(f"{keyword} {rest!r}: cannot parse")
        return
    if any(w.startswith("--from") for w in rest.split()):
        plan.unsupported.append(f"{keyword} {rest!r}: copies from another image")
        return
    if len(words) < 2:
        plan.unsupported.append(f"{keyword} {rest!r}: needs a source and a destination")
        return
    *sources, dest = (_expand(w, env) for w in words)
    dest_dir = dest.endswith("/") or len(sources) > 1
    dest_abs = _abs(dest, plan.workdir)
    for source in sources:
        rel = PurePosixPath(source)
        if "://" in source:
            plan.unsupported.append(f"{keyword} {source}: downloads from the network")
            continue
        if rel.is_absolute() or ".." in rel.parts or any(c in source for c in "*?["):
            plan.unsupported.append(f"{keyword} {source}: source outside the build context "
                                    "or a wildcard")
            continue
        path = context / rel if context is not None else None
        if path is not None and path.is_symlink():
            plan.unsupported.append(f"{keyword} {source}: a symlink (never followed out of "
                                    "the task folder)")
            continue
        is_dir = path.is_dir() if path is not None else source.endswith("/")
        if path is not None and not path.exists():
            plan.missing_files.append(str(rel))
            continue
        if is_dir:
            plan.copies.append(Copy(rel.as_posix(), dest_abs, True))
        else:
            target = str(PurePosixPath(dest_abs) / rel.name) if dest_dir else dest_abs
            plan.copies.append(Copy(rel.as_posix(), target, False))
