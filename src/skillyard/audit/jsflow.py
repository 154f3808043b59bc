"""JavaScript/TypeScript data flow, statement by statement on the source text (no parser
dependency): ``const/let/var`` bindings carry taint from sources (credential files read with
``fs``, ``process.env``, ``process.argv``, decoded buffers, downloaded text) to sinks
(``fetch``/``axios``/``http(s).request``/``sendBeacon``/WebSocket, ``eval``/``Function``/
``child_process``, ``writeFileSync`` to agent files). Template literals, concatenation,
``JSON.stringify`` and ``Buffer`` encodings pass taint along."""

from __future__ import annotations

import re

from .content import TextUnit
from .flow import FlowContext, Taint, merge, secret_env, sink_hits, source
from .model import Hit

MAX_CHARS = 256 * 1024
_STATEMENT = re.compile(r";\s*\n|\n(?=\s*(?:const|let|var|await|fetch|require|import|"
                        r"export|fs\.|\w+\s*\())")
_BIND = re.compile(r"^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*|\{[^}]*\})\s*=\s*"
                   r"(.*)$|^\s*([A-Za-z_$][\w$.]*)\s*=\s*(?!=)(.*)$", re.S)
_IDENT = re.compile(r"(?<![\w$.'\"])([A-Za-z_$][\w$]*)")
_STRINGS = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"|`([^`]*)`")
_ENV_WHOLE = re.compile(r"JSON\.stringify\(\s*process\.env\b|Object\.(?:entries|keys|values)"
                        r"\(\s*process\.env\s*\)|\.\.\.process\.env\b|\bin\s+process\.env\b")
_ENV_NAMED = re.compile(r"process\.env(?:\.([A-Za-z_]\w*)|\[\s*['\"](\w+)['\"]\s*\])")
_READ = re.compile(r"\b(?:readFileSync|readFile|createReadStream)\s*\(")
_DECODE = re.compile(r"\batob\s*\(|Buffer\.from\([^;]*?['\"](?:base64|hex|base64url)['\"]|"
                     r"String\.fromCharCode\(|decodeURIComponent\(|unescape\(")
_REMOTE = re.compile(r"\bfetch\s*\([^;]*\)\s*\)?\s*\.(?:text|json|arrayBuffer)\s*\(|"
                     r"\.then\(\s*\(?\s*\w+\s*\)?\s*=>\s*\w+\.text\(\)|axios\.get\(")
_INPUT = re.compile(r"process\.argv|readline|prompt\s*\(|req\.(?:body|query|params)")
_NET_SINK = re.compile(r"\bfetch\s*\(|\baxios(?:\.\w+)?\s*\(|\bhttps?\.(?:request|get)\s*\(|"
                       r"require\(\s*['\"]https?['\"]\s*\)\.(?:request|get)\s*\(|"
                       r"sendBeacon\s*\(|new\s+WebSocket\s*\(|\.send\s*\(|\.write\s*\(")
_EXEC_SINK = re.compile(r"\beval\s*\(|\bnew\s+Function\s*\(|\b(?:exec|execSync|spawn|"
                        r"spawnSync|execFile)\s*\(|vm\.run\w*\s*\(")
_WRITE = re.compile(r"\bwriteFileSync\s*\(\s*([^,]+),|\bappendFileSync\s*\(\s*([^,]+),")
_AUTH = re.compile(r"headers\s*:\s*\{[^}]*\}", re.S)
_THEN_EXEC = re.compile(r"fetch\s*\([^;]*\.then\([^;]*\b(?:exec|execSync|eval|Function)\s*\(",
                        re.S)


