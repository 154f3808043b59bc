"""Revoked signing keys (``[signing] revoked = FILE``): an OpenSSH KRL (``ssh-keygen -k``) or a
plain text list. A signature by a revoked key is not trusted anywhere it is verified.

The text list has one entry a line (``#`` starts a comment):

- an SSH fingerprint, ``SHA256:...`` (as ``ssh-keygen -l`` prints it), or ``hash: SHA256:...``
  (the KRL specification's spelling);
- an SSH public key, ``ssh-ed25519 AAAA...`` (optionally after ``key:``);
- an OpenPGP fingerprint, 40 hex digits (spaces allowed), for GPG-signed git commits and tags.

A KRL's explicit keys and SHA-1/SHA-256 key hashes are read here; a KRL's certificate sections
are left to ``ssh-keygen -Y verify -r``, which is given the KRL whenever it runs.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .sshwire import Reader, WireError, fingerprint, key_blob_from_line

KRL_MAGIC = b"SSHKRL\n\0"
MAX_BYTES = 16 * 1024 * 1024
_SECTION_CERTIFICATES, _SECTION_KEYS, _SECTION_SHA1, _SECTION_SIGNATURE, _SECTION_SHA256 = \
    1, 2, 3, 4, 5
_SSH_FPR = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
_PGP_FPR = re.compile(r"^[0-9A-Fa-f]{40}$")


class RevocationError(ValueError):
    """A revocation file that cannot be read or parsed."""


@dataclass(frozen=True)
class Revocation:
    """Revoked keys: SSH ``SHA256:`` fingerprints, SHA-1 key hashes (hex, from a KRL) and
    OpenPGP fingerprints (upper-case hex)."""

    ssh: frozenset[str] = frozenset()
    sha1: frozenset[str] = frozenset()
    pgp: frozenset[str] = frozenset()
    where: str = ""
    krl: bytes | None = field(default=None, repr=False)  # for ``ssh-keygen -r``
    has_certificates: bool = False

    def __bool__(self) -> bool:
        return bool(self.ssh or self.sha1 or self.pgp or self.krl)

    @property
    def digest(self) -> str:
        text = "\n".join(sorted(self.ssh) + sorted(self.sha1) + sorted(self.pgp))
        extra = hashlib.sha256(self.krl).hexdigest() if self.krl else ""
        return hashlib.sha256(f"{text}\n{extra}".encode()).hexdigest()

    def ssh_revoked(self, key_blob: bytes | None = None, fpr: str | None = None) -> bool:
        """Whether an SSH key (its blob, or only its ``SHA256:`` fingerprint) is revoked."""
        if key_blob is not None:
            fpr = fingerprint(key_blob)
            if hashlib.sha1(key_blob).hexdigest() in self.sha1:  # noqa: S324 - KRL's own format
                return True
        return fpr is not None and fpr in self.ssh

    def pgp_revoked(self, *fingerprints: str) -> bool:
        return any(f.upper() in self.pgp for f in fingerprints if f)

    def why(self, what: str) -> str:
        return f"key {what} is revoked (listed in {self.where or 'the revocation list'})"

    def __add__(self, other: Revocation) -> Revocation:
        return Revocation(self.ssh | other.ssh, self.sha1 | other.sha1, self.pgp | other.pgp,
                          self.where or other.where, self.krl or other.krl,
                          self.has_certificates or other.has_certificates)


def parse_krl(data: bytes, where: str = "KRL") -> Revocation:
    """An OpenSSH KRL (PROTOCOL.krl, format version 1)."""
    if not data.startswith(KRL_MAGIC):
        raise RevocationError(f"{where}: not an OpenSSH KRL")
    r = Reader(data[len(KRL_MAGIC):])
    ssh: set[str] = set()
    sha1: set[str] = set()
    certs = False
    try:
        if r.u32() != 1:
            raise RevocationError(f"{where}: unsupported KRL format version")
        r.u64(), r.u64(), r.u64()  # krl version, generated date, flags
        r.string(), r.string()  # reserved, comment
        while not r.done:
            kind, body = r.byte(), Reader(r.string())
            if kind == _SECTION_SIGNATURE:
                break  # signature sections close the KRL; they are not checked here
            if kind == _SECTION_CERTIFICATES:
                certs = True
                continue
            if kind not in (_SECTION_KEYS, _SECTION_SHA1, _SECTION_SHA256):
                raise RevocationError(f"{where}: unknown KRL section type {kind}")
            while not body.done:
                value = body.string()
                if kind == _SECTION_KEYS:
                    ssh.add(fingerprint(value))
                    sha1.add(hashlib.sha1(value).hexdigest())  # noqa: S324
                elif kind == _SECTION_SHA1:
                    if len(value) != 20:
                        raise RevocationError(f"{where}: a SHA-1 key hash is not 20 bytes")
                    sha1.add(value.hex())
                else:
                    if len(value) != 32:
                        raise RevocationError(f"{where}: a SHA-256 key hash is not 32 bytes")
                    ssh.add("SHA256:" + base64.b64encode(value).decode().rstrip("="))
    except WireError as exc:
        raise RevocationError(f"{where}: not a valid KRL ({exc})") from None
    return Revocation(frozenset(ssh), frozenset(sha1), frozenset(), where, data, certs)


def parse_list(text: str, where: str = "revocation list") -> Revocation:
    """The plain text list (see the module docstring)."""
    ssh: set[str] = set()
    pgp: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        lowered = line.lower()
        for prefix in ("hash:", "key:"):
            if lowered.startswith(prefix):
                line = line[len(prefix):].strip()
        compact = line.replace(" ", "")
        if _SSH_FPR.match(line):
            ssh.add(line)
        elif _PGP_FPR.match(compact):
            pgp.add(compact.upper())
        elif " " in line:
            try:
                ssh.add(fingerprint(key_blob_from_line(line)))
            except WireError as exc:
                raise RevocationError(f"{where} line {number}: not a public key ({exc})") \
                    from None
        else:
            raise RevocationError(f"{where} line {number}: expected a SHA256: fingerprint, an "
                                  "SSH public key or a 40-digit OpenPGP fingerprint")
    return Revocation(frozenset(ssh), frozenset(), frozenset(pgp), where)


def parse_revocation(data: bytes, where: str = "revocation list") -> Revocation:
    """A KRL when the bytes start with the KRL magic, else the text list."""
    if data.startswith(KRL_MAGIC):
        return parse_krl(data, where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RevocationError(f"{where}: neither an OpenSSH KRL nor a UTF-8 text list") \
            from None
    return parse_list(text, where)


def load_revocation(path: str | Path) -> Revocation:
    target = Path(path)
    try:
        if target.stat().st_size > MAX_BYTES:
            raise RevocationError(f"{target}: the revocation list is over {MAX_BYTES} bytes")
        data = target.read_bytes()
    except FileNotFoundError:
        raise RevocationError(f"{target}: no such revocation list") from None
    except OSError as exc:
        raise RevocationError(f"{target}: cannot read the revocation list ({exc})") from None
    return parse_revocation(data, str(target))
