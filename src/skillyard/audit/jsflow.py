"""JavaScript/TypeScript data flow on a tree-sitter syntax tree.

Sources: credential files read with ``fs`` (paths built with ``os.homedir()``, ``path.join``,
template literals or ``+``), ``process.env`` (named secrets, the whole environment),
``process.argv``/request input, decoded text (``atob``, ``Buffer.from(x, 'base64')``,
``String.fromCharCode``) and downloaded text (``fetch``/``axios``/``https.get``). Taint moves
through bindings (destructuring and renames included), assignments, template literals,
concatenation, ``JSON.stringify``, encodings (``Buffer.from(x).toString('base64')``, ``btoa``),
promise chains and callbacks, and calls to functions of the same file (inlined with their
arguments' taint). Sinks: ``child_process``/``eval``/``Function``/``vm`` (exec), ``fetch``,
``axios``, ``http(s).request``, sockets, ``WebSocket``, ``sendBeacon`` (network), ``dns``
look-ups, and ``fs`` writes to agent memory or config. Each finding carries its trace.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from . import envchain
from .content import TextUnit
from .flow import FlowContext, Taint, merge, sink_hits, source
from .jsbase import (
    FUNCTIONS,
    Scope,
    arguments,
    dotted,
    line,
    operands,
    pairs,
    params,
    pattern_names,
    string_value,
    text,
    unwrap,
)
from .jsnames import Names, require_target
from .jsparse import parse_js
from .jssinks import (
    ARGV_EXEC,
    COPY,
    DECODE,
    ENCODE,
    HOME,
    INPUT,
    PATH_JOIN,
    READ,
    REMOTE,
    SOCKET_SENDS,
    SOCKETS,
    TRIGGER_SINK,
    TRIGGER_SOURCE,
    canonical,
    sink_of,
)
from .model import Hit
from .shflow import shell_flows

MAX_INLINE_DEPTH = 4
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "node", "python", "python3", "perl", "ruby",
                     "powershell", "pwsh", "cmd", "cmd.exe"})
_NET_CMD = re.compile(r"(?:^|[\s;|&(])(?:curl|wget|nc|ncat|netcat|scp|Invoke-WebRequest)\b")
_DNS_CMD = re.compile(r"(?:^|[\s;|&(])(?:dig|nslookup|host|drill)\s")
_CALLBACK_RECEIVER = frozenset({"then", "on", "once", "forEach", "map", "flatMap", "filter",
                                "reduce", "pipe", "addEventListener", "catch", "finally"})
_STATEMENTS = frozenset({"lexical_declaration", "variable_declaration", "expression_statement",
                         "return_statement", "function_declaration", "for_in_statement",
                         "generator_function_declaration", "class_declaration",
                         "import_statement", "export_statement"})
_BLOCKS = frozenset({"program", "statement_block", "if_statement", "else_clause",
                     "for_statement", "while_statement", "do_statement", "try_statement",
                     "catch_clause", "finally_clause", "switch_statement", "switch_body",
                     "switch_case", "switch_default", "labeled_statement", "class_body",
                     "class", "with_statement"})
class JsFlow:
    def __init__(self, unit: TextUnit, ctx: FlowContext) -> None:
        self.unit = unit
        self.ctx = ctx
        self.flow = unit.flow or unit.path
        self.names = Names()
        self.functions: dict[str, Node] = {}
        self.sockets: set[str] = set()
        self.classes: dict[str, dict[str, Node]] = {}  # class -> method -> definition
        self.instances: dict[str, str] = {}  # variable -> class of the object it holds
        self.analyzed: set[int] = set()
        self.memo: dict[tuple[int, tuple[frozenset[str] | None, ...]], Taint | None] = {}
        self.returns: list[Taint | None] = []
        self.depth = 0
        self.hits: list[Hit] = []
        self.seen: set[tuple[str, int]] = set()
        self.top = Scope()

    # -- bookkeeping ---------------------------------------------------------------------------
    def ln(self, node: Node) -> int:
        return line(node) + self.unit.line_offset

    def at(self, node: Node, what: str) -> tuple[str, int, str]:
        return self.unit.path, self.ln(node), what

    def step(self, taint: Taint | None, node: Node, what: str, **kw: object) -> Taint | None:
        return taint.then(*self.at(node, what), **kw) if taint is not None else None  # type: ignore[arg-type]

    def report(self, taint: Taint | None, sink: str, node: Node) -> None:
        if taint is None:
            return
        envchain.note_sink(self.ctx, taint, sink, self.flow)
        if sink in ("network", "dns"):
            for _file, _line, what in taint.steps:
                if what.startswith("reads "):
                    self.ctx.sent(what[6:], self.flow)
        for hit in sink_hits(taint, sink, self.unit.path, self.ln(node), text(node)[:200],
                             self.flow):
            key = (hit.rule, hit.line or 0)
            if key not in self.seen:
                self.seen.add(key)
                self.hits.append(hit)

    # -- static strings (paths, commands) ------------------------------------------------------
    def static(self, node: Node | None, scope: Scope) -> str | None:
        node = unwrap(node)
        if node is None:
            return None
        value = string_value(node)
        if value is not None:
            return value
        kind = node.type
        if kind == "template_string":
            out = []
            for child in node.named_children:
                if child.type == "template_substitution":
                    inner = child.named_children[0] if child.named_children else None
                    out.append(self.static(inner, scope) or "*")
                else:
                    out.append(text(child))
            return "".join(out)
        if kind == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
            parts = [self.static(n, scope) for n in operands(node)]
            if all(p is None for p in parts):
                return None
            return "".join(p or "*" for p in parts)
        if kind == "identifier":
            found = scope.const(text(node))
            if found is not None:
                return found
        name = canonical(self.names.resolve(node.child_by_field_name("function")
                                            if kind == "call_expression" else node))
        if name in HOME:
            return "~"
        if kind == "call_expression" and name in PATH_JOIN:
            parts = [self.static(a, scope) or "*" for a in arguments(node)]
            return "/".join(p.strip("/") if i else p.rstrip("/") or "/"
                            for i, p in enumerate(parts) if p).replace("//", "/")
        return None

    # -- statements ----------------------------------------------------------------------------
    def block(self, node: Node, scope: Scope) -> None:
        for child in node.named_children:
            self.stmt(child, scope)

    def stmt(self, node: Node, scope: Scope) -> None:
        self.ctx.budget.tick()
        kind = node.type
        if kind in ("lexical_declaration", "variable_declaration"):
            for decl in node.named_children:
                if decl.type == "variable_declarator":
                    value = decl.child_by_field_name("value")
                    self.bind(decl.child_by_field_name("name"), value,
                              self.expr(value, scope), scope, declare=True)
        elif kind == "expression_statement":
            for child in node.named_children:
                self.expr(child, scope)
        elif kind == "return_statement":
            for child in node.named_children:
                taint = self.expr(child, scope)
                if self.returns:
                    self.returns[-1] = merge(self.returns[-1], taint)
        elif kind in FUNCTIONS:
            if id(node) not in self.analyzed and self.depth == 0:
                self.invoke(node, [], scope)
        elif kind == "for_in_statement":
            taint = self.expr(node.child_by_field_name("right"), scope)
            self.bind(node.child_by_field_name("left"), None, taint, scope, declare=True)
            body = node.child_by_field_name("body")
            if body is not None:
                self.stmt(body, scope)
        elif kind == "import_statement":
            self.names.imports(node)
        elif kind in _BLOCKS or kind == "export_statement":
            inner = Scope(scope) if kind == "statement_block" else scope
            for child in node.named_children:
                if child.type in _STATEMENTS or child.type in _BLOCKS or \
                        child.type.endswith("statement") or child.type in FUNCTIONS:
                    self.stmt(child, inner)
                else:
                    self.expr(child, inner)
        elif kind == "comment":
            return
        else:
            self.expr(node, scope)

    def bind(self, pattern: Node | None, value: Node | None, taint: Taint | None,
             scope: Scope, declare: bool) -> None:
        if pattern is None:
            return
        self.names.bind(pattern, value)
        inner = unwrap(value)
        if pattern.type == "identifier":
            name = text(pattern)
            scope.set(name, self.step(taint, pattern, f"{name} = {text(value)[:60]}")
                      if value is not None else taint, declare)
            const = self.static(value, scope) if value is not None else None
            if const is not None:
                (scope if declare else (scope.find(name) or scope)).consts[name] = const
            if inner is not None and inner.type in FUNCTIONS:
                self.functions[name] = inner
            if inner is not None and inner.type in ("call_expression", "new_expression"):
                callee = inner.child_by_field_name("function") or inner.child_by_field_name(
                    "constructor")
                if canonical(self.names.resolve(callee)) in SOCKETS | {"XMLHttpRequest",
                                                                         "Image"}:
                    self.sockets.add(name)
                if inner.type == "new_expression" and text(callee) in self.classes:
                    self.instances[name] = text(callee)
            return
        from_env = canonical(self.names.resolve(value)) == "process.env" if value else False
        for name, prop in pattern_names(pattern):
            if from_env and prop:
                got = envchain.read(self.ctx, prop, *self.at(pattern, f"process.env.{prop}"))
            else:
                got = taint
            scope.set(name, self.step(got, pattern, f"{name} = {text(value)[:60]}"), declare)

    # -- expressions ---------------------------------------------------------------------------
    def expr(self, node: Node | None, scope: Scope) -> Taint | None:
        node = unwrap(node)
        if node is None:
            return None
        self.ctx.budget.tick()
        kind = node.type
        if kind in ("identifier", "shorthand_property_identifier"):
            name = text(node)
            found = scope.get(name)
            if found is not None or scope.find(name) is not None:
                return found
            return self.named_value(node, canonical(self.names.resolve(node)))
        if kind in ("member_expression", "subscript_expression"):
            name = canonical(self.names.resolve(node))
            value = self.named_value(node, name) if name else None
            if value is not None or name.startswith("process.env"):
                return value
            obj = self.expr(node.child_by_field_name("object"), scope)
            if kind == "subscript_expression":
                obj = merge(obj, self.expr(node.child_by_field_name("index"), scope))
            return obj
        if kind == "call_expression":
            return self.call(node, scope)
        if kind == "new_expression":
            return self.construct(node, scope)
        if kind in ("assignment_expression", "augmented_assignment_expression"):
            return self.assign(node, scope)
        if kind in FUNCTIONS or kind == "class":
            return None
        if kind in ("string", "number", "true", "false", "null", "undefined", "regex",
                    "comment", "this"):
            return None
        if kind == "binary_expression":
            return merge(*(self.expr(n, scope) for n in operands(node)))
        if kind == "object":
            return merge(*(self.expr(v, scope) for _, v in pairs(node)),
                         *(self.expr(c, scope) for c in node.named_children
                           if c.type == "spread_element"))
        return merge(*(self.expr(c, scope) for c in node.named_children))

    def named_value(self, node: Node, name: str) -> Taint | None:
        """The taint of a well-known value: the environment, process input."""
        if name == "process.env":
            return source("env-dump", *self.at(node, "process.env"))
        if name.startswith("process.env."):
            var = name.split(".", 2)[2]
            return envchain.read(self.ctx, var, *self.at(node, f"process.env.{var}"))
        if INPUT.match(name):
            return source("input", *self.at(node, name))
        return None

    def assign(self, node: Node, scope: Scope) -> Taint | None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        taint = self.expr(right, scope)
        left = unwrap(left)
        if left is None:
            return taint
        if node.type == "augmented_assignment_expression":
            taint = merge(taint, self.expr(left, scope))
        if left.type == "identifier":
            self.bind(left, right, taint, scope, declare=False)
        elif left.type in ("member_expression", "subscript_expression"):
            name = canonical(self.names.resolve(left))
            if name.startswith("process.env."):
                envchain.exported(self.ctx, name.split(".", 2)[2], taint, self.unit.path,
                                  self.ln(left), self.flow)
                return taint
            obj = unwrap(left.child_by_field_name("object"))
            prop = text(left.child_by_field_name("property"))
            if prop in ("src", "href") and (name.startswith(("location", "document.location"))
                                            or (obj is not None and (
                                                text(obj) in self.sockets
                                                or obj.type == "new_expression"))):
                self.report(taint, "network", node)
            root = obj
            while root is not None and root.type in ("member_expression",
                                                     "subscript_expression"):
                root = unwrap(root.child_by_field_name("object"))
            if root is not None and root.type == "identifier" and taint is not None:
                rname = text(root)
                scope.set(rname, merge(scope.get(rname), self.step(
                    taint, left, f"{text(left)[:40]} = {text(right)[:40]}")), declare=False)
        else:
            self.bind(left, right, taint, scope, declare=False)
        return taint

    def construct(self, node: Node, scope: Scope) -> Taint | None:
        name = canonical(self.names.resolve(node.child_by_field_name("constructor")))
        args = arguments(node)
        taints = [self.expr(a, scope) for a in args]
        sink = sink_of(name)
        if sink == "exec":
            self.report(merge(*taints), "exec", node)
        elif sink == "network":
            self.report(merge(*taints), "network", node)
        return merge(*taints)

    # -- calls ---------------------------------------------------------------------------------
    def call(self, node: Node, scope: Scope) -> Taint | None:
        func = unwrap(node.child_by_field_name("function"))
        args = arguments(node)
        if func is not None and func.type in FUNCTIONS:  # (() => {...})()
            return self.invoke(func, [self.expr(a, scope) for a in args], scope)
        name = canonical(self.names.resolve(func))
        called = None
        if func is not None and func.type not in ("identifier", "member_expression",
                                                  "subscript_expression", "import"):
            called = self.expr(func, scope)  # new Function(code)(), f(a)(b)
        receiver_node = unwrap(func.child_by_field_name("object")) \
            if func is not None and func.type == "member_expression" else None
        receiver = self.expr(receiver_node, scope) if receiver_node is not None else None
        method = text(func.child_by_field_name("property")) if receiver_node is not None else ""
        taints = [None if unwrap(a) is not None and unwrap(a).type in FUNCTIONS  # type: ignore[union-attr]
                  else self.expr(a, scope) for a in args]
        result = self.effects(node, name, args, taints, scope)
        if receiver_node is not None and method in SOCKET_SENDS and (
                text(receiver_node) in self.sockets or _socket_call(receiver_node, self.names)):
            self.report(merge(*taints), "network", node)
        # what the call returns
        if result is None:
            if name in REMOTE:
                result = source("remote", *self.at(node, text(node)[:80]))
            elif READ.match(name):
                result = self.read_source(node, args, scope)
            elif name in self.functions and func is not None and func.type == "identifier":
                result = self.invoke(self.functions[name], taints, scope)
            elif receiver_node is not None and self.method(receiver_node, method) is not None:
                result = self.invoke(self.method(receiver_node, method), taints,  # type: ignore[arg-type]
                                     scope)
            elif method == "toString" and receiver is not None and taints and \
                    string_value(args[0]) in ("base64", "hex", "base64url"):
                result = self.step(receiver, node, f"encodes: {text(node)[:80]}", encoded=True)
            elif name in ENCODE and merge(*taints) is not None:
                result = self.step(merge(*taints), node, f"encodes: {text(node)[:80]}",
                                   encoded=True)
            elif name in DECODE and self.decodes(name, args):
                result = (merge(*taints) or Taint(frozenset(), ())).then(
                    *self.at(node, f"decodes: {text(node)[:80]}"), kinds=frozenset({"decoded"}))
            elif sink_of(name) == "network":
                result = None
            else:
                result = merge(receiver, called, *taints)
        # callbacks: fs.readFile(p, (err, data) => ...), fetch(u).then(r => ...)
        for arg in args:
            fn = unwrap(arg)
            if fn is None or fn.type not in FUNCTIONS:
                continue
            if method == "then" and require_target(receiver_node) and params(fn):
                # import('child_process').then(({ exec }) => ...): the module's names
                self.names.bind(params(fn)[0], receiver_node)
            if READ.match(name):
                given = [None, result]
            elif name in REMOTE or name in SOCKETS:
                given = [source("remote", *self.at(node, text(node)[:80]))]
            elif method in _CALLBACK_RECEIVER:
                given = [receiver]
            else:
                given = []
            back = self.invoke(fn, given, scope)
            if method in ("then", "map", "flatMap", "reduce", "filter") and receiver is not None:
                result = merge(back, receiver) if method != "then" else (back or receiver)
        return result

    def method(self, receiver: Node, method: str) -> Node | None:
        """The in-file method a call like ``up.send(x)`` or ``new Up().send(x)`` runs."""
        if receiver.type == "identifier":
            cls = self.instances.get(text(receiver), "")
        elif receiver.type == "new_expression":
            cls = text(receiver.child_by_field_name("constructor"))
        else:
            return None
        return self.classes.get(cls, {}).get(method)

    def decodes(self, name: str, args: list[Node]) -> bool:
        if name != "Buffer.from":
            return True
        return len(args) > 1 and string_value(args[1]) in ("base64", "hex", "base64url")

    def read_source(self, node: Node, args: list[Node], scope: Scope) -> Taint | None:
        where = self.static(args[0], scope) if args else None
        if not where:
            return merge(*(self.expr(a, scope) for a in args[:1]))
        kind = self.ctx.path_kind(where)
        found = source(kind, *self.at(node, f"reads {where}")) if kind else \
            source("file-read", *self.at(node, f"reads {where}"))
        staged = self.ctx.file_taint(where)
        return merge(found, staged.then(*self.at(node, f"reads {where}")) if staged else None)

    def effects(self, node: Node, name: str, args: list[Node], taints: list[Taint | None],
                scope: Scope) -> Taint | None:
        """Report the sinks a call is; the call's value when the sink decides it."""
        sink = sink_of(name)
        if not sink:
            if COPY.match(name) and len(args) > 1:
                src, dst = self.static(args[0], scope), self.static(args[1], scope)
                kind = self.ctx.path_kind(src or "")
                if kind and dst:
                    self.ctx.wrote(dst, source(kind, *self.at(node, f"copies {src}")),
                                   self.flow)
            return None
        if sink == "exec":
            self.exec_sink(node, name, args, taints, scope)
        elif sink == "network":
            body, header = self.split_request(args, taints, scope)
            self.report(body, "network", node)
            self.report(header, "header", node)
            return source("remote", *self.at(node, text(node)[:80])) if name in REMOTE else None
        elif sink == "dns":
            self.report(merge(*taints), "dns", node)
        elif sink == "write" and args:
            where = self.static(args[0], scope) or ""
            data = merge(*taints[1:2])
            if self.ctx.memory.search(where or text(args[0])):
                self.report(data, "memory-write", node)
            if data is not None and where:
                self.ctx.wrote(where, data.then(*self.at(node, f"writes {where}")), self.flow)
        return None

    def exec_sink(self, node: Node, name: str, args: list[Node], taints: list[Taint | None],
                  scope: Scope) -> None:
        if not args:
            return
        first = unwrap(args[0])
        if name in ("setTimeout", "setInterval") and first is not None and \
                first.type in FUNCTIONS | {"identifier"}:
            return
        if name == "require" and string_value(first) is not None:
            return
        if name in ARGV_EXEC:
            prog = string_value(first)
            if prog is not None:
                base = prog.rsplit("/", 1)[-1]
                rest = merge(*taints[1:2])
                words = " ".join(self.static(a, scope) or "*" for a in args[:2])
                if base in _SHELLS:
                    self.report(rest, "exec", node)
                self.command_sinks(node, words, rest)
                return
        taint = merge(*taints)
        self.report(taint, "exec", node)
        command = self.static(args[0], scope)
        if command is not None and name.startswith("child_process"):
            self.command_sinks(node, command, taint)
            if string_value(first) is not None:
                self.shell_literal(node, command)

    def command_sinks(self, node: Node, command: str, taint: Taint | None) -> None:
        """A shell command line built in JS: tainted data given to curl/dig is sent out."""
        if _NET_CMD.search(" " + command):
            self.report(taint, "network", node)
        if _DNS_CMD.search(" " + command + " "):
            self.report(taint, "dns", node)

    def shell_literal(self, node: Node, command: str) -> None:
        sub = TextUnit(self.unit.path, command, "shell", line_offset=self.ln(node) - 1,
                       flow=self.flow, origin=self.unit.origin)
        for hit in shell_flows(sub, self.ctx):
            key = (hit.rule, hit.line or 0)
            if key not in self.seen:
                self.seen.add(key)
                self.hits.append(hit)

    def split_request(self, args: list[Node], taints: list[Taint | None], scope: Scope
                      ) -> tuple[Taint | None, Taint | None]:
        """(body, auth headers) of a request's arguments."""
        body: list[Taint | None] = []
        header: list[Taint | None] = []
        for arg, taint in zip(args, taints, strict=False):
            obj = unwrap(arg)
            if obj is None or obj.type != "object":
                body.append(taint)
                continue
            for key, value in pairs(obj):
                if key.lower() in ("headers", "auth", "authorization"):
                    header.append(self.expr(value, scope))
                else:
                    body.append(self.expr(value, scope))
        return merge(*body), merge(*header)

    def invoke(self, func: Node, given: list[Taint | None], scope: Scope) -> Taint | None:
        """Analyse a function body with its parameters bound to ``given`` taints."""
        key = (id(func), tuple(t.kinds if t else None for t in given))
        if key in self.memo or self.depth >= MAX_INLINE_DEPTH:
            return self.memo.get(key)
        self.memo[key] = None
        self.analyzed.add(id(func))
        inner = Scope(self.top if func.type == "function_declaration" else scope)
        for pattern, taint in zip(params(func), given, strict=False):
            self.bind(pattern, None, self.step(taint, pattern, f"argument {text(pattern)}")
                      if taint else None, inner, declare=True)
        self.depth += 1
        self.returns.append(None)
        try:
            body = func.child_by_field_name("body")
            if body is None:
                result = None
            elif body.type == "statement_block":
                self.block(body, inner)
                result = self.returns[-1]
            else:
                result = merge(self.expr(body, inner), self.returns[-1])
        finally:
            self.returns.pop()
            self.depth -= 1
        self.memo[key] = result
        return result

    # -- driver --------------------------------------------------------------------------------
    def prepare(self, root: Node) -> None:
        """Imports, requires and named functions anywhere in the file (hoisting)."""
        stack = [root]
        while stack:
            node = stack.pop()
            if node.type == "import_statement":
                self.names.imports(node)
            elif node.type == "variable_declarator":
                value = unwrap(node.child_by_field_name("value"))
                pattern = node.child_by_field_name("name")
                self.names.bind(pattern, value)
                if value is not None and value.type in FUNCTIONS and pattern is not None \
                        and pattern.type == "identifier":
                    self.functions.setdefault(text(pattern), value)
            elif node.type in ("class_declaration", "class"):
                cname = node.child_by_field_name("name")
                body = node.child_by_field_name("body")
                if cname is not None and body is not None:
                    self.classes[text(cname)] = {
                        text(m.child_by_field_name("name")): m for m in body.named_children
                        if m.type == "method_definition"}
            elif node.type in ("function_declaration", "generator_function_declaration"):
                fname = node.child_by_field_name("name")
                if fname is not None:
                    self.functions.setdefault(text(fname), node)
            stack.extend(node.named_children)

    def run(self, root: Node) -> None:
        self.prepare(root)
        self.block(root, self.top)
        # functions nothing called (exports, methods, handlers): analyse them on their own
        stack = [root]
        while stack:
            node = stack.pop()
            if node.type in FUNCTIONS and id(node) not in self.analyzed:
                self.invoke(node, [], self.top)
            stack.extend(node.named_children)


def _socket_call(node: Node, names: Names) -> bool:
    """``https.request({...})`` used directly: ``https.request(o).end(data)``."""
    if node.type not in ("call_expression", "new_expression"):
        return False
    callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
    return canonical(names.resolve(callee)) in SOCKETS or dotted(callee) in SOCKETS


def js_flows(unit: TextUnit, ctx: FlowContext) -> list[Hit]:
    """Flow findings for one JavaScript/TypeScript file or code block."""
    if not ctx.files and not (TRIGGER_SOURCE.search(unit.text)
                              and TRIGGER_SINK.search(unit.text)):
        return []  # no source or no sink: no flow can be found here
    tree = parse_js(unit.text, unit.path)
    analyzer = JsFlow(unit, ctx)
    analyzer.run(tree.root_node)
    return analyzer.hits
