"""Supply-chain analyzer: dependencies in manifests and install commands (typosquats of popular
PyPI/npm names), extra package indexes (dependency confusion), npm lifecycle scripts, and
config files that point at tunnels, paste sites, request catchers, chat webhooks or raw IPs.
The popular names and index hosts are data (``rules/supply.yaml``)."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

from .content import TextUnit
from .mdparse import LineIndex
from .model import Hit, clip
from .rules import RuleSet
from .text import host_listed, public_ip

CONFIG_SUFFIXES = {".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".env",
                   ".properties", ".jsonc"}
MAX_CONFIG_CHARS = 512 * 1024
_REQ_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~;@]|$)",
                       re.M)
_INSTALL = re.compile(r"\b(?:pip3?|uv\s+pip|python3?\s+-m\s+pip|pipx)\s+install\s+([^\n|;&#]+)|"
                      r"\b(?:uv|poetry|pdm|rye)\s+add\s+([^\n|;&#]+)|"
                      r"\b(?:npm|pnpm|yarn|bun)\s+(?:i|install|add)\s+([^\n|;&#]+)", re.I)
_INDEX = re.compile(r"(?:--extra-index-url|--index-url|(?<![\w-])-i)[= ]\s*[\"']?(https?://[^\s\"']+)|"
                    r"(?:PIP_EXTRA_INDEX_URL|PIP_INDEX_URL|UV_EXTRA_INDEX_URL|UV_INDEX_URL|"
                    r"extra-index-url|index-url)\s*[=:]\s*[\"']?(https?://[^\s\"']+)|"
                    r"(?:^|\s)registry\s*=\s*(https?://\S+)|npm\s+config\s+set\s+registry\s+"
                    r"(https?://\S+)|--registry[= ](https?://\S+)", re.M)
_URL = re.compile(r"(?i)\b(?:https?|wss?)://[^\s)\]>\"'`|,]+")
_PYPROJECT_DEP = re.compile(r"^\s*[\"']([A-Za-z0-9][A-Za-z0-9._-]*)", re.M)


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip().lower())


def _deletes(name: str) -> set[str]:
    return {name[:i] + name[i + 1:] for i in range(len(name))}


_INDEXES: dict[str, dict[str, dict[str, set[str]]]] = {}
_PERMS: dict[str, re.Pattern[str]] = {}


def _index(rules: RuleSet) -> dict[str, dict[str, set[str]]]:
    if rules.digest in _INDEXES:
        return _INDEXES[rules.digest]
    out: dict[str, dict[str, set[str]]] = {}
    for eco in ("pypi", "npm"):
        names = {norm(n) for n in rules.supply[eco]}
        table: dict[str, set[str]] = {}
        for name in names:
            if len(name) < 4:
                continue
            for key in _deletes(name) | {name}:
                table.setdefault(key, set()).add(name)
        allowed = {norm(n) for n in rules.supply.get("allowed", [])}
        out[eco] = {"names": names, "allowed": allowed, **table}  # type: ignore[dict-item]
    _INDEXES[rules.digest] = out
    return out


def typosquat_of(name: str, eco: str, rules: RuleSet) -> str | None:
    """The popular name this one imitates (within one edit or a swap), or None."""
    name = norm(name.split("@")[-1] if eco == "npm" and not name.startswith("@") else name)
    if eco == "npm" and name.startswith("@"):
        return None  # scoped names are owned by their scope
    table = _index(rules)[eco]
    if len(name) < 5 or name in table["names"] or name in table["allowed"]:
        return None
    for key in _deletes(name) | {name}:
        for popular in table.get(key, ()):
            if popular != name and abs(len(popular) - len(name)) <= 1:
                return popular
    return None


class _Scan:
    def __init__(self, unit: TextUnit, rules: RuleSet, index: LineIndex) -> None:
        self.unit = unit
        self.rules = rules
        self.index = index
        self.hits: list[Hit] = []
        self.flow = unit.flow or unit.path

    def add(self, rule: str, offset: int, evidence: str, detail: str = "",
            severity: str = "") -> None:
        """A hit; in documentation (markdown) a name is a mention, so it warns, not blocks."""
        if len(self.hits) < 12:
            self.hits.append(Hit(rule, self.unit.path, self.index.line(offset)
                                 + self.unit.line_offset, clip(evidence), flow=self.flow,
                                 detail=detail + (" (in documentation)" if severity else ""),
                                 severity=severity))

    def names(self, names: list[tuple[str, int]], eco: str, *, mention: bool = False) -> None:
        for name, offset in names:
            popular = typosquat_of(name, eco, self.rules)
            if popular:
                self.add("supply-typosquat", offset, f"{name} (looks like {popular})",
                         f"{eco} package one edit away from {popular}",
                         severity="medium" if mention else "")

    def installs(self) -> None:
        low = self.unit.text.lower()
        if "install" in low or " add " in low:
            self._install_names()
        if any(t in low for t in ("index-url", "index_url", "registry", "install -i ")):
            self._indexes()

    def _install_names(self) -> None:
        offset = 0
        for line in self.unit.text.split("\n"):
            if "install" in line or " add " in line or " i " in line:
                self._install_line(offset, line)
            offset += len(line) + 1

    def _install_line(self, offset: int, line: str) -> None:
        for match in _INSTALL.finditer(line):
            args = next(g for g in match.groups() if g is not None)
            eco = "npm" if re.match(r"\s*(?:npm|pnpm|yarn|bun)", match.group(0), re.I) else "pypi"
            names = []
            skip = False
            for word in args.split():
                if skip:
                    skip = False
                    continue
                if word.startswith("-"):
                    skip = word in ("-r", "-c", "-e", "-i", "--index-url", "--extra-index-url",
                                    "-t", "--target", "--prefix")
                    continue
                word = word.strip("\"'`").rstrip(".,;:)")
                if word[:1].isupper():
                    continue  # prose ("install Python 3.11"), not a package spec
                if re.match(r"^[A-Za-z@][\w.@/-]*(?:[<>=~!].*)?$", word) and "/" not in word[1:]:
                    names.append((re.split(r"[<>=~!\[]", word)[0], offset + match.start()))
            self.names(names, eco, mention=self.unit.lang == "markdown")

    def _indexes(self) -> None:
        for match in _INDEX.finditer(self.unit.text):
            url = next(g for g in match.groups() if g is not None)
            if host_listed(url, self.rules.supply["index_hosts"]) or re.search(
                    r"[<{$]|\bexample\.(?:com|org|net)\b", url):
                continue
            line_start = self.unit.text.rfind("\n", 0, match.start()) + 1
            line_end = self.unit.text.find("\n", match.end())
            line = self.unit.text[line_start:line_end if line_end >= 0 else None]
            internal = re.search(self.rules.supply["internal_name"], line, re.I)
            self.add("supply-extra-index" if not internal else "supply-dependency-confusion",
                     match.start(), line.strip())

    def manifest(self) -> None:
        name = PurePosixPath(self.unit.path.rsplit("!", 1)[-1]).name.lower()
        text = self.unit.text
        if re.match(r"requirements.*\.(?:txt|in)$|constraints.*\.txt$", name):
            self.names([(m.group(1), m.start()) for m in _REQ_LINE.finditer(text)
                        if not m.group(0).lstrip().startswith(("-", "#"))], "pypi")
        elif name == "pyproject.toml" or name == "pipfile":
            block = re.search(r"dependencies\s*=\s*\[(.*?)\]", text, re.S)
            if block:
                self.names([(m.group(1), block.start(1) + m.start())
                            for m in _PYPROJECT_DEP.finditer(block.group(1))], "pypi")
        elif name == "package.json":
            self.package_json(text)

    def package_json(self, text: str) -> None:
        try:
            data = json.loads(text[:MAX_CONFIG_CHARS])
        except (ValueError, RecursionError):
            return
        if not isinstance(data, dict):
            return
        for key in ("dependencies", "devDependencies", "optionalDependencies",
                    "peerDependencies"):
            deps = data.get(key)
            if isinstance(deps, dict):
                self.names([(str(n), max(text.find(f'"{n}"'), 0)) for n in deps], "npm")
        scripts = data.get("scripts")
        if not isinstance(scripts, dict):
            return
        danger = re.compile(self.rules.supply["lifecycle_danger"], re.I)
        for hook in self.rules.supply["lifecycle_scripts"]:
            command = scripts.get(hook)
            if not isinstance(command, str):
                continue
            offset = max(text.find(f'"{hook}"'), 0)
            if danger.search(command):
                self.add("npm-lifecycle-remote", offset, f"{hook}: {command}")
            elif not re.match(r"^\s*(?:husky|tsc|npm\s+run|node-gyp|patch-package|ngcc|"
                              r"lerna|turbo|nx|prisma\s+generate)\b", command):
                self.add("npm-lifecycle", offset, f"{hook}: {command}")

    def config_urls(self) -> None:
        suffix = PurePosixPath(self.unit.path.rsplit("!", 1)[-1]).suffix.lower()
        name = PurePosixPath(self.unit.path).name.lower()
        if suffix not in CONFIG_SUFFIXES and name not in (".env", ".npmrc", ".pypirc"):
            return
        text = self.unit.text[:MAX_CONFIG_CHARS]
        secrets = re.search(self.rules.supply["config_secret"], text, re.I)
        ships = re.search(self.rules.supply["config_sends_secrets"], text)
        for match in _URL.finditer(text):
            url = match.group(0)
            host = (re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0]).split(":")[0]
            local = host in ("localhost", "127.0.0.1", "0.0.0.0") or host.endswith(
                (".local", ".localhost")) or "$" in host or "{" in host
            if ships and not local:
                self.add("config-secret-upload", match.start(), f"{url} ({ships.group(0)})")
            elif host_listed(url, self.rules.hosts.get("shady", [])) or public_ip(host):
                self.add("config-suspicious-endpoint", match.start(), url)
            elif host_listed(url, self.rules.supply["webhooks"]):
                self.add("config-webhook-secrets" if secrets else "config-webhook",
                         match.start(), url)


def scan_supply(unit: TextUnit, rules: RuleSet, index: LineIndex) -> list[Hit]:
    """Supply-chain hits for one unit (manifests, config, scripts and docs)."""
    scan = _Scan(unit, rules, index)
    if unit.origin in ("decoded", "decoded-data"):
        return []
    scan.manifest()
    scan.installs()
    scan.config_urls()
    return scan.hits


def _permission_patterns(rules: RuleSet) -> re.Pattern[str]:
    if rules.digest not in _PERMS:
        _PERMS[rules.digest] = re.compile(
            "|".join(f"(?:{p})" for p in rules.supply["permission_bypass"]))
    return _PERMS[rules.digest]


def scan_permissions(unit: TextUnit, rules: RuleSet, index: LineIndex) -> list[Hit]:
    """Permission bypass written as data or flags in a script or config file. (In markdown
    the text rule ``permissive-settings`` applies, softened when it is quoted.)"""
    if unit.lang == "markdown" or unit.origin in ("decoded-data",):
        return []
    pattern = _permission_patterns(rules)
    hits = []
    for match in pattern.finditer(unit.text):
        hits.append(Hit("permission-bypass-data", unit.path, index.line(match.start())
                        + unit.line_offset, clip(match.group(0)), flow=unit.flow or unit.path))
        if len(hits) >= 5:
            break
    return hits
