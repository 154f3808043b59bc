"""Load the detection rules kept as data files in ``audit/rules/`` and digest them.

Every rule has an id, a category, a severity when alone, a signal kind (capability, threat or
direct), a correlation tag, and the why/fix texts shown to users. Pattern rules also carry a
compiled regex. The rules digest changes when any rule file changes, which invalidates cached
verdicts.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from .model import CATEGORIES, SEVERITIES, AuditError

ENGINE_VERSION = "2"  # bump when analyzer code changes what it reports
PATTERN_FILES = ("text", "shell", "javascript")
_FRAGMENT = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: str
    why: str
    fix: str
    signal: str = "direct"
    tag: str = ""
    fail_closed: bool = False
    quoted: str | None = None  # severity when quoted or given as an example
    where: str = "any"  # prose | any
    skill_scope: bool = False
    group: str = "catalog"
    any: tuple[str, ...] = ()  # lowercase literals; the rule runs only near one of them
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Combination:
    id: str
    category: str
    severity: str
    first: frozenset[str]
    second: frozenset[str]
    why: str
    fix: str


@dataclass
class RuleSet:
    rules: dict[str, Rule]
    combinations: list[Combination]
    fragments: dict[str, str]
    hosts: dict[str, list[str]]
    python: dict[str, Any]
    yara_source: str
    digest: str
    prose: dict[str, Any] = field(default_factory=dict)
    supply: dict[str, Any] = field(default_factory=dict)
    _groups: dict[str, list[Rule]] = field(default_factory=dict, repr=False)

    def get(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise AuditError(f"unknown audit rule {rule_id!r}") from None

    def group(self, name: str) -> list[Rule]:
        if name not in self._groups:
            self._groups[name] = [r for r in self.rules.values() if r.group == name]
        return self._groups[name]


def _read(name: str) -> str:
    return (resources.files("skillyard.audit") / "rules" / name).read_text(encoding="utf-8")


def _check(rule_id: str, data: dict[str, Any]) -> None:
    if data.get("category") not in CATEGORIES:
        raise AuditError(f"rule {rule_id}: unknown category {data.get('category')!r}")
    for key in ("severity", "quoted"):
        if key in data and data[key] not in SEVERITIES:
            raise AuditError(f"rule {rule_id}: unknown {key} {data[key]!r}")
    if data.get("signal", "direct") not in ("capability", "threat", "direct"):
        raise AuditError(f"rule {rule_id}: unknown signal {data.get('signal')!r}")
    if data.get("signal", "direct") != "direct" and not data.get("tag"):
        raise AuditError(f"rule {rule_id}: capability and threat rules need a tag")


def _make_rule(rule_id: str, data: dict[str, Any], group: str, pattern: str | None) -> Rule:
    _check(rule_id, data)
    compiled = None
    if pattern is not None:
        try:
            compiled = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
        except re.error as exc:
            raise AuditError(f"rule {rule_id}: bad pattern ({exc})") from None
    return Rule(
        id=rule_id, category=data["category"], severity=data["severity"],
        why=data.get("why", ""), fix=data.get("fix", ""), signal=data.get("signal", "direct"),
        tag=data.get("tag", ""), fail_closed=bool(data.get("fail_closed", False)),
        quoted=data.get("quoted"), where=data.get("where", "any"),
        skill_scope=bool(data.get("skill_scope", False)), group=group, pattern=compiled,
        any=tuple(str(w).lower() for w in data.get("any", ())),
    )


def expand(pattern: str, fragments: dict[str, str]) -> str:
    """Substitute ``{name}`` fragments (regex quantifiers like ``{2,}`` are left alone)."""
    return _FRAGMENT.sub(lambda m: fragments.get(m.group(1), m.group(0)), pattern)


def _yara_rules(source: str) -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for match in re.finditer(r"^rule\s+(\w+)\s*\{(.*?)^\}", source, re.M | re.S):
        meta = dict(re.findall(r'(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"', match.group(2)))
        rule_id = "yara-" + match.group(1).replace("_", "-")
        out[rule_id] = _make_rule(rule_id, meta, "yara", None)
    return out


# libyaml's safe loader when the wheel has it (about 10x faster to parse the rule files, the
# bulk of an auditor's start-up, e.g. in every ``learn``), else the pure-Python one
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def load_rules() -> RuleSet:
    """The packaged rule set (parsed once per process)."""
    texts: dict[str, str] = {}
    names = ["catalog.yaml", "fragments.yaml", "combinations.yaml", "hosts.yaml",
             "python.yaml", "prose.yaml", "supply.yaml", "signatures.yar",
             *(f"{g}.yaml" for g in PATTERN_FILES)]
    for name in names:
        texts[name] = _read(name)
    try:
        docs = {n: yaml.load(t, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
                for n, t in texts.items() if n.endswith(".yaml")}
    except yaml.YAMLError as exc:
        raise AuditError(f"audit rule file is not valid YAML: {exc}") from None
    fragments = {k: v.strip() for k, v in docs["fragments.yaml"]["fragments"].items()}
    rules: dict[str, Rule] = {}
    for rule_id, data in docs["catalog.yaml"]["rules"].items():
        rules[rule_id] = _make_rule(rule_id, data, "catalog", None)
    for group in PATTERN_FILES:
        for data in docs[f"{group}.yaml"]["rules"]:
            if data["id"] in rules:
                raise AuditError(f"duplicate audit rule id {data['id']!r}")
            rules[data["id"]] = _make_rule(
                data["id"], data, group, expand(data["pattern"], fragments)
            )
    yara_source = texts["signatures.yar"]
    rules.update(_yara_rules(yara_source))
    combos = []
    for data in docs["combinations.yaml"]["combinations"]:
        _check(data["id"], data)
        combos.append(Combination(
            id=data["id"], category=data["category"], severity=data["severity"],
            first=frozenset(data["first"]), second=frozenset(data["second"]),
            why=data["why"], fix=data["fix"],
        ))
    digest = hashlib.sha256(ENGINE_VERSION.encode())
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode("utf-8") + b"\0")
    return RuleSet(
        rules=rules, combinations=combos, fragments=fragments, hosts=docs["hosts.yaml"],
        python=docs["python.yaml"], yara_source=yara_source, digest=digest.hexdigest(),
        prose=docs["prose.yaml"], supply=docs["supply.yaml"],
    )
