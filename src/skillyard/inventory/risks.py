"""Risk notes for one MCP server configuration.

- ``mcp-unpinned-package``: a package runner (npx, bunx, pnpm dlx, uvx, pipx run) starts a
  package with no exact version, so whatever is published next runs with the user's rights;
- ``mcp-inline-secret``: a credential written into the config (env, headers or arguments)
  instead of a reference to the environment;
- ``mcp-plain-http``: a remote server reached over http:// (not loopback);
- ``mcp-world-writable``: the command or the script it runs can be rewritten by any user.

Each note has the rule, a severity, a message and the evidence (secrets masked).
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from pathlib import Path
from urllib.parse import urlsplit

from .mcp import _SECRET_NAME, _TOKEN_SHAPES, McpServer, mask, redact

_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][\w:.-]*\}?$|^\$\{(env|input):[^}]+\}$|^\{env:[^}]+\}$")
_RUNNERS = {"npx": "npm", "bunx": "npm", "uvx": "pypi"}
_SCRIPT = re.compile(r"\.(py|js|mjs|cjs|ts|sh|bash|rb|pl|php)$")
_INTERPRETERS = {"node", "python", "python3", "bash", "sh", "deno", "bun", "ruby", "perl",
                 "php", "tsx", "ts-node"}


def _note(rule: str, severity: str, message: str, evidence: str) -> dict[str, str]:
    return {"rule": rule, "severity": severity, "message": message, "evidence": evidence}


def _package_args(server: McpServer) -> tuple[str, list[str]] | None:
    """(ecosystem, arguments after the runner) when the command is a package runner."""
    base = Path(server.command).name.lower().removesuffix(".cmd").removesuffix(".exe")
    args = list(server.args)
    if base in _RUNNERS:
        return _RUNNERS[base], args
    if base in ("pnpm", "yarn") and args[:1] == ["dlx"]:
        return "npm", args[1:]
    if base == "pipx" and args[:1] == ["run"]:
        return "pypi", args[1:]
    if base == "uv" and args[:2] == ["tool", "run"]:
        return "pypi", args[2:]
    return None


def _first_package(args: list[str]) -> str | None:
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
            continue
        if arg in ("-p", "--package", "--from", "--with", "--python", "-c", "--call"):
            if arg in ("-p", "--package", "--from"):
                return None  # the package is named by the option; checked by the caller
            skip_next = True
            continue
        if arg.startswith("-"):
            continue
        return arg
    return None


def _option_package(args: list[str]) -> str | None:
    for i, arg in enumerate(args[:-1]):
        if arg in ("-p", "--package", "--from"):
            return args[i + 1]
    for arg in args:
        if arg.startswith(("--package=", "--from=")):
            return arg.split("=", 1)[1]
    return None


def pinned(package: str, ecosystem: str) -> bool:
    """Does the package spec name one exact version?"""
    if ecosystem == "npm":
        name, _, version = package[1:].partition("@") if package.startswith("@") else \
            package.partition("@")
        return bool(re.match(r"^v?\d+\.\d+\.\d+([-+][\w.]+)?$", version))
    return bool(re.search(r"==\s*\d|@\s*\d+\.\d+", package))


def unpinned(server: McpServer) -> list[dict[str, str]]:
    found = _package_args(server)
    if found is None:
        return []
    ecosystem, args = found
    package = _option_package(args) or _first_package(args)
    if not package or package.startswith((".", "/")) or package.startswith(("git+", "http")):
        return []
    if pinned(package, ecosystem):
        return []
    auto = " and installs it without asking (-y)" if {"-y", "--yes"} & set(args) else ""
    return [_note("mcp-unpinned-package", "medium",
                  f"runs the {ecosystem} package {package!r} at whatever version is published "
                  f"next{auto}; pin an exact version",
                  redact(f"{server.command} {' '.join(args)}"))]


def _is_secret(key: str, value: str) -> bool:
    value = value.strip()
    if not value or _REFERENCE.match(value):
        return False
    if _TOKEN_SHAPES.search(value):
        return True
    if key.lower() == "authorization":
        return not re.search(r"\$\{|\{env:", value)
    return bool(_SECRET_NAME.search(key)) and len(value) >= 8 and " " not in value


def inline_secrets(server: McpServer) -> list[dict[str, str]]:
    out = []
    for where, table in (("env", server.env), ("headers", server.headers)):
        for key, value in table.items():
            if _is_secret(key, value):
                out.append(_note("mcp-inline-secret", "high",
                                 f"{where} {key} holds a credential written into the config; "
                                 "reference an environment variable instead",
                                 f"{key}={mask(value)}"))
    for arg in server.args + [server.url]:
        key, sep, value = arg.partition("=")
        hit = _TOKEN_SHAPES.search(arg)
        if hit or (sep and _SECRET_NAME.search(key) and _is_secret(key, value)):
            shown = arg.replace(hit.group(0), mask(hit.group(0))) if hit else f"{key}=" \
                f"{mask(value)}"
            out.append(_note("mcp-inline-secret", "high", "a credential is written into the "
                             "server's command line or URL", shown))
    return out


def plain_http(server: McpServer) -> list[dict[str, str]]:
    if not server.url.lower().startswith("http://"):
        return []
    host = (urlsplit(server.url).hostname or "").lower()
    try:
        if host == "localhost" or ipaddress.ip_address(host).is_loopback:
            return []
    except ValueError:
        pass
    return [_note("mcp-plain-http", "high", f"remote server {host} is reached over plain "
                  "http://: requests and credentials travel unencrypted", server.url)]


def _writable_by_all(path: Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & stat.S_IWOTH:
        return f"{path} is world-writable ({stat.filemode(mode)})"
    try:
        parent = path.parent.stat().st_mode
    except OSError:
        return None
    if parent & stat.S_IWOTH and not parent & stat.S_ISVTX:
        return f"its folder {path.parent} is world-writable ({stat.filemode(parent)})"
    return None


def world_writable(server: McpServer) -> list[dict[str, str]]:
    if server.transport != "stdio" or not server.command:
        return []
    base = Path(server.config).parent
    candidates = []
    command = Path(os.path.expanduser(server.command))
    if command.is_absolute() or "/" in server.command:
        candidates.append(command if command.is_absolute() else base / command)
    if Path(server.command).name in _INTERPRETERS or _SCRIPT.search(server.command):
        for arg in server.args:
            if not arg.startswith("-") and _SCRIPT.search(arg):
                script = Path(os.path.expanduser(arg))
                candidates.append(script if script.is_absolute() else base / script)
                break
    out = []
    for path in candidates:
        why = _writable_by_all(path)
        if why:
            out.append(_note("mcp-world-writable", "high", f"any user can rewrite what this "
                             f"server runs: {why}", str(path)))
    return out


def assess(server: McpServer) -> list[dict[str, str]]:
    """Every risk note for ``server``."""
    return unpinned(server) + inline_secrets(server) + plain_http(server) + \
        world_writable(server)
