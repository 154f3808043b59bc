"""What the data-flow analyzers share: taint values with their trace, what counts as a source
(credential files, the environment, agent memory, user input, decoded or downloaded text),
the skill-wide record of files written with tainted data (so a flow split over several files
is still one flow), and how a source reaching a sink becomes a finding.

A taint is a set of kinds plus the steps that made it: ``(file, line, what happened)``. The
language analyzers (``pyflow``, ``shflow``, ``jsflow``) compute taints; ``sink_hits`` decides
which (kinds, sink) pairs are findings, so the policy is in one place.
"""

from __future__ import annotations

import fnmatch
import re
import time
from dataclasses import dataclass, field

from .model import Hit, clip

MAX_STEPS = 12
SECRET_KINDS = frozenset({"secret-file", "env-dump", "memory"})
# A named variable like GITHUB_TOKEN: legitimately sent to its own API as a header.
_SECRET_ENV = re.compile(r"(?:^|_)(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PAT|CREDENTIALS?|"
                         r"SESSION|COOKIE|PRIVATE)(?:_|$)|^AWS_|DATABASE_URL$", re.I)
_STAGING = re.compile(r"^(?:/tmp/|/var/tmp/|/dev/shm/|~/\.cache/|~/\.local/share/|\./|[\w.-]+/)")


# commands that print a stored login token or key: a source like reading the credential file
TOKEN_CLI = re.compile(
    r"^(?:gh\s+auth\s+token|glab\s+auth\s+token|gcloud\s+auth\s+(?:application-default\s+)?"
    r"print-(?:access|identity)-token|aws\s+configure\s+get\s+aws_(?:secret_access_key|"
    r"session_token)|aws\s+configure\s+export-credentials|az\s+account\s+get-access-token|"
    r"docker-credential-\S+\s+get|security\s+find-(?:generic|internet)-password\b.*\s-w\b|"
    r"kubectl\s+config\s+view\b.*--raw|op\s+read|vault\s+kv\s+get|pass\s+show)\b")

class AnalyzerBudget(Exception):
    """An analyzer ran past its step or time budget on one unit."""


@dataclass
class Budget:
    """A cooperative budget: analyzers call ``tick`` in their loops."""

    steps: int = 200_000
    seconds: float = 2.0
    _start: float = field(default_factory=time.perf_counter)
    _used: int = 0

    def tick(self, n: int = 1) -> None:
        self._used += n
        if self._used > self.steps:
            raise AnalyzerBudget(f"more than {self.steps} analysis steps")
        if self._used % 512 == 0 and time.perf_counter() - self._start > self.seconds:
            raise AnalyzerBudget(f"longer than {self.seconds:.0f} s")


@dataclass(frozen=True)
class Taint:
    kinds: frozenset[str]
    steps: tuple[tuple[str, int, str], ...]
    encoded: bool = False

    def then(self, file: str, line: int, what: str, *, kinds: frozenset[str] = frozenset(),
             encoded: bool = False) -> Taint:
        steps = self.steps if len(self.steps) >= MAX_STEPS else (
            *self.steps, (file, line, clip(what, 100)))
        return Taint(self.kinds | kinds, steps, self.encoded or encoded)

    def without(self, kinds: frozenset[str]) -> Taint | None:
        left = self.kinds - kinds
        return Taint(left, self.steps, self.encoded) if left else None


def source(kind: str, file: str, line: int, what: str) -> Taint:
    return Taint(frozenset({kind}), ((file, line, clip(what, 100)),))


def merge(*taints: Taint | None) -> Taint | None:
    found = [t for t in taints if t is not None]
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    first = max(found, key=lambda t: len(t.kinds & SECRET_KINDS) * 10 + len(t.steps))
    kinds = frozenset().union(*(t.kinds for t in found))
    return Taint(kinds, first.steps, any(t.encoded for t in found))


def weak(taint: Taint) -> bool:
    """Only bookkeeping kinds (a variable read, a file read): no finding, nothing staged."""
    return all(k.startswith("env:") or k == "file-read" for k in taint.kinds)


_GENERIC = frozenset({"API", "KEY", "KEYS", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PAT",
                      "CREDENTIAL", "CREDENTIALS", "SESSION", "COOKIE", "PRIVATE", "ACCESS",
                      "CLIENT", "ID", "AUTH", "USER", "USERNAME", "APP", "APPLICATION", "PASS",
                      # words that name a field about a secret, not a service
                      "NAME", "NAMES", "VALUE", "VALUES", "DATA", "FILE", "PATH", "URL", "HOST",
                      "TYPE", "ENV", "ENVIRONMENT", "ARN", "REF", "VERSION", "HEADER", "PREFIX",
                      "FIELD", "KIND", "EXPIRES", "EXPIRY", "SCOPE", "DIR", "REFRESH", "BEARER"})


def gathered(taint: Taint) -> int:
    """How many services' secrets a value holds: tokens of several services (NPM_TOKEN,
    GITHUB_TOKEN, OPENAI_API_KEY) put into one payload is harvesting; a key and a secret of
    one service (API_KEY + API_SECRET, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY) is a client
    calling that service."""
    services = set()
    for kind in taint.kinds:
        if kind.startswith("env:") and secret_env(kind[4:]):
            words = frozenset(re.split(r"[_\W]+", kind[4:].upper())) - _GENERIC - {""}
            if words:
                services.add(words)
    return len(services)


