"""Which local names stand for which Node modules and functions.

``const cp = require('child_process')``, ``const {exec: run} = require('node:child_process')``,
``import * as cp from 'child_process'``, ``import {execSync as x} from 'child_process'``,
``const fsp = require('fs').promises`` and plain renames (``const run = cp.exec``) all resolve,
so ``run(c)`` reads as ``child_process.exec(c)``. Only the modules the sinks and sources care
about are tracked; everything else keeps its own name.
"""

from __future__ import annotations

from tree_sitter import Node

from .jsbase import dotted, pattern_names, string_value, text, unwrap

MODULES = frozenset({"child_process", "fs", "fs/promises", "os", "http", "https", "http2",
                     "net", "tls", "dgram", "dns", "dns/promises", "crypto", "vm", "path",
                     "zlib", "axios", "node-fetch", "undici", "got", "ws", "request",
                     "needle", "superagent", "worker_threads", "module"})
_CANON = {"fs/promises": "fs.promises", "dns/promises": "dns.promises", "node-fetch": "fetch"}


def module_name(spec: str) -> str | None:
    """The canonical name of a module specifier we track ('node:fs' -> 'fs')."""
    spec = spec.removeprefix("node:")
    if spec in MODULES:
        return _CANON.get(spec, spec)
    return None


def require_target(node: Node | None) -> str | None:
    """``require('x')`` / ``require('x').y`` / ``await import('x')`` as a canonical dotted name."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "member_expression":
        base = require_target(node.child_by_field_name("object"))
        prop = text(node.child_by_field_name("property"))
        return f"{base}.{prop}" if base else None
    if node.type == "call_expression":
        func = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if func is not None and text(func) in ("require", "import") and args is not None \
                and args.named_children:
            spec = string_value(args.named_children[0])
            return module_name(spec) if spec else None
    return None


class Names:
    """Local name -> canonical dotted name (``run`` -> ``child_process.exec``)."""

    def __init__(self) -> None:
        self.alias: dict[str, str] = {}

    def resolve(self, node: Node | None) -> str:
        """The canonical dotted name of a callee or value expression ('' when unknown)."""
        req = require_target(node)
        if req:
            return req
        name = dotted(node)
        if not name:
            return ""
        head, _, rest = name.partition(".")
        if head in self.alias:
            base = self.alias[head]
            return f"{base}.{rest}" if rest else base
        return name

    def bind(self, pattern: Node | None, value: Node | None) -> None:
        """Record aliases made by ``const <pattern> = <value>``."""
        if pattern is None or value is None:
            return
        target = self.resolve(value)
        if not target or target.split(".", 1)[0] not in _ROOTS:
            return
        if pattern.type == "identifier":
            self.alias[text(pattern)] = target
            return
        for name, prop in pattern_names(pattern):
            if prop:
                self.alias[name] = f"{target}.{prop}"

    def imports(self, node: Node) -> None:
        """Record the names an ``import ... from 'x'`` statement binds."""
        source = node.child_by_field_name("source")
        spec = string_value(source) if source is not None else None
        mod = module_name(spec) if spec else None
        if mod is None:
            return
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":  # default import
                    self.alias[text(part)] = mod
                elif part.type == "namespace_import":
                    ident = next((c for c in part.named_children if c.type == "identifier"),
                                 None)
                    if ident is not None:
                        self.alias[text(ident)] = mod
                elif part.type == "named_imports":
                    for spec_node in part.named_children:
                        if spec_node.type != "import_specifier":
                            continue
                        name = spec_node.child_by_field_name("name")
                        local = spec_node.child_by_field_name("alias") or name
                        if name is not None and local is not None:
                            self.alias[text(local)] = f"{mod}.{text(name)}"


_ROOTS = frozenset({_CANON.get(m, m).split(".")[0].split("/")[0] for m in MODULES}
                   | {"process", "globalThis", "Buffer", "eval", "Function", "fetch",
                      "require"})
