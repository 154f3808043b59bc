"""Python data flow on the ``ast``: taint from sources (credential files, the environment,
agent memory, user input, decoded literals, downloads) through variables, f-strings, joins,
containers, loops, ``with`` blocks and the skill's own helper functions, to sinks (network,
DNS, exec, shells, SQL, paths, agent files). Each finding carries the trace."""

from __future__ import annotations

import ast
import re
import warnings
from typing import Any

from . import envchain
from .content import TextUnit
from .flow import TOKEN_CLI, FlowContext, Taint, merge, normalize_path, sink_hits, source
from .model import Hit, clip
from .rules import RuleSet

DOTENV = "dotenv"  # marks the dict of dotenv_values(): a subscript reads one named value

MAX_INLINE_DEPTH = 3
NET_SEND = {"post", "put", "patch", "request", "urlopen", "Request", "send", "sendall",
            "sendto", "sendmail", "send_message", "get", "head", "delete", "upload_file",
            "create_connection", "connect", "stream", "fetch"}
DNS_CALLS = {"socket.gethostbyname", "socket.gethostbyname_ex", "socket.getaddrinfo",
             "dns.resolver.resolve", "dns.resolver.query", "dns.resolver.Resolver.resolve"}
SQL_METHODS = {"execute", "executemany", "executescript", "read_sql", "read_sql_query", "raw"}
SANITIZERS = {"os.path.realpath", "os.path.abspath", "os.path.basename", "os.path.normpath",
              "resolve", "secure_filename", "shlex.quote", "int", "float", "len", "bool",
              "ast.literal_eval", "html.escape", "hash", "hashlib.sha256", "hashlib.md5"}
# what hides data on the way out (json, URL quoting and .encode() only format it)
ENCODERS = {"b64encode", "urlsafe_b64encode", "b32encode", "b16encode", "hexlify", "hex",
            "compress", "a85encode", "b85encode"}
FORMATTERS = {"dumps", "quote", "quote_plus", "urlencode", "encode"}
INPUT_NAMES = {"input", "sys.argv", "sys.stdin", "sys.stdin.read", "sys.stdin.readline",
               "sys.stdin.readlines", "raw_input", "request.args", "request.form",
               "request.json", "request.get_json", "request.data", "request.values",
               "flask.request.args", "flask.request.form", "flask.request.json"}
ENV_WHOLE = {"os.environ", "os.environ.copy", "os.environ.items", "os.environ.values",
             "os.environ.keys", "environ", "os.environb"}
PATH_BUILDERS = {"os.path.join", "os.path.expanduser", "os.path.expandvars", "pathlib.Path",
                 "Path", "pathlib.PurePath", "str", "os.fspath", "joinpath", "expanduser"}
HOME_CALLS = {"pathlib.Path.home", "Path.home", "os.path.expanduser"}


DESTROY = re.compile(r"^(?:~|/|/(?:etc|usr|var|bin|boot|lib|home|root|opt)(?:/[\w.-]+)?|"
                     r"~/\.(?:ssh|aws|gnupg|kube|config|docker)|~/(?:Documents|Desktop|Library)"
                     r"|\.git)$")


class _Scope:
    def __init__(self, parent: _Scope | None = None) -> None:
        self.taint: dict[str, Taint] = {}
        self.const: dict[str, str] = {}
        self.parent = parent

    def get(self, name: str) -> Taint | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.taint:
                return scope.taint[name]
            scope = scope.parent
        return None

    def get_const(self, name: str) -> str | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.const:
                return scope.const[name]
            scope = scope.parent
        return None