def secret_env(name: str) -> bool:
    return bool(_SECRET_ENV.search(name))


def normalize_path(path: str) -> str:
    path = path.strip().strip("\"'")
    for home in ("$HOME", "${HOME}", "%USERPROFILE%"):
        if path.startswith(home):
            path = "~" + path[len(home):]
    if path.startswith("./"):
        path = path[2:]
    return path.rstrip("/") or path


def staging(path: str) -> bool:
    return bool(_STAGING.match(path)) or not path.startswith(("/", "~"))


@dataclass
class FlowContext:
    """Skill-wide facts shared by the flow analyzers of one skill."""

    credential: re.Pattern[str]
    memory: re.Pattern[str]
    budget: Budget = field(default_factory=Budget)
    files: dict[str, Taint] = field(default_factory=dict)  # path written -> what it holds
    writes: dict[str, str] = field(default_factory=dict)  # secret-holding path -> flow
    sends: dict[str, str] = field(default_factory=dict)  # path read into a network sink -> flow
    functions: dict[str, object] = field(default_factory=dict)  # python helpers across files
    archives: dict[str, list[str]] = field(default_factory=dict)  # archive -> what it packs
    trusted: tuple[str, ...] = ()  # installer hosts whose scripts are not "remote code"
    env_taint: dict[str, Taint] = field(default_factory=dict)  # variable set from a secret
    env_sets: dict[str, str] = field(default_factory=dict)  # exported secret variable -> flow
    env_sends: dict[str, str] = field(default_factory=dict)  # variable sent out -> flow

    def trusted_url(self, text: str) -> bool:
        from .text import host_listed

        urls = re.findall(r"https?://[^\s\"'|)]+", text)
        return bool(urls) and all(host_listed(u, list(self.trusted)) for u in urls)

    def path_kind(self, path: str) -> str | None:
        """What reading this (static) path yields: a secret, agent memory, or nothing."""
        if not path:
            return None
        norm = normalize_path(path)
        if self.credential.search(norm) or re.search(r"\.config/gh/hosts\.ya?ml|\.config/gcloud",
                                                     norm):
            return "secret-file"
        if re.search(r"(?:^|/)\.env(?:\.[\w-]+)?$", norm):
            return "secret-env"  # project settings: named values, often sent to their service
        if self.memory.search(norm):
            return "memory"
        return None

    def file_taint(self, path: str) -> Taint | None:
        """Taint of a file (or folder or glob) written earlier in this skill."""
        norm = normalize_path(path)
        for written, taint in self.files.items():
            if written == norm or written.startswith(norm + "/") or fnmatch.fnmatchcase(
                    written, norm) or fnmatch.fnmatchcase(written, norm + "/*"):
                return taint
        return None

    def wrote(self, path: str, taint: Taint, flow: str) -> None:
        norm = normalize_path(path)
        if norm and not weak(taint):
            self.files[norm] = taint
            if taint.kinds & SECRET_KINDS:
                self.writes.setdefault(norm, flow)

    def sent(self, path: str, flow: str) -> None:
        norm = normalize_path(path)
        if norm:
            self.sends.setdefault(norm, flow)
            for member in self.archives.get(norm, []):
                self.sends.setdefault(normalize_path(member), flow)


# sink kinds: network | header (network, credentials used as auth) | dns | exec | memory-write |
# sql | shell-string | path
def sink_hits(taint: Taint, sink: str, file: str, line: int, evidence: str,
              flow: str) -> list[Hit]:
    """The finding (if any) for tainted data reaching a sink."""
    kinds = taint.kinds
    steps = (*taint.steps, (file, line, clip(f"{sink}: {evidence}", 100)))
    rule = ""
    if sink in ("network", "dns"):
        if kinds & SECRET_KINDS or (
            "secret-env" in kinds and (taint.encoded or sink == "dns" or gathered(taint) > 1)
        ):
            rule = "flow-dns-exfiltration" if sink == "dns" else "flow-secret-exfiltration"
        elif "secret-env" in kinds:
            rule = "flow-token-send"
    elif sink == "header":
        if kinds & SECRET_KINDS - {"env-dump"}:
            rule = "flow-token-send"  # a stored credential used as auth: unusual, not a leak
    elif sink == "exec":
        if "decoded" in kinds:
            rule = "flow-decoded-exec"
        elif "remote" in kinds:
            rule = "flow-remote-exec"
        elif "input" in kinds:
            rule = "vuln-code-injection"
    elif sink == "shell-string":
        if "decoded" in kinds:
            rule = "flow-decoded-exec"
        elif "remote" in kinds:
            rule = "flow-remote-exec"
        elif "input" in kinds:
            rule = "vuln-command-injection"
    elif sink == "memory-write":
        if kinds & (SECRET_KINDS | {"remote", "secret-env"}) - {"memory"}:
            rule = "flow-memory-poisoning"
    elif sink == "sql" and "input" in kinds and "built" in kinds:
        rule = "vuln-sql-injection"
    elif sink == "path" and "input" in kinds:
        rule = "vuln-path-traversal"
    if not rule:
        return []
    trace_text = " → ".join(f"{s[2]} ({s[0].rsplit('/', 1)[-1]}:{s[1]})" for s in steps)
    return [Hit(rule, file, line, clip(trace_text, 400), flow=flow, trace=steps)]
