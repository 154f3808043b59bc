"""MCP server configurations of agent clients, read from the files named in mcp_configs.toml.

Every client spells a server a little differently (``command``/``cmd``, ``env``/``envs``/
``environment``, ``url``/``serverUrl``/``httpUrl``/``uri``, OpenCode's command arrays); they are
all normalised to one ``McpServer``. A file that cannot be read or parsed is a ``Problem`` and
never stops the rest of the inventory.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import SkillyardError
from ..sources.agenttable import expand

MAX_CONFIG_BYTES = 16 * 1024 * 1024
_SECRET_NAME = re.compile(r"(?i)(api[_-]?key|token|secret|passw(or)?d|credential|private[_-]?key"
                          r"|access[_-]?key|client[_-]?secret|bearer)")
_TOKEN_SHAPES = re.compile(
    r"(sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|glpat-[A-Za-z0-9_-]{16,}"
    r"|AIza[0-9A-Za-z_-]{30,})")


def mask(value: str) -> str:
    return value[:4] + "…" if len(value) > 6 else "…"


def redact(text: str) -> str:
    """``text`` with token-shaped values and ``secret-name=value`` pairs masked (for reports)."""
    text = _TOKEN_SHAPES.sub(lambda m: mask(m.group(0)), text)
    return re.sub(r"([\w.-]+)=([^&\s]+)", lambda m: f"{m.group(1)}={mask(m.group(2))}"
                  if _SECRET_NAME.search(m.group(1)) else m.group(0), text)


@dataclass(frozen=True)
class ConfigSpec:
    client: str
    scope: str
    paths: tuple[str, ...]
    format: str
    servers: tuple[str, ...]
    source: str
    paths_macos: tuple[str, ...] = ()
    paths_windows: tuple[str, ...] = ()

    def files(self, base: Path, home: Path | None) -> list[Path]:
        paths = self.paths
        if sys.platform == "win32" and self.paths_windows:
            paths = self.paths_windows
        elif sys.platform == "darwin" and self.paths_macos:
            paths = self.paths_macos
        if self.scope == "project":
            return [base / p for p in paths]
        return [expand(p, base, explicit=home is not None) for p in paths]


@dataclass
class McpServer:
    name: str
    client: str
    scope: str
    config: str  # the file it was found in
    transport: str  # stdio | http | sse
    command: str = ""
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    risks: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "client": self.client, "scope": self.scope,
                "config": self.config, "transport": self.transport, "command": self.command,
                "args": [redact(a) for a in self.args], "env": sorted(self.env),
                "url": redact(self.url), "risks": self.risks}

    def runs(self) -> str:
        """What the server runs or where it is, with credentials masked."""
        return redact(self.url or " ".join([self.command, *self.args]))


@dataclass(frozen=True)
class Problem:
    path: str
    rule: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "rule": self.rule, "message": self.message}


def _tuple(raw: dict[str, Any], key: str, required: bool = True) -> tuple[str, ...]:
    value = raw.get(key, None if required else [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SkillyardError(f"mcp_configs.toml {raw.get('client')!r}: '{key}' must be a list "
                             "of strings")
    return tuple(value)


def parse_specs(data: dict[str, Any]) -> tuple[ConfigSpec, ...]:
    out = []
    for raw in data.get("config", []):
        if raw.get("format") not in ("json", "toml", "yaml") or raw.get("scope") not in (
                "user", "project") or not isinstance(raw.get("client"), str):
            raise SkillyardError(f"mcp_configs.toml: bad entry {raw!r}")
        out.append(ConfigSpec(raw["client"], raw["scope"], _tuple(raw, "paths"), raw["format"],
                              _tuple(raw, "servers"), str(raw.get("source", "")),
                              _tuple(raw, "paths_macos", False),
                              _tuple(raw, "paths_windows", False)))
    return tuple(out)


@lru_cache(maxsize=1)
def config_specs() -> tuple[ConfigSpec, ...]:
    text = (resources.files("skillyard.inventory") / "mcp_configs.toml").read_text("utf-8")
    return parse_specs(tomllib.loads(text))


def strip_jsonc(text: str) -> str:
    """Drop // and /* */ comments and trailing commas outside strings (JSON with comments)."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        elif ch in "]}":
            j = len(out) - 1
            while j >= 0 and out[j] in " \t\r\n":
                j -= 1
            if j >= 0 and out[j] == ",":
                del out[j]
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def parse_config(text: str, fmt: str) -> Any:
    """Parse one config file's text; raise ValueError with the parser's reason."""
    if fmt == "toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"not valid TOML ({exc})") from None
    if fmt == "yaml":
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"not valid YAML ({str(exc).splitlines()[0]})") from None
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return json.loads(strip_jsonc(text))
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc})") from None


