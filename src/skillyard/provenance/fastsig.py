"""In-process SSH signature verification, the same decisions as ``ssh-keygen -Y verify``
against git's allowed_signers, for plain ed25519, ECDSA and RSA keys.

The allowed signers are parsed once per set (``_index``, cached), so checking a library of
signed skills costs one hash and one signature check per skill instead of three ``ssh-keygen``
processes. Anything this path does not cover returns None and the caller runs ``ssh-keygen``:
certificate authorities, security keys (``sk-``), negated or unknown options.
"""

from __future__ import annotations

import calendar
import fnmatch
import functools
import re
import time
from dataclasses import dataclass

from .sshsig import AllowedSigners, Outcome
from .sshwire import Unsupported, WireError, crypto_verify, key_blob_from_line, parse_sshsig

_TIME = re.compile(r"^(\d{8})(\d{4})?(\d{2})?(Z)?$")
_KNOWN_OPTIONS = ("namespaces", "valid-after", "valid-before")


@dataclass(frozen=True)
class Entry:
    principals: tuple[str, ...]
    key: bytes
    namespaces: tuple[str, ...] | None = None
    valid_after: float | None = None
    valid_before: float | None = None

    def valid_at(self, now: float) -> bool:
        return not ((self.valid_after is not None and now < self.valid_after) or
                    (self.valid_before is not None and now > self.valid_before))

    def allows(self, namespace: str) -> bool:
        return self.namespaces is None or any(fnmatch.fnmatchcase(namespace, p)
                                              for p in self.namespaces)


class _Skip(Exception):  # noqa: N818 - control flow: this set needs ssh-keygen
    pass


def _tokens(line: str) -> list[str]:
    """Whitespace-separated fields; double quotes keep spaces inside one field."""
    out, cur, quoted, started = [], [], False, False
    for ch in line:
        if ch == '"':
            quoted, started = not quoted, True
            cur.append(ch)
        elif ch.isspace() and not quoted:
            if started:
                out.append("".join(cur))
                cur, started = [], False
        else:
            cur.append(ch)
            started = True
    if quoted:
        raise _Skip("unbalanced quote")
    if started:
        out.append("".join(cur))
    return out


def _when(value: str) -> float:
    """OpenSSH's absolute time: YYYYMMDD[HHMM[SS]], UTC with a trailing Z, else local."""
    found = _TIME.match(value)
    if not found:
        raise _Skip(f"time {value!r}")
    day, hm, sec, utc = found.groups()
    try:
        parts = time.strptime(day + (hm or "0000") + (sec or "00"), "%Y%m%d%H%M%S")
    except ValueError:
        raise _Skip(f"time {value!r}") from None
    return float(calendar.timegm(parts) if utc else time.mktime(parts))


def _options(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in re.findall(r'(?:[^,"]|"[^"]*")+', text):
        name, _, value = part.partition("=")
        name = name.strip().lower()
        if name not in _KNOWN_OPTIONS or not value:
            raise _Skip(f"option {name!r}")
        out[name] = value.strip().strip('"')
    return out


def _entry(line: str) -> Entry:
    fields = _tokens(line)
    if len(fields) < 3:
        raise _Skip("short line")
    principals = tuple(p for p in fields[0].strip('"').split(",") if p)
    options: dict[str, str] = {}
    rest = fields[1:]
    if not rest[0].startswith(("ssh-", "ecdsa-", "sk-")):
        options, rest = _options(rest[0]), rest[1:]  # cert-authority and the like: _Skip
    if len(rest) < 2 or rest[0].startswith("sk-") or "-cert-" in rest[0]:
        raise _Skip("certificate or security key")
    try:
        blob = key_blob_from_line(f"{rest[0]} {rest[1]}")
    except WireError:
        raise _Skip("key") from None
    namespaces = options.get("namespaces")
    if namespaces is not None and "!" in namespaces:
        raise _Skip("negated namespace")
    return Entry(
        principals, blob,
        tuple(n.strip() for n in namespaces.split(",")) if namespaces is not None else None,
        _when(options["valid-after"]) if "valid-after" in options else None,
        _when(options["valid-before"]) if "valid-before" in options else None,
    )


@functools.lru_cache(maxsize=64)
def _index(text: str) -> dict[bytes, tuple[Entry, ...]] | None:
    """Allowed signers by key blob, or None when a line needs ssh-keygen."""
    out: dict[bytes, list[Entry]] = {}
    try:
        for line in text.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                entry = _entry(line.strip())
                out.setdefault(entry.key, []).append(entry)
    except _Skip:
        return None
    return {k: tuple(v) for k, v in out.items()}


def check_fast(message: bytes, signature: str, namespace: str,
               signers: AllowedSigners, now: float | None = None) -> Outcome | None:
    """``sshsig.check`` in process; None when ``ssh-keygen`` must decide."""
    if "BEGIN SSH SIGNATURE" not in signature:
        return Outcome(False, problem="not an SSH signature (no BEGIN SSH SIGNATURE armor)",
                       kind="malformed")
    try:
        sig = parse_sshsig(signature)
    except WireError as exc:
        return Outcome(False, problem=f"the signature cannot be read ({exc})", kind="mismatch")
    fpr = sig.fingerprint
    if sig.namespace != namespace:
        return Outcome(False, fpr, problem=f"signed for another namespace, not {namespace!r}",
                       kind="mismatch")
    try:
        good = crypto_verify(sig, message)
    except Unsupported:
        return None
    except WireError as exc:
        return Outcome(False, fpr, problem=f"the signature cannot be read ({exc})",
                       kind="mismatch")
    if not good:
        return Outcome(False, fpr, problem="the signature does not match the skill's digest "
                       "(signature verification failed)", kind="mismatch")
    if signers.revoked.ssh_revoked(sig.public_key):
        return Outcome(False, fpr, problem=signers.revoked.why(fpr), kind="revoked")
    if not signers:
        return Outcome(False, fpr, problem="no allowed signers are configured",
                       kind="unchecked")
    index = _index(signers.text)
    if index is None:
        return None
    now = time.time() if now is None else now
    entries = [e for e in index.get(sig.public_key, ()) if e.valid_at(now)]
    if not entries:
        return Outcome(False, fpr, problem=f"key {fpr} is not an allowed signer (or not valid "
                       "now)", kind="unknown-key")
    fitting = [e for e in entries if e.allows(namespace)]
    entry = (fitting or entries)[0]
    principal = entry.principals[0] if entry.principals else ""
    if not fitting:
        return Outcome(False, fpr, principal, problem=f"key {fpr} of {principal} is refused "
                       f"(not allowed to sign in namespace {namespace!r})", kind="rejected-key")
    return Outcome(True, fpr, principal)
