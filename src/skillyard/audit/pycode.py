"""Python analyzer on the ``ast``: decoded exec, dynamic imports, shell commands, network use,
credential and environment reads, home-folder walks and persistence. Call names are resolved
through imports and aliases; the name lists live in ``rules/python.yaml``."""

from __future__ import annotations

import ast
import re
import warnings

from .content import TextUnit
from .model import Hit, clip
from .rules import RuleSet

MAX_HITS_PER_RULE = 5


class _Analyzer(ast.NodeVisitor):
    def __init__(self, unit: TextUnit, rules: RuleSet) -> None:
        self.unit = unit
        cfg = rules.python
        self.cfg = {k: set(v) if isinstance(v, list) else v for k, v in cfg.items()}
        self.network = tuple(cfg["network_modules"])
        self.cred = re.compile(rules.fragments["credential_path"], re.I)
        self.persist = re.compile(cfg["persistence_paths"], re.I)
        self.memory = re.compile(rules.fragments["memory_file"], re.I)
        self.aliases: dict[str, str] = {}
        self.hits: list[Hit] = []
        self.counts: dict[str, int] = {}
        self.skip_constants: set[int] = set()

    # -- helpers --------------------------------------------------------------------------------
    def add(self, rule: str, node: ast.AST, evidence: str = "") -> None:
        if self.counts.get(rule, 0) >= MAX_HITS_PER_RULE:
            return
        self.counts[rule] = self.counts.get(rule, 0) + 1
        line = getattr(node, "lineno", 1) + self.unit.line_offset
        text = evidence or ast.get_source_segment(self.unit.text, node) or ""
        self.hits.append(Hit(rule, self.unit.path, line, clip(text),
                             flow=self.unit.flow or self.unit.path))

    def resolve(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else node.attr
        if isinstance(node, ast.Call):
            return self.resolve(node.func)
        return ""

    def _is_network(self, name: str) -> bool:
        return any(name == m or name.startswith(m + ".") for m in self.network)

    def _calls_in(self, node: ast.AST) -> set[str]:
        return {self.resolve(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}

    def _is_environ(self, node: ast.AST) -> bool:
        name = self.resolve(node)
        return name in ("os.environ", "os.environ.copy", "environ") or (
            isinstance(node, ast.Call) and self.resolve(node.func) in ("dict", "os.environ.copy")
            and any(self.resolve(a) == "os.environ" for a in node.args))

    # -- visitors -------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.aliases[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0])
            if self._is_network(alias.name):
                self.add("py-network", node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
        if self._is_network(module):
            self.add("py-network", node)

    def visit_For(self, node: ast.For) -> None:
        if self._is_environ(node.iter) or self.resolve(node.iter) in (
            "os.environ.items", "os.environ.keys", "os.environ.values"
        ):
            self.add("py-env-dump", node.iter)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = self.resolve(node.func)
        cfg = self.cfg
        first = node.args[0] if node.args else None
        literal = isinstance(first, ast.Constant)
        for kw in node.keywords:
            if kw.arg in cfg["key_file_kwargs"]:
                self.skip_constants.update(id(n) for n in ast.walk(kw.value))
            elif kw.arg in cfg["label_keys"] and isinstance(kw.value, ast.Constant):
                self.skip_constants.add(id(kw.value))
        if name in cfg["exec_calls"] and first is not None and not literal:
            if self._calls_in(first) & cfg["decode_calls"]:
                self.add("py-exec-decoded", node)
            else:
                self.add("py-dynamic-exec", node)
        elif name in cfg["dynamic_import_calls"] and first is not None and not literal:
            self.add("py-dynamic-import", node)
        elif name in cfg["deserialize_calls"] and first is not None and not literal:
            self.add("py-deserialize", node)
        if name in cfg["process_calls"] and first is not None and \
                self._calls_in(first) & cfg["decode_calls"]:
            self.add("py-exec-decoded", node)
        elif name in cfg["process_calls"]:
            shell = name in cfg["shell_string_calls"] or any(
                kw.arg == "shell" and isinstance(kw.value, ast.Constant) and kw.value.value
                for kw in node.keywords)
            self.add("py-shell" if shell and first is not None and not literal else "py-process",
                     node)
        if self._is_network(name):
            self.add("py-network", node)
        if name in cfg["env_dump_wrappers"] and any(self._is_environ(a) for a in node.args):
            self.add("py-env-dump", node)
        if name in cfg["home_walk_calls"] and first is not None and self._home_root(first):
            self.add("py-home-walk", node)
        if name.endswith("join") and first is not None and self._chr_chain(first):
            self.add("py-obfuscated-string", node)
        if name in cfg["decode_calls"] and literal and isinstance(first, ast.Constant) and \
                isinstance(first.value, str | bytes) and len(first.value) >= 40:
            self.add("py-obfuscated-string", node, f"{name}({clip(repr(first.value), 80)})")
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        # {"memo": "decoy key in ~/.aws/credentials"}: a literal label, not a path that is read
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in self.cfg["label_keys"] and \
                    isinstance(value, ast.Constant):
                self.skip_constants.add(id(value))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, str) or id(node) in self.skip_constants:
            return
        value = node.value
        if len(value) < 400 and self.cred.search(value):
            self.add("py-credential-read", node)
        if len(value) < 400 and self.persist.search(value):
            self.add("py-persistence", node)
        if len(value) < 400 and self.memory.search(value):
            self.add("py-memory-write", node)

    def _home_root(self, node: ast.AST) -> bool:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and sub.value in ("~", "/", "~/", "C:\\", "$HOME"):
                return True
            if isinstance(sub, ast.Call):
                called = self.resolve(sub.func)
                if called in ("pathlib.Path.home", "Path.home") or (
                    called.endswith("expanduser") and sub.args
                    and isinstance(sub.args[0], ast.Constant) and sub.args[0].value in ("~", "~/")
                ):
                    return True
        return False

    def _chr_chain(self, node: ast.AST) -> bool:
        chrs = sum(1 for n in ast.walk(node) if isinstance(n, ast.Call) and self.resolve(n.func)
                   == "chr")
        return chrs >= 1 and isinstance(node, ast.GeneratorExp | ast.ListComp | ast.List) and (
            chrs >= 4 or isinstance(node, ast.GeneratorExp | ast.ListComp))


def analyze_python(unit: TextUnit, rules: RuleSet, *, report_syntax: bool = True) -> list[Hit]:
    """Hits for one Python source; a file that does not parse is reported (not ignored)."""
    from .pyflow import parse  # shares the parsed tree with the flow analyzer

    tree = parse(unit.text)
    if tree is None:
        if not report_syntax:
            return []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(unit.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = (getattr(exc, "lineno", None) or 1) + unit.line_offset
            return [Hit("py-syntax-error", unit.path, line, clip(str(exc)),
                        flow=unit.flow or unit.path)]
        return []
    analyzer = _Analyzer(unit, rules)
    try:
        analyzer.visit(tree)
    except RecursionError:
        return [*analyzer.hits, Hit("py-syntax-error", unit.path, 1,
                                    "nesting too deep to analyse", flow=unit.flow or unit.path)]
    return analyzer.hits