def _tables(data: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    """(label, server table) for ``path`` in ``data`` (see mcp_configs.toml)."""
    if isinstance(data, dict) and isinstance(data.get(path), dict):
        return [("", data[path])]
    nodes: list[tuple[str, Any]] = [("", data)]
    for part in path.split("."):
        nxt: list[tuple[str, Any]] = []
        for label, node in nodes:
            if not isinstance(node, dict):
                continue
            if part == "*":
                nxt += [(f"{label}{key}:", value) for key, value in node.items()]
            elif part in node:
                nxt.append((label, node[part]))
        nodes = nxt
    return [(label, node) for label, node in nodes if isinstance(node, dict)]


def _strs(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _map(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    if isinstance(value, list):  # ["KEY=value", ...]
        return dict(str(v).partition("=")[::2] for v in value)
    return {}


def normalise(name: str, raw: dict[str, Any], spec: ConfigSpec, config: Path) -> McpServer:
    command = raw.get("command", raw.get("cmd", ""))
    args = _strs(raw.get("args"))
    if isinstance(command, list):  # OpenCode: command is the whole argv
        argv = _strs(command)
        command, args = (argv[0] if argv else ""), argv[1:] + args
    url = raw.get("url") or raw.get("serverUrl") or raw.get("httpUrl") or raw.get("uri") or ""
    kind = str(raw.get("type") or raw.get("transport") or "").lower()
    if kind in ("sse",):
        transport = "sse"
    elif kind in ("http", "streamable-http", "streamable_http", "streamablehttp", "remote") or (
            url and not command):
        transport = "http"
    else:
        transport = "stdio"
    env = _map(raw.get("env", raw.get("envs", raw.get("environment"))))
    return McpServer(name=name, client=spec.client, scope=spec.scope, config=str(config),
                     transport=transport, command=str(command or ""), args=args, env=env,
                     url=str(url), headers=_map(raw.get("headers") or raw.get("http_headers")))


def read_config(path: Path, spec: ConfigSpec) -> tuple[list[McpServer], list[Problem]]:
    """The servers in one config file, or the problem that stopped reading it."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            return [], [Problem(str(path), "mcp-config-error",
                                f"larger than {MAX_CONFIG_BYTES} bytes; not read")]
        text = path.read_text(encoding="utf-8")
        data = parse_config(text, spec.format)
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(str(path), "mcp-config-error", f"cannot read ({exc})")]
    except ValueError as exc:
        return [], [Problem(str(path), "mcp-config-error", str(exc))]
    servers: list[McpServer] = []
    problems: list[Problem] = []
    for table_path in spec.servers:
        for label, table in _tables(data, table_path):
            for name, raw in table.items():
                if not isinstance(raw, dict):
                    problems.append(Problem(str(path), "mcp-config-error",
                                            f"server {label}{name!r} is not an object"))
                    continue
                if raw.get("enabled") is False or raw.get("disabled") is True:
                    continue
                servers.append(normalise(f"{label}{name}", raw, spec, path))
    return servers, problems