class JsFlow:
    def __init__(self, unit: TextUnit, ctx: FlowContext) -> None:
        self.unit = unit
        self.ctx = ctx
        self.flow = unit.flow or unit.path
        self.vars: dict[str, Taint] = {}
        self.consts: dict[str, str] = {}
        self.hits: list[Hit] = []
        self.line = 1

    def at(self, what: str) -> tuple[str, int, str]:
        return self.unit.path, self.line + self.unit.line_offset, what

    def static_path(self, text: str) -> str:
        """Join the string literals of an expression; os.homedir() reads as ~."""
        parts = ["~"] if re.search(r"homedir\s*\(\s*\)|process\.env\.HOME\b", text) else []
        for match in _STRINGS.finditer(text):
            value = next(g for g in match.groups() if g is not None)
            value = re.sub(r"\$\{[^}]*(?:homedir|HOME)[^}]*\}", "~", value)
            parts.append(value)
        for name in _IDENT.findall(text):
            if name in self.consts:
                parts.append(self.consts[name])
        return "/".join(p.strip("/") if i else p.rstrip("/") for i, p in enumerate(parts) if p)

    def taint(self, expr: str) -> Taint | None:
        self.ctx.budget.tick()
        found: list[Taint | None] = [self.vars[n] for n in _IDENT.findall(expr) if n in self.vars]
        if _ENV_WHOLE.search(expr):
            found.append(source("env-dump", *self.at("process.env")))
        for match in _ENV_NAMED.finditer(expr):
            name = match.group(1) or match.group(2)
            if secret_env(name):
                found.append(source("secret-env", *self.at(f"process.env.{name}")))
        if _READ.search(expr):
            where = self.static_path(expr[_READ.search(expr).end():])  # type: ignore[union-attr]
            kind = self.ctx.path_kind(where)
            if kind:
                found.append(source(kind, *self.at(f"reads {where}")))
        if _INPUT.search(expr):
            found.append(source("input", *self.at(expr[:80])))
        if _REMOTE.search(expr):
            found.append(source("remote", *self.at(expr[:80])))
        taint = merge(*found)
        if _DECODE.search(expr):
            taint = (taint or Taint(frozenset(), ())).then(*self.at(f"decodes: {expr[:80]}"),
                                                           kinds=frozenset({"decoded"}))
        elif taint is not None and (re.search(r"base64|toString\(\s*['\"]hex|btoa\(", expr) or len(
                {m.group(1) or m.group(2) for m in _ENV_NAMED.finditer(expr)
                 if secret_env(m.group(1) or m.group(2))}) >= 2):
            # encoded, or several unrelated secrets gathered into one value
            taint = taint.then(*self.at(f"encodes: {expr[:80]}"), encoded=True)
        return taint

    def report(self, taint: Taint | None, sink: str, evidence: str) -> None:
        if taint is None:
            return
        self.hits.extend(sink_hits(taint, sink, self.unit.path, self.line + self.unit.line_offset,
                                   evidence, self.flow))

    def statement(self, stmt: str) -> None:
        bind = _BIND.match(stmt)
        value = (bind.group(2) if bind.group(1) else bind.group(4)) if bind else stmt
        taint = self.taint(value)
        if _NET_SINK.search(stmt):
            body = self.taint(_AUTH.sub("", stmt))
            self.report(body, "network", stmt)
        if _EXEC_SINK.search(stmt) and not re.search(r"\bexecFile(?:Sync)?\s*\(\s*['\"]", stmt):
            self.report(merge(taint, self.taint(stmt)), "exec", stmt)
        if _THEN_EXEC.search(stmt):
            self.report(source("remote", *self.at(stmt[:80])), "exec", stmt)
        write = _WRITE.search(stmt)
        if write:
            where = self.static_path(write.group(1) or write.group(2) or "")
            if self.ctx.memory.search(where or stmt):
                self.report(self.taint(stmt[write.end():]), "memory-write", stmt)
        if bind:
            names = re.findall(r"[A-Za-z_$][\w$]*", bind.group(1) or bind.group(3) or "")
            for name in names:
                if taint is not None:
                    self.vars[name] = taint.then(*self.at(f"{name} = {value.strip()[:60]}"))
                literal = self.static_path(value) if _STRINGS.search(value) else ""
                if literal and not _READ.search(value):
                    self.consts[name] = literal

    def run(self) -> None:
        text = self.unit.text[:MAX_CHARS]
        pos = 0
        for match in [*_STATEMENT.finditer(text), None]:
            end = match.start() if match else len(text)
            stmt = text[pos:end]
            self.line = text.count("\n", 0, pos) + 1 + (len(stmt) - len(stmt.lstrip("\n"))
                                                       and stmt[:len(stmt) - len(
                                                           stmt.lstrip())].count("\n"))
            if stmt.strip() and not stmt.lstrip().startswith("//"):
                self.statement(stmt.strip())
            pos = match.end() if match else len(text)


def js_flows(unit: TextUnit, ctx: FlowContext) -> list[Hit]:
    analyzer = JsFlow(unit, ctx)
    analyzer.run()
    return analyzer.hits
