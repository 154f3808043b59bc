"""What a resolved JavaScript call does: run code, talk to the network, look up DNS, write or
read files, decode or encode. Names are canonical (see ``jsnames``): ``child_process.exec``,
``fs.promises.writeFile``, ``https.request``."""

from __future__ import annotations

import re

_GLOBAL = re.compile(r"^(?:globalThis|global|window|self)\.")

EXEC = frozenset({
    "eval", "Function", "child_process.exec", "child_process.execSync", "child_process.spawn",
    "child_process.spawnSync", "child_process.execFile", "child_process.execFileSync",
    "child_process.fork", "vm.runInNewContext", "vm.runInThisContext", "vm.runInContext",
    "vm.Script", "vm.compileFunction", "vm.SourceTextModule", "worker_threads.Worker",
    "setTimeout", "setInterval", "module._compile", "require",
})
# executables given as a command and argument list: a literal program is not code injection
ARGV_EXEC = frozenset({"child_process.execFile", "child_process.execFileSync",
                       "child_process.spawn", "child_process.spawnSync", "child_process.fork"})
NETWORK = frozenset({
    "fetch", "axios", "axios.post", "axios.put", "axios.patch", "axios.get", "axios.request",
    "axios.delete", "http.request", "http.get", "https.request", "https.get", "http2.connect",
    "net.connect", "net.createConnection", "tls.connect", "got", "got.post", "got.get",
    "got.put", "request", "request.post", "request.get", "needle", "needle.post",
    "superagent.post", "superagent.get", "navigator.sendBeacon", "undici.request",
    "undici.fetch", "WebSocket", "ws", "ws.WebSocket", "EventSource", "Image",
})
# calls whose result talks back: a socket or request object whose .write/.send/.end sends
SOCKETS = frozenset({"http.request", "https.request", "http.get", "https.get", "net.connect",
                     "net.createConnection", "tls.connect", "WebSocket", "ws", "ws.WebSocket",
                     "XMLHttpRequest", "dgram.createSocket", "http2.connect"})
SOCKET_SENDS = frozenset({"write", "send", "end", "open"})
# downloads: the value is text from the network
REMOTE = frozenset({"fetch", "axios.get", "axios", "got", "got.get", "http.get", "https.get",
                    "request", "request.get", "needle", "undici.request", "undici.fetch"})
DNS = re.compile(r"^dns\.(?:promises\.)?(?:lookup|resolve\w*|reverse)$")
WRITE = re.compile(r"^fs\.(?:promises\.)?(?:writeFile|writeFileSync|appendFile|appendFileSync|"
                   r"createWriteStream)$")
READ = re.compile(r"^fs\.(?:promises\.)?(?:readFile|readFileSync|createReadStream|"
                  r"readdirSync|readdir)$")
COPY = re.compile(r"^fs\.(?:promises\.)?(?:copyFile|copyFileSync|cpSync|cp)$")
DECODE = frozenset({"atob", "String.fromCharCode", "decodeURIComponent", "unescape",
                    "Buffer.from", "zlib.inflateSync", "zlib.gunzipSync", "zlib.inflateRawSync",
                    "zlib.brotliDecompressSync", "crypto.createDecipheriv"})
ENCODE = frozenset({"btoa", "encodeURIComponent", "escape", "zlib.gzipSync", "zlib.deflateSync",
                    "zlib.brotliCompressSync", "crypto.createCipheriv"})
INPUT = re.compile(r"^process\.argv\b|^process\.stdin\b|^(?:req|request|ctx\.request)\."
                   r"(?:body|query|params|headers)\b|^readline\b|^prompt$")
PATH_JOIN = frozenset({"path.join", "path.resolve", "path.posix.join", "path.normalize"})
HOME = frozenset({"os.homedir", "process.env.HOME", "process.env.USERPROFILE"})


def canonical(name: str) -> str:
    name = _GLOBAL.sub("", name)
    return name.replace("fs.promises.promises", "fs.promises")


def sink_of(name: str) -> str:
    """'exec', 'network', 'dns', 'write' or '' for a canonical callee name."""
    if name in EXEC:
        return "exec"
    if name in NETWORK:
        return "network"
    if DNS.match(name):
        return "dns"
    if WRITE.match(name):
        return "write"
    return ""

# a file needs a source and a sink for any flow to exist (or something staged earlier)
TRIGGER_SOURCE = re.compile(r"['\"](?:node:)?https?['\"]|process\.env|process\[|readFile|"
                            r"createReadStream|homedir|argv|atob|"
                            r"Buffer\.from|fromCharCode|fetch|axios|https?\.get|\.body|\.query|"
                            r"readline|stdin|unescape|inflate|gunzip|got\(|request\(|\.ssh|\.aws|"
                            r"\.kube|\.docker|\.npmrc|\.pypirc|\.netrc|\.gnupg|credentials|"
                            r"\.config/g|\.env\b|base64|curl|wget|CLAUDE|AGENTS|MEMORY|SOUL|"
                            r"cursorrules|settings\.json")
TRIGGER_SINK = re.compile(r"child_process|eval|Function|\bvm\b|fetch|axios|https?|\bnet\b|"
                          r"\btls\b|WebSocket|sendBeacon|\bdns\b|writeFile|appendFile|"
                          r"XMLHttpRequest|Image|\bgot\b|request|needle|superagent|setTimeout|"
                          r"setInterval|require\(|process\.env\.\w+\s*=|location")
