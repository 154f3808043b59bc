"""Shell data flow: variables, command substitution, pipes, redirections, loops and here-docs.

A script is cut into simple commands (newlines, ``;``, ``&&``, ``||``); each pipeline passes
taint from stage to stage; ``VAR=$(...)`` and ``for x in ...`` bind taint to names; ``> file``,
``tee`` and ``cp`` record tainted files for the rest of the skill. Sinks: network commands
(body, URL or uploaded file), DNS look-ups, shells and interpreters fed decoded or downloaded
text, ``eval``/``-c`` strings, agent memory files.
"""

from __future__ import annotations

import re

from . import envchain
from .content import TextUnit
from .flow import TOKEN_CLI, FlowContext, Taint, merge, normalize_path, sink_hits, source
from .model import Hit

MAX_SCRIPT_CHARS = 256 * 1024
_VAR_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_ASSIGN = re.compile(r"^(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)*)?"
                     r"([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_FOR = re.compile(r"^for\s+([A-Za-z_]\w*)\s+in\s+(.*?)\s*(?:;\s*)?(?:do\b\s*(.*))?$", re.S)
_KEYWORDS = re.compile(r"^(?:then|do|else|elif|if|while|until|!|\{|\()\s+")
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
NETWORK = {"curl", "wget", "nc", "ncat", "netcat", "http", "https", "scp", "rsync", "sftp",
           "ftp", "telnet", "socat", "Invoke-WebRequest", "Invoke-RestMethod", "iwr", "irm"}
DNS = {"dig", "nslookup", "host", "drill", "resolvectl"}
SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "eval", "source", ".", "python",
          "python3", "python2", "perl", "ruby", "node", "php", "pwsh", "powershell", "iex"}
READERS = {"cat", "base64", "xxd", "gzip", "tar", "head", "tail", "openssl", "gpg", "cp",
           "strings", "od", "hexdump", "base32", "zip", "7z", "less", "more", "sqlite3",
           "jq", "awk", "sed", "grep", "cut", "tr", "type", "Get-Content", "sort"}
ENCODERS = {"base64", "base32", "xxd", "gzip", "bzip2", "xz", "od", "hexdump", "openssl",
            "gpg", "rev", "zip", "tar", "basenc"}
DECODE = re.compile(r"^(?:base64|base32|basenc)\b.*\s(?:-d|--decode|-D)\b|^xxd\b.*\s-r|"
                    r"^openssl\b.*\s-d\b|^(?:gunzip|zcat|bunzip2|xzcat)\b|^gzip\b.*\s-d\b|^rev\b")
DUMPS = re.compile(r"^(?:env|printenv|set|export\s+-p|declare\s+-x)\s*$|/proc/\S*/environ")
UPLOAD_STDIN = re.compile(r"(?:-d|--data(?:-binary|-raw|-urlencode)?|-T|--upload-file)\s*[\"']?@?-"
                          r"(?:\s|$|[\"'])|-F\s*\S+=@-|--post-file[= ]-|^n(?:c|cat|etcat)\b")
AUTH_HEADER = re.compile(r"-H\s*[\"']?(?:Authorization|X-Api-Key|Private-Token|X-Auth-Token)",
                         re.I)
FILE_ARG = re.compile(r"(?:-F\s*\S+?=@|--data(?:-binary)?\s*@|-d\s*@|-T\s*|--upload-file\s*|"
                      r"--post-file[= ])[\"']?([^\s\"']+)")