class PyFlow:
    def __init__(self, unit: TextUnit, ctx: FlowContext, rules: RuleSet) -> None:
        self.unit = unit
        self.ctx = ctx
        self.flow = unit.flow or unit.path
        self.aliases: dict[str, str] = {}
        self.hits: list[Hit] = []
        self.seen: set[tuple[str, int]] = set()
        self.netobj: set[str] = set()
        self.handles: dict[str, str] = {}  # name -> path written through this handle
        self.depth = 0
        self.memo: dict[tuple[str, frozenset[int]], Taint | None] = {}
        self._lines: list[str] | None = None
        self._lines_of: TextUnit | None = None
        cfg = rules.python
        self.network = tuple(cfg["network_modules"])
        self.decode = set(cfg["decode_calls"])
        self.exec_calls = set(cfg["exec_calls"])
        self.process = set(cfg["process_calls"])
        self.shell_calls = set(cfg["shell_string_calls"])

    # -- names ------------------------------------------------------------------------------
    def line(self, node: ast.AST) -> int:
        return getattr(node, "lineno", 1) + self.unit.line_offset

    def text(self, node: ast.AST) -> str:
        """The node's source (its first line), cheaply."""
        lineno = getattr(node, "lineno", None)
        if lineno is None:
            return type(node).__name__
        if self._lines is None or self._lines_of is not self.unit:
            self._lines, self._lines_of = self.unit.text.split("\n"), self.unit
        if not 0 < lineno <= len(self._lines):
            return type(node).__name__
        line = self._lines[lineno - 1]
        start = getattr(node, "col_offset", 0) or 0
        end = getattr(node, "end_col_offset", None)
        same = getattr(node, "end_lineno", lineno) == lineno
        piece = line.encode()[start:end if same else None].decode("utf-8", "replace")
        return clip(piece or type(node).__name__, 100)

    def resolve(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else node.attr
        if isinstance(node, ast.Call):
            return self.resolve(node.func)
        return ""

    def is_network(self, name: str) -> bool:
        return any(name == m or name.startswith(m + ".") for m in self.network)

    # -- static strings (paths) ----------------------------------------------------------------
    def static(self, node: ast.AST | None, scope: _Scope) -> str:
        """A best-effort string value: constants, f-strings, joins, Path / and expanduser."""
        if node is None:
            return ""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return scope.get_const(node.id) or ""
        if isinstance(node, ast.JoinedStr):
            return "".join(self.static(v.value if isinstance(v, ast.FormattedValue) else v,
                                       scope) for v in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Div):
            left, right = self.static(node.left, scope), self.static(node.right, scope)
            sep = "/" if isinstance(node.op, ast.Div) and left and right else ""
            return left + sep + right
        if isinstance(node, ast.Call):
            name = self.resolve(node.func)
            if name in HOME_CALLS and not node.args:
                return "~"
            short = name.rsplit(".", 1)[-1]
            if name in PATH_BUILDERS or short in ("join", "joinpath", "expanduser", "Path"):
                parts = [self.static(a, scope) for a in node.args]
                if isinstance(node.func, ast.Attribute) and short in ("joinpath", "expanduser"):
                    parts.insert(0, self.static(node.func.value, scope))
                return "/".join(p for p in parts if p)
        return ""

    # -- expressions -------------------------------------------------------------------------
    def taint(self, node: ast.AST | None, scope: _Scope) -> Taint | None:
        if node is None:
            return None
        self.ctx.budget.tick()
        if isinstance(node, ast.Name):
            found = scope.get(node.id)
            if found is None and self.resolve(node) in ENV_WHOLE:
                return source("env-dump", self.unit.path, self.line(node), "os.environ")
            return found
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, ast.Attribute):
            name = self.resolve(node)
            if name in INPUT_NAMES:
                return source("input", self.unit.path, self.line(node), name)
            if name in ENV_WHOLE:
                return source("env-dump", self.unit.path, self.line(node), name)
            return self.taint(node.value, scope)
        if isinstance(node, ast.Subscript):
            name = self.resolve(node.value)
            if name in ("os.environ", "environ"):
                key = self.static(node.slice, scope)
                return envchain.read(self.ctx, key, self.unit.path, self.line(node),
                                     f"${key}") if key else None
            whole = self.taint(node.value, scope)
            if whole is not None and DOTENV in whole.kinds:
                key = self.static(node.slice, scope)
                return envchain.read(self.ctx, key, self.unit.path, self.line(node),
                                     f"${key}") if key else None
            return merge(whole, self.taint(node.slice, scope))
        if isinstance(node, ast.JoinedStr | ast.BinOp):
            found = merge(*(self.taint(c, scope) for c in ast.iter_child_nodes(node)))
            if found is not None and isinstance(node, ast.JoinedStr | ast.BinOp):
                found = found.then(self.unit.path, self.line(node), f"string built: "
                                   f"{self.text(node)}", kinds=frozenset({"built"}))
            return found
        if isinstance(node, ast.Lambda):
            return None
        if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp):
            inner = _Scope(scope)
            for gen in node.generators:
                found = self.taint(gen.iter, inner)
                for target in _names(gen.target):
                    if found is not None:
                        inner.taint[target] = found
            parts = [getattr(node, "elt", None), getattr(node, "key", None),
                     getattr(node, "value", None)]
            return merge(*(self.taint(p, inner) for p in parts if p is not None))
        return merge(*(self.taint(c, scope) for c in ast.iter_child_nodes(node)
                       if isinstance(c, ast.expr)))

    def call(self, node: ast.Call, scope: _Scope) -> Taint | None:
        name = self.resolve(node.func)
        short = name.rsplit(".", 1)[-1]
        line = self.line(node)
        path = self.unit.path
        args = [*node.args, *(k.value for k in node.keywords)]
        arg_taints = [self.taint(a, scope) for a in args]
        receiver = self.taint(node.func.value, scope) if isinstance(node.func, ast.Attribute) \
            else None
        combined = merge(*arg_taints, receiver)
        self.sinks(node, name, short, scope, arg_taints, receiver)
        # sources
        if name in INPUT_NAMES or name.endswith("parse_args"):
            return source("input", path, line, self.text(node))
        if name in ENV_WHOLE or (name == "dict" and any(
                self.resolve(a) in ENV_WHOLE for a in node.args)):
            return source("env-dump", path, line, self.text(node))
        if name in ("os.getenv", "os.environ.get", "environ.get"):
            key = self.static(node.args[0] if node.args else None, scope)
            return envchain.read(self.ctx, key, path, line, f"${key}") if key else None
        if name in ("os.putenv", "os.environ.setdefault") and len(node.args) > 1:
            key = self.static(node.args[0], scope)
            envchain.exported(self.ctx, key, arg_taints[1], path, line, self.flow)
        elif name == "os.environ.update":
            for kw in node.keywords:
                if kw.arg:
                    envchain.exported(self.ctx, kw.arg, self.taint(kw.value, scope), path,
                                      line, self.flow)
            if node.args and isinstance(node.args[0], ast.Dict):
                for k, v in zip(node.args[0].keys, node.args[0].values, strict=False):
                    key = self.static(k, scope) if k is not None else ""
                    envchain.exported(self.ctx, key, self.taint(v, scope), path, line,
                                      self.flow)
        if short in ("check_output", "getoutput", "getstatusoutput", "run", "Popen") and \
                name.startswith("subprocess") and node.args:
            first = node.args[0]
            words = [self.static(e, scope) for e in first.elts] if isinstance(
                first, ast.List | ast.Tuple) else [self.static(first, scope)]
            if TOKEN_CLI.search(" ".join(w or "" for w in words)):
                return source("secret-file", path, line, f"runs {self.text(node)}")
        if short == "dotenv_values" and name.split(".")[0] in ("dotenv", short):
            # every value of the project's .env: a dump, narrowed again by cfg["NAME"]
            where = self.static(node.args[0], scope) if node.args else ".env"
            if self.ctx.path_kind(where or ".env") == "secret-env":
                return Taint(frozenset({"env-dump", DOTENV}), ((path, line,
                                                               f"reads {where or '.env'}"),))
        if short == "get" and receiver is not None and DOTENV in receiver.kinds and node.args:
            key = self.static(node.args[0], scope)
            return envchain.read(self.ctx, key, path, line, f"${key}") if key else None
        if name in ("open", "io.open", "codecs.open") or short in (
                "read_text", "read_bytes", "open") and isinstance(node.func, ast.Attribute):
            target = node.args[0] if node.args and name in ("open", "io.open", "codecs.open") \
                else (node.func.value if isinstance(node.func, ast.Attribute) else None)
            where = self.static(target, scope)
            kind = self.ctx.path_kind(where)
            if kind:
                return source(kind, path, line, f"reads {where}")
            staged = self.ctx.file_taint(where) if where else None
            if staged is not None:
                return staged.then(path, line, f"reads {where}")
            return combined
        if name in ("glob.glob", "glob.iglob") or short in ("glob", "rglob", "iglob"):
            where = self.static(node.args[0] if node.args else None, scope)
            staged = self.ctx.file_taint(where) if where else None
            if staged is not None:
                return staged.then(path, line, f"lists {where}")
            kind = self.ctx.path_kind(where)
            return source(kind, path, line, f"lists {where}") if kind else combined
        if name in self.decode or short in ("b64decode", "b32decode", "unhexlify", "fromhex",
                                            "decompress", "a85decode", "b85decode"):
            base = combined or Taint(frozenset(), ())
            return base.then(path, line, f"decodes: {self.text(node)}",
                             kinds=frozenset({"decoded"}))
        if self.is_network(name) and short in ("get", "urlopen", "request", "read", "text",
                                                "content", "json") and not self.ctx.trusted_url(
                                                    self.text(node)):
            return source("remote", path, line, f"downloads: {self.text(node)}")
        if name in SANITIZERS or short in SANITIZERS:
            return combined.without(frozenset({"input"})) if combined else None
        local = self.ctx.functions.get(name) or self.ctx.functions.get(short)
        if isinstance(local, tuple):
            func, unit = local
            saved, self.unit = self.unit, unit
            try:
                returned = self.inline(func, node, arg_taints, scope)
            finally:
                self.unit = saved
            if returned is not None:
                return returned.then(path, line, f"returned by {func.name}()")
        if combined is not None:
            encoded = short in ENCODERS or short in FORMATTERS
            if encoded or short in ("join", "format", "replace", "strip", "read", "decode",
                                    "readlines", "readline", "load", "loads"):
                return combined.then(path, line, f"{short}: {self.text(node)}",
                                     encoded=short in ENCODERS,
                                     kinds=frozenset({"built"}) if short in (
                                         "join", "format") else frozenset())
        return combined

    def inline(self, func: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call,
               arg_taints: list[Taint | None], scope: _Scope) -> Taint | None:
        key = (func.name, frozenset(i for i, t in enumerate(arg_taints) if t is not None))
        if key in self.memo or self.depth >= MAX_INLINE_DEPTH:
            return self.memo.get(key)
        self.memo[key] = None
        inner = _Scope(self.module)
        params = [a.arg for a in func.args.args]
        for i, taint in enumerate(arg_taints[:len(call.args)]):
            if taint is not None and i < len(params):
                inner.taint[params[i]] = taint.then(self.unit.path, self.line(call),
                                                    f"passed to {func.name}({params[i]})")
        for kw, taint in zip(call.keywords, arg_taints[len(call.args):], strict=False):
            if taint is not None and kw.arg:
                inner.taint[kw.arg] = taint
        self.depth += 1
        try:
            returned = self.block(func.body, inner)
        finally:
            self.depth -= 1
        self.memo[key] = returned
        return returned

    # -- sinks -------------------------------------------------------------------------------
    def report(self, taint: Taint | None, sink: str, node: ast.AST) -> None:
        if taint is None:
            return
        envchain.note_sink(self.ctx, taint, sink, self.flow)
        for hit in sink_hits(taint, sink, self.unit.path, self.line(node), self.text(node),
                             self.flow):
            key = (hit.rule, hit.line or 0)
            if key not in self.seen:
                self.seen.add(key)
                self.hits.append(hit)

    def sinks(self, node: ast.Call, name: str, short: str, scope: _Scope,
              arg_taints: list[Taint | None], receiver: Taint | None) -> None:
        kw_taint = {k.arg: t for k, t in zip(node.keywords, arg_taints[len(node.args):],
                                              strict=False)}
        positional = merge(*arg_taints[:len(node.args)])
        body = merge(positional, *(t for k, t in kw_taint.items()
                                   if k not in ("headers", "auth", "timeout", "verify")))
        header = merge(kw_taint.get("headers"), kw_taint.get("auth"))
        base = self.resolve(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        if name in DNS_CALLS:
            self.report(merge(*arg_taints), "dns", node)
        elif (self.is_network(name) and short in NET_SEND) or (
                base in self.netobj and short in NET_SEND) or short in ("sendall", "sendto",
                                                                         "sendmail"):
            self.report(body, "network", node)
            self.report(header, "header", node)
            self._files_sent(node, scope)
        if name in self.exec_calls or self.aliases.get(name) in self.exec_calls:
            self.report(merge(*arg_taints), "exec", node)
        if name in self.process:
            shell = name in self.shell_calls or any(
                k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value
                for k in node.keywords)
            first = arg_taints[0] if arg_taints else None
            if shell:
                self.report(first, "shell-string", node)
            elif first is not None and first.kinds & {"decoded", "remote"}:
                self.report(first, "exec", node)
        if short in SQL_METHODS and isinstance(node.func, ast.Attribute):
            self.report(arg_taints[0] if arg_taints else None, "sql", node)
        if name in ("open", "io.open") and node.args and _mode(node) == "r":
            first = arg_taints[0]
            if first is not None and "input" in first.kinds and isinstance(
                    node.args[0], ast.Call | ast.BinOp | ast.JoinedStr):
                self.report(first, "path", node)
        if short in ("write", "write_text", "write_bytes", "dump", "writelines"):
            self._write(node, name, short, scope, arg_taints, receiver)
        if name in ("shutil.rmtree", "os.removedirs", "send2trash.send2trash") and node.args:
            where = normalize_path(self.static(node.args[0], scope))
            if DESTROY.match(where):
                self.hits.append(Hit("py-destructive", self.unit.path, self.line(node),
                                     self.text(node), flow=self.flow))
        if name in ("shutil.copy", "shutil.copyfile", "shutil.copy2") and len(node.args) >= 2:
            src = self.static(node.args[0], scope)
            dst = self.static(node.args[1], scope)
            kind = self.ctx.path_kind(src)
            if kind and dst:
                taint = source(kind, self.unit.path, self.line(node), f"copies {src}")
                self.ctx.wrote(dst + ("/" + src.rsplit("/", 1)[-1] if dst.endswith("/")
                                      else ""), taint, self.flow)

    def _files_sent(self, node: ast.Call, scope: _Scope) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and self.resolve(sub.func) == "open" and sub.args:
                where = self.static(sub.args[0], scope)
                if where:
                    self.ctx.sent(where, self.flow)
                elif isinstance(sub.args[0], ast.Name):
                    origin = scope.get_const("__glob__" + sub.args[0].id)
                    if origin:
                        self.ctx.sent(origin, self.flow)

    def _write(self, node: ast.Call, name: str, short: str, scope: _Scope,
               arg_taints: list[Taint | None], receiver: Taint | None) -> None:
        data = arg_taints[0] if arg_taints else None
        if short in ("write_text", "write_bytes") and isinstance(node.func, ast.Attribute):
            where = self.static(node.func.value, scope)
        elif short == "dump" and len(node.args) >= 2:
            where = self.handles.get(self.resolve(node.args[1]), "")
        else:
            where = self.handles.get(self.resolve(node.func.value), "") if isinstance(
                node.func, ast.Attribute) else ""
        if not where:
            return
        if self.ctx.memory.search(where):
            self.report(data, "memory-write", node)
        if data is not None:
            self.ctx.wrote(where, data.then(self.unit.path, self.line(node), f"writes {where}"),
                           self.flow)

    # -- statements --------------------------------------------------------------------------
    def block(self, body: list[ast.stmt], scope: _Scope) -> Taint | None:
        returned = None
        for stmt in body:
            returned = merge(returned, self.stmt(stmt, scope))
        return returned

    def assign(self, target: ast.AST, value: ast.AST | None, taint: Taint | None,
               scope: _Scope) -> None:
        if isinstance(target, ast.Subscript) and self.resolve(target.value) in (
                "os.environ", "environ"):
            key = self.static(target.slice, scope)
            if key:
                envchain.exported(self.ctx, key, taint, self.unit.path, self.line(target),
                                  self.flow)
        for name in _names(target):
            if taint is not None:
                scope.taint[name] = taint.then(self.unit.path, self.line(target),
                                               f"{name} = {self.text(value) if value else ''}")
            else:
                scope.taint.pop(name, None)
            const = self.static(value, scope) if value is not None else ""
            if const:
                scope.const[name] = const
            if value is not None:
                called = self.resolve(value)
                if isinstance(value, ast.Call) and (self.is_network(called) or called in (
                        "socket.socket", "smtplib.SMTP", "smtplib.SMTP_SSL")):
                    self.netobj.add(name)
                if isinstance(value, ast.Name | ast.Attribute) and called in self.exec_calls:
                    self.aliases[name] = called
                if isinstance(value, ast.Call) and called in ("glob.glob", "glob.iglob"):
                    scope.const["__glob__" + name] = self.static(
                        value.args[0] if value.args else None, scope)

    def stmt(self, node: ast.stmt, scope: _Scope) -> Taint | None:
        self.ctx.budget.tick()
        if isinstance(node, ast.Assign):
            taint = self.taint(node.value, scope)
            for target in node.targets:
                self.assign(target, node.value, taint, scope)
        elif isinstance(node, ast.AugAssign):
            taint = merge(self.taint(node.value, scope), self.taint(node.target, scope))
            self.assign(node.target, node.value, taint, scope)
        elif isinstance(node, ast.AnnAssign):
            self.assign(node.target, node.value, self.taint(node.value, scope), scope)
        elif isinstance(node, ast.Return):
            return self.taint(node.value, scope)
        elif isinstance(node, ast.Expr):
            self.taint(node.value, scope)
        elif isinstance(node, ast.For | ast.AsyncFor):
            taint = self.taint(node.iter, scope)
            iter_glob = self.resolve(node.iter) in ("glob.glob", "glob.iglob") and isinstance(
                node.iter, ast.Call)
            for _ in range(2):  # twice, so taint set late in the loop reaches its start
                self.assign(node.target, None, taint, scope)
                if iter_glob:
                    for name in _names(node.target):
                        scope.const["__glob__" + name] = self.static(
                            node.iter.args[0] if node.iter.args else None, scope)
                returned = self.block(node.body, scope)
            return merge(returned, self.block(node.orelse, scope))
        elif isinstance(node, ast.While):
            self.taint(node.test, scope)
            returned = merge(self.block(node.body, scope), self.block(node.body, scope))
            return merge(returned, self.block(node.orelse, scope))
        elif isinstance(node, ast.If):
            self.taint(node.test, scope)
            return merge(self.block(node.body, scope), self.block(node.orelse, scope))
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                taint = self.taint(item.context_expr, scope)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, None, taint, scope)
                    expr = item.context_expr
                    if isinstance(expr, ast.Call) and self.resolve(expr.func) in (
                            "open", "io.open") and expr.args and _mode(expr) in "wa":
                        for name in _names(item.optional_vars):
                            self.handles[name] = self.static(expr.args[0], scope)
            return self.block(node.body, scope)
        elif isinstance(node, ast.Try):
            returned = self.block(node.body, scope)
            for handler in node.handlers:
                returned = merge(returned, self.block(handler.body, scope))
            return merge(returned, self.block(node.orelse, scope),
                         self.block(node.finalbody, scope))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module or ''}.{alias.name}"
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return None
        return None

    def run(self, tree: ast.Module) -> None:
        self.module = _Scope()
        register_functions(tree, self.ctx, self.unit)
        self.block(tree.body, self.module)
        for node in ast.walk(tree):  # every function once on its own, parameters clean
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.inline(node, ast.Call(func=ast.Name(node.name), args=[], keywords=[]),
                            [], self.module)


