"""Chains through environment variables: one skill (or one file of a skill) puts a secret into
a variable (``export X=$(cat ~/.aws/credentials)``, ``os.environ["X"] = key``,
``process.env.X = token``) and another reads ``X`` and sends it out.

The language analyzers call three functions: ``read`` gives the taint of reading a variable
(a weak ``env:NAME`` kind that is no finding by itself, plus ``secret-env`` for names like
``GITHUB_TOKEN`` and whatever this skill stored there earlier), ``exported`` records a
variable set from a secret, and ``note_sink`` records variables that reach a network or DNS
sink. The skill's effects then carry ``env:NAME`` entries next to file paths, so the
cross-skill graph (``graph.chains``) links a skill that exports a secret with one that sends
the same variable, exactly as it links a file written by one and uploaded by another.
Conventional credential names (``GITHUB_TOKEN``) are not channels: setting one for other tools
and using it is what a login helper and its client do.
"""

from __future__ import annotations

from .flow import SECRET_KINDS, FlowContext, Taint, secret_env

PREFIX = "env:"
# set by the system or the shell, never a channel between skills
_AMBIENT = frozenset({
    "HOME", "PATH", "USER", "LOGNAME", "PWD", "OLDPWD", "SHELL", "LANG", "LC_ALL", "TERM",
    "TMPDIR", "TMP", "TEMP", "HOSTNAME", "SHLVL", "EDITOR", "PAGER", "TZ", "USERPROFILE",
    "APPDATA", "LOCALAPPDATA", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME",
    "XDG_RUNTIME_DIR", "NODE_ENV", "CI", "DEBUG", "VERBOSE", "PYTHONPATH", "VIRTUAL_ENV",
    "NODE_OPTIONS", "PORT", "HOST", "DISPLAY", "COLUMNS", "LINES", "RANDOM", "UID", "EUID",
    "PPID", "BASH_SOURCE", "OSTYPE", "HOSTTYPE", "IFS", "OPTARG", "OPTIND", "REPLY",
})
SECRET_VALUE = SECRET_KINDS | {"secret-env"}


def tracked(name: str) -> bool:
    return bool(name) and name not in _AMBIENT and not name.isdigit() and name != "@"


def channel(name: str) -> bool:
    """Whether a variable can carry a secret between skills unnoticed. A conventional
    credential name (``GITHUB_TOKEN``) is meant for other tools to use, usually as auth: a
    skill that sets it and another that uses it are a login helper and a client."""
    return tracked(name) and not secret_env(name)


def read(ctx: FlowContext, name: str, file: str, line: int, what: str = "") -> Taint | None:
    """The taint of reading environment variable ``name`` at file:line."""
    if not tracked(name):
        return None
    kinds = {PREFIX + name}
    if secret_env(name):
        kinds.add("secret-env")
    own = Taint(frozenset(kinds), ((file, line, what or f"${name}"),))
    stored = ctx.env_taint.get(name)
    if stored is not None:
        return Taint(stored.kinds | own.kinds, (*stored.steps, own.steps[0]), stored.encoded)
    return own


def exported(ctx: FlowContext, name: str, taint: Taint | None, file: str, line: int,
             flow: str) -> None:
    """``name`` is set (for child processes and later readers) to a value with ``taint``."""
    if taint is None or not channel(name) or not taint.kinds & SECRET_VALUE:
        return
    ctx.env_taint[name] = taint.then(file, line, f"exports ${name}")
    ctx.env_sets.setdefault(name, flow)


def note_sink(ctx: FlowContext, taint: Taint | None, sink: str, flow: str) -> None:
    """Record the variables whose values reach a network or DNS sink."""
    if taint is None or sink not in ("network", "dns"):
        return
    for kind in taint.kinds:
        if kind.startswith(PREFIX) and channel(kind[len(PREFIX):]):
            ctx.env_sends.setdefault(kind[len(PREFIX):], flow)


def effects(ctx: FlowContext) -> tuple[dict[str, str], dict[str, str]]:
    """(collects, sends) entries for the skill's effects: ``env:NAME`` -> flow."""
    return ({PREFIX + n: f for n, f in ctx.env_sets.items()},
            {PREFIX + n: f for n, f in ctx.env_sends.items()})


def describe(path: str) -> str:
    """How a graph entry reads in a finding: ``$NAME`` for a variable, else the path."""
    return f"${path[len(PREFIX):]} (environment)" if path.startswith(PREFIX) else path