def _split(text: str, seps: tuple[str, ...]) -> list[str]:
    """Split on separators outside quotes, $(...) and backticks."""
    if not any(c in text for c in "\"'`()"):
        parts = [text]
        for sep in seps:
            parts = [p for part in parts for p in part.split(sep)]
        return [p.strip() for p in parts if p.strip()]
    out, buf = [], []
    quote = ""
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"' and i + 1 < len(text):
                buf.append(text[i:i + 2])
                i += 2
                continue
            if ch == quote:
                quote = ""
            elif ch == "$" and text[i + 1:i + 2] == "(" and quote == '"':
                depth += 1
            elif ch == ")" and depth:
                depth -= 1
            buf.append(ch)
            i += 1
            continue
        if ch in "\"'`" and not depth:
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            matched = next((s for s in seps if text.startswith(s, i)), None)
            if matched:
                out.append("".join(buf))
                buf = []
                i += len(matched)
                continue
        buf.append(ch)
        i += 1
    out.append("".join(buf))
    return [p.strip() for p in out if p.strip()]


def _substitutions(text: str) -> list[str]:
    """The bodies of $( ... ) and `...` in a word list (outermost only)."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith("$(", i) and not text.startswith("$((", i):
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            out.append(text[i + 2:j - 1])
            i = j
        elif text[i] == "`":
            j = text.find("`", i + 1)
            if j < 0:
                break
            out.append(text[i + 1:j])
            i = j + 1
        else:
            i += 1
    return out


def _runs_stdin(prog: str, words: list[str]) -> bool:
    """Whether an interpreter reads its program from standard input (no script, module or -c)."""
    if prog in ("eval", "source", ".", "iex"):
        return True
    args = words[1:]
    if any(a in ("-c", "-m", "-e", "-p", "-f", "-Command", "-File") for a in args):
        return False
    operands = [a for a in args if not a.startswith("-")]
    return not operands or operands[0] == "-" or "-s" in args


def _words(command: str) -> list[str]:
    return [w.strip("\"'") for w in command.split()]


class ShFlow:
    def __init__(self, unit: TextUnit, ctx: FlowContext) -> None:
        self.unit = unit
        self.ctx = ctx
        self.flow = unit.flow or unit.path
        self.vars: dict[str, Taint] = {}
        self.static: dict[str, str] = {}  # NAME -> literal value (paths)
        self.loops: dict[str, list[str]] = {}  # loop variable -> the paths it walks
        self.hits: list[Hit] = []
        self.seen: set[tuple[str, int]] = set()
        self.line = 1

    def report(self, taint: Taint | None, sink: str, evidence: str) -> None:
        if taint is None:
            return
        envchain.note_sink(self.ctx, taint, sink, self.flow)
        line = self.line + self.unit.line_offset
        for hit in sink_hits(taint, sink, self.unit.path, line, evidence, self.flow):
            if (hit.rule, line) not in self.seen:
                self.seen.add((hit.rule, line))
                self.hits.append(hit)

    def at(self, what: str) -> tuple[str, int, str]:
        return self.unit.path, self.line + self.unit.line_offset, what

    # -- taint of words ----------------------------------------------------------------------
    def word_taint(self, text: str) -> Taint | None:
        self.ctx.budget.tick()
        found: list[Taint | None] = []
        for name in _VAR_REF.findall(text):
            if name in self.vars:
                found.append(self.vars[name])
            else:
                found.append(envchain.read(self.ctx, name, *self.at(f"${name}")))
        for body in _substitutions(text):
            found.append(self.pipeline(body, sub=True))
        return merge(*found)

    def path_source(self, command: str, words: list[str]) -> Taint | None:
        """Reading a credential file, agent memory or a tainted file named in the command."""
        targets = [w for w in words[1:] if not w.startswith("-") or w.startswith("-in")]
        targets += re.findall(r"<\s*[\"']?([^\s\"'<>|;]+)", command)
        for target in targets:
            target = target.split("=", 1)[-1] if target.startswith("-") else target
            kind = self.ctx.path_kind(target)
            if kind:
                return source(kind, *self.at(f"reads {target}"))
            staged = self.ctx.file_taint(target) if "/" in target or "." in target else None
            if staged is not None:
                return staged.then(*self.at(f"reads {target}"))
        return None

    # -- commands --------------------------------------------------------------------------
    def pipeline(self, text: str, sub: bool = False) -> Taint | None:
        stages = _split(text, ("|",))
        flowing: Taint | None = None
        for stage in stages:
            flowing = self.command(stage, flowing, piped=len(stages) > 1)
        return flowing

    def command(self, command: str, stdin: Taint | None, piped: bool) -> Taint | None:
        command = _KEYWORDS.sub("", command.strip())
        command = re.sub(r"^(?:sudo|nohup|exec|command|time|env\s+(?:\w+=\S*\s+)+)\s+", "",
                         command)
        if not command:
            return stdin
        words = _words(command)
        prog = words[0].rsplit("/", 1)[-1] if words else ""
        args_taint = self.word_taint(command)
        out: Taint | None = None
        # sources
        core = re.sub(r"(?<![<&])\d?>>?\s*[\"']?[^\s\"';|&]+[\"']?", "", command).strip()
        if DUMPS.search(core):
            out = source("env-dump", *self.at(command))
        elif TOKEN_CLI.search(core):
            out = source("secret-file", *self.at(command))
        elif prog in READERS or command.startswith("<"):
            out = self.path_source(command, words)
        if prog in ("curl", "wget", "iwr", "irm", "Invoke-WebRequest") and not FILE_ARG.search(
                command) and not re.search(r"\s(?:-d|--data\S*|-F|--form|-T)\s", command) \
                and not self.ctx.trusted_url(command):
            out = merge(out, source("remote", *self.at(command)))
        if prog in ("echo", "printf") and re.search(r"[A-Za-z0-9+/=]{24,}", command):
            out = merge(out, Taint(frozenset(), (self.at(command[:80]),)))
        data = merge(stdin, args_taint if prog in ("echo", "printf") else None, out)
        # transforms
        if DECODE.search(command):
            data = (data or Taint(frozenset(), ())).then(*self.at(f"decodes: {command}"),
                                                        kinds=frozenset({"decoded"}))
        elif prog in ENCODERS and data is not None:
            data = data.then(*self.at(f"encodes: {command}"), encoded=True)
        # sinks
        if prog in NETWORK:
            body = merge(stdin if UPLOAD_STDIN.search(command) or prog in (
                "nc", "ncat", "netcat") else None, self._arg_taint_no_auth(command))
            for path in FILE_ARG.findall(command):
                path = self.expand(path)
                for item in self.loops.get(path.strip("$\"{}'"), [path]):
                    self.ctx.sent(item, self.flow)
                staged = self.word_taint(path) if "$" in path else self.ctx.file_taint(path)
                kind = self.ctx.path_kind(path)
                if kind:
                    staged = source(kind, *self.at(f"uploads {path}"))
                body = merge(body, staged)
            if prog in ("scp", "rsync"):
                for path in words[1:-1]:
                    if not path.startswith("-"):
                        self.ctx.sent(path, self.flow)
                        kind = self.ctx.path_kind(path)
                        body = merge(body, source(kind, *self.at(f"copies {path}")) if kind
                                     else self.ctx.file_taint(path))
            self.report(body, "network", command)
        elif prog in DNS:
            self.report(args_taint, "dns", command)
        if prog in SHELLS:
            if stdin is not None and _runs_stdin(prog, words) and not (
                    stdin.kinds == frozenset({"remote"}) and len(stdin.steps) <= 1):
                # (a plain `curl URL | sh` is the pattern rules' job: they weigh the host)
                self.report(stdin, "exec", command)
            inline = re.search(r"\s-(?:c|e)\s+(.*)$", command)
            if inline or prog in ("eval", "iex"):
                code = self.word_taint(inline.group(1) if inline else command)
                if code is not None and not (code.kinds == frozenset({"remote"})
                                             and len(code.steps) <= 1):
                    # (bash -c "$(curl URL)" is curl | bash: the pattern rules weigh the host)
                    self.report(code, "shell-string", command)
        elif words and re.match(r"^\"?\$\{?\w+", words[0] if words else "") and not \
                re.search(r"\]\]?\s*(?:;\s*then)?$", command):
            # (the second half of `[[ "$a" == x || "$b" == y ]]` is a test, not a command)
            self.report(self.word_taint(words[0]), "exec", command)
        self.redirects(command, merge(data, stdin) if prog in ("tee",) else data, words, prog)
        return data if piped else data

    def _arg_taint_no_auth(self, command: str) -> Taint | None:
        if AUTH_HEADER.search(command):
            stripped = re.sub(r"-H\s*(\"[^\"]*\"|'[^']*'|\S+)", "", command)
            taint = self.word_taint(stripped)
            header = self.word_taint(command)
            if header is not None and header.kinds & {"secret-file", "memory"}:
                self.report(header, "header", command)
            return taint
        return self.word_taint(command)

    def expand(self, text: str) -> str:
        """Substitute variables bound to literal values ($OUT, ${DIR}/x)."""
        return re.sub(r"\$\{?([A-Za-z_]\w*)\}?", lambda m: self.static.get(m.group(1), m.group(0)),
                      text)

    def redirects(self, command: str, data: Taint | None, words: list[str], prog: str) -> None:
        command = self.expand(command)
        words = [self.expand(w) for w in words]
        targets = re.findall(r"(?<![<&\d])>>?\s*[\"']?([^\s\"';|&]+)", command)
        if prog == "tee":
            targets += [w for w in words[1:] if not w.startswith("-")]
        if prog in ("cp", "mv", "install") and len(words) >= 3:
            src = [w for w in words[1:-1] if not w.startswith("-")]
            kinds = [self.ctx.path_kind(s) for s in src]
            if any(kinds):
                kind = next(k for k in kinds if k)
                data = source(kind, *self.at(f"copies {src[0]}"))
                dest = words[-1]
                name = src[0].rsplit("/", 1)[-1]
                targets.append(dest if "." in dest.rsplit("/", 1)[-1] else f"{dest}/{name}")
        if prog == "tar" and re.search(r"\s-?c\w*f\s+(\S+)", command):
            out = re.search(r"\s-?c\w*f\s+(\S+)", command).group(1)  # type: ignore[union-attr]
            members = [w for w in words[2:] if not w.startswith("-") and w != out]
            inner = merge(*(self.ctx.file_taint(m) for m in members),
                          *(source(k, *self.at(f"archives {m}")) for m in members
                            if (k := self.ctx.path_kind(m))))
            self.ctx.archives[normalize_path(out)] = members
            if inner is not None and out != "-":
                self.ctx.wrote(out, inner.then(*self.at(f"archives into {out}")), self.flow)
        for target in targets:
            target = target.strip("\"'")
            if target.startswith("/dev/") or not target:
                continue
            if self.ctx.memory.search(target):
                self.report(data, "memory-write", command)
            if data is not None:
                self.ctx.wrote(target, data.then(*self.at(f"writes {target}")), self.flow)

    def statement(self, stmt: str) -> None:
        assign = _ASSIGN.match(stmt)
        if assign and " " not in assign.group(2).strip().strip("\"'") or (
                assign and assign.group(2).lstrip().startswith(("$(", '"$(', "`", '"`'))):
            name, value = assign.group(1), assign.group(2)
            taint = self.word_taint(value)
            literal = self.expand(value.strip().strip("\"'"))
            if literal and "$(" not in literal and "`" not in literal:
                self.static[name] = literal
            kind = self.ctx.path_kind(literal) if "/" in literal else None
            if taint is not None:
                self.vars[name] = taint.then(*self.at(f"{name}={value.strip()[:60]}"))
            elif kind is None:
                self.vars.pop(name, None)
            if stmt.startswith("export"):
                envchain.exported(self.ctx, name, taint, *self.at(f"export {name}")[:2],
                                  self.flow)
            return
        bare = _BARE_EXPORT.match(stmt)
        if bare:
            for name in bare.group(1).split():
                envchain.exported(self.ctx, name, self.vars.get(name),
                                  *self.at(f"export {name}")[:2], self.flow)
            return
        loop = _FOR.match(stmt)
        if loop:
            name, items, rest = loop.group(1), loop.group(2), loop.group(3)
            items = self.expand(items)
            self.loops[name] = [i.strip("\"'") for i in items.split() if "/" in i]
            taint = self.word_taint(items)
            for item in items.split():
                staged = self.ctx.file_taint(item.strip("\"'"))
                if staged is not None:
                    self.ctx.sent(item.strip("\"'"), self.flow)
                taint = merge(taint, staged)
            if taint is not None:
                self.vars[name] = taint.then(*self.at(f"for {name} in {items[:60]}"))
            if rest:
                self.statement(rest)
            return
        for part in _split(stmt, ("&&", "||", "&")):
            self.pipeline(part)

    def run(self) -> None:
        text = self.unit.text[:MAX_SCRIPT_CHARS].replace("\\\n", " ")
        lines = text.split("\n")
        i = 0
        while i < len(lines):
            raw = lines[i]
            self.line = i + 1
            i += 1
            stripped = raw.strip()
            if not stripped or stripped.startswith("#") or stripped in ("done", "fi", "esac",
                                                                         "}", "do", "then"):
                continue
            heredoc = _HEREDOC.search(stripped)
            if heredoc:
                end = heredoc.group(1)
                body = []
                while i < len(lines) and lines[i].strip() != end:
                    body.append(lines[i])
                    i += 1
                i += 1
                head = _words(stripped)
                if head and head[0] in SHELLS:
                    for sub in body:
                        self.statement(sub.strip())
                else:
                    self.statement(stripped[:heredoc.start()])
                continue
            for stmt in _split(stripped, (";", "\n")):
                stmt = re.sub(r"^(?:do|then|else)\s+", "", stmt)
                if stmt in ("done", "fi"):
                    continue
                self.statement(stmt)


TRIGGER = re.compile(r"\b(?:env|printenv|base64|base32|xxd|openssl|gunzip|zcat|rev|"
                     r"export\s+-p|dig|nslookup|auth\s+token|print-\w+-token|configure\s+get|"
                     r"export-credentials|get-access-token|docker-credential|find-\w+-password|"
                     r"--raw|op\s+read|kv\s+get|pass\s+show)\b|\$\{?[A-Z_]*(?:KEY|TOKEN|SECRET|PASSWORD|"
                     r"PASSWD|PAT)\b|/proc/|\.ssh|\.aws|\.config/g|\.kube|\.docker|\.npmrc|"
                     r"\.pypirc|\.netrc|credentials|\.env\b|\.gnupg|MEMORY|CLAUDE|AGENTS|SOUL|"
                     r"cursorrules")
_BARE_EXPORT = re.compile(r"^export\s+([A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)*)\s*$")
# a variable given to a network command: a chain may pass a secret through it
ENV_USE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*")
# downloaded text only matters when something could run it
FETCHER = re.compile(r"\b(?:curl|wget|iwr|irm|Invoke-\w+)\b")
RUNNER = re.compile(r"\beval\b|\b(?:ba|z)?sh\s+-c|\|\s*(?:sudo\s+)?(?:ba|z)?sh\b|python\d?\s+-c|"
                    r"\bsource\b|\biex\b")


def shell_flows(unit: TextUnit, ctx: FlowContext) -> list[Hit]:
    """Flow findings for one shell script or shell code block."""
    text = unit.text
    if not ctx.files and not TRIGGER.search(text) and not (
            FETCHER.search(text) and RUNNER.search(text)) and not FILE_ARG.search(
                text) and not re.search(r"\b(?:scp|rsync)\b", text) and not (
                    ENV_USE.search(text) and (FETCHER.search(text) or re.search(
                        r"\b(?:dig|nslookup|nc|ncat)\b", text))):
        return []  # no source and nothing staged: no flow can start here
    analyzer = ShFlow(unit, ctx)
    analyzer.run()
    return analyzer.hits