def _names(target: ast.AST | None) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for e in target.elts for n in _names(e)]
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        return [f"{target.value.id}.{target.attr}"]
    if isinstance(target, ast.Starred):
        return _names(target.value)
    return []


def _mode(call: ast.Call) -> str:
    mode: Any = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "mode"), None)
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return "w" if ("w" in mode.value or "x" in mode.value) else (
            "a" if "a" in mode.value else "r")
    return "r"


_PARSED: dict[str, ast.Module | None] = {}
TRIGGER = re.compile(r"open\(|read_text|read_bytes|environ|getenv|argv|input\(|stdin|decode|"
                     r"decompress|fromhex|unhexlify|requests|urllib|httpx|aiohttp|parse_args|"
                     r"request\.|glob|shutil|socket")


def parse(text: str) -> ast.Module | None:
    """Parse once per text (the pattern analyzer and the flow analyzer share the tree)."""
    if text in _PARSED:
        return _PARSED[text]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree: ast.Module | None = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if len(_PARSED) > 64:
        _PARSED.clear()
    _PARSED[text] = tree
    return tree


def register_functions(tree: ast.Module, ctx: FlowContext, unit: TextUnit) -> None:
    """Make a file's helper functions callable from the skill's other Python files."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            ctx.functions.setdefault(node.name, (node, unit))


def python_flows(unit: TextUnit, tree: ast.Module, ctx: FlowContext,
                 rules: RuleSet) -> list[Hit]:
    """Flow findings for one parsed Python unit (a file, or a code block of a document)."""
    analyzer = PyFlow(unit, ctx, rules)
    analyzer.run(tree)
    return analyzer.hits
