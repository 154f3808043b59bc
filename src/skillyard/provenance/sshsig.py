"""SSH signatures: sign with ``ssh-keygen -Y`` (OpenSSH 8.2+); verify in process (``sshwire``
and ``fastsig``: the allowed signers are parsed once per set, so a library of signed skills is
checked without a subprocess per skill) or, for what that path does not cover (security keys,
certificates, unusual allowed-signers options), with ``ssh-keygen -Y`` itself.

Everything runs offline in a private temporary folder; nothing here reads the user's ssh
configuration. Messages are small (one line), so they are passed on stdin.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SkillyardError
from .revocation import Revocation

if TYPE_CHECKING:
    from .gpgsig import GpgKeys

TIMEOUT = 30
_FPR = re.compile(r"(SHA256:[A-Za-z0-9+/=]+)")
_KEY_TYPES = ("ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-")


class SshSigError(SkillyardError):
    """ssh-keygen is missing, or a key or an allowed-signers line cannot be used."""


def _keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise SshSigError("ssh-keygen is not installed (OpenSSH 8.2 or newer is needed to sign "
                          "and verify skill signatures)")
    return found


def _run(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run([_keygen(), *args], input=stdin, capture_output=True,
                              timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise SshSigError(f"ssh-keygen did not answer within {TIMEOUT}s") from None


def _text(proc: subprocess.CompletedProcess[bytes]) -> str:
    out = (proc.stdout + proc.stderr).decode("utf-8", "replace").strip()
    return " ".join(out.split())[:300]


@dataclass(frozen=True)
class AllowedSigners:
    """Allowed signers in git's ``allowed_signers`` format: ``principals [options] type key``,
    with the keys that are revoked (``revoked``) and the OpenPGP keys trusted for GPG-signed
    git commits and tags (``gpg``): the whole trust set a verification is made against."""

    lines: tuple[str, ...] = ()
    revoked: Revocation = field(default_factory=Revocation)
    gpg: GpgKeys | None = None

    @classmethod
    def parse(cls, text: str, where: str = "allowed signers") -> AllowedSigners:
        lines = []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if not any(part.startswith(_KEY_TYPES) for part in line.split()[1:]):
                raise SshSigError(f"{where} line {number}: expected 'principal [options] "
                                  "key-type base64-key'")
            lines.append(line)
        return cls(tuple(lines))

    @classmethod
    def from_file(cls, path: str | Path) -> AllowedSigners:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SshSigError(f"{path}: cannot read the allowed signers ({exc})") from None
        return cls.parse(text, str(path))

    def __add__(self, other: AllowedSigners) -> AllowedSigners:
        return AllowedSigners(self.lines + other.lines, self.revoked + other.revoked,
                              self.gpg or other.gpg)

    def with_revoked(self, revoked: Revocation) -> AllowedSigners:
        return AllowedSigners(self.lines, self.revoked + revoked, self.gpg)

    def with_gpg(self, gpg: GpgKeys | None) -> AllowedSigners:
        return AllowedSigners(self.lines, self.revoked, gpg)

    @property
    def cache_key(self) -> str:
        """Changes whenever a verification against this set could come out differently."""
        gpg = self.gpg.digest if self.gpg is not None else ""
        return f"{self.text}\0{self.revoked.digest if self.revoked else ''}\0{gpg}"

    def __bool__(self) -> bool:
        return bool(self.lines)

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


def sign(message: bytes, key: str | Path, namespace: str) -> str:
    """An armored SSH signature of ``message`` made with the private ``key`` file."""
    key = Path(key)
    if not key.is_file():
        raise SshSigError(f"{key}: no such key file")
    with tempfile.TemporaryDirectory(prefix="skillyard-sign-") as tmp:
        target = Path(tmp) / "message"
        target.write_bytes(message)
        proc = _run(["-Y", "sign", "-q", "-f", str(key), "-n", namespace, str(target)])
        sig = target.with_name("message.sig")
        if proc.returncode != 0 or not sig.is_file():
            raise SshSigError(f"{key}: ssh-keygen could not sign ({_text(proc)})")
        return sig.read_text(encoding="ascii")


@dataclass(frozen=True)
class Outcome:
    """The answer for one signature: ``ok`` with a principal, else a ``problem`` to report."""

    ok: bool
    fingerprint: str | None = None
    principal: str | None = None
    problem: str = ""
    kind: str = ""  # malformed | mismatch | revoked | unknown-key | rejected-key | unchecked


def check(message: bytes, signature: str, namespace: str,
          signers: AllowedSigners) -> Outcome:
    """Verify offline: first that the signature is over ``message`` in ``namespace`` at all,
    then that its key is not revoked, then that it is an allowed signer (and valid now, per
    the signer's options). In process when ``fastsig`` covers the key and the signers, else
    with ``ssh-keygen``."""
    from .fastsig import check_fast

    outcome = check_fast(message, signature, namespace, signers)
    return outcome if outcome is not None else check_keygen(message, signature, namespace,
                                                            signers)


def _revoked(signature: str, fingerprint: str | None, signers: AllowedSigners) -> bool:
    from .sshwire import WireError, parse_sshsig

    if not signers.revoked:
        return False
    try:
        blob: bytes | None = parse_sshsig(signature).public_key
    except WireError:
        blob = None
    return signers.revoked.ssh_revoked(blob, fingerprint)


def check_keygen(message: bytes, signature: str, namespace: str,
                 signers: AllowedSigners) -> Outcome:
    """``check`` with three ``ssh-keygen -Y`` runs (check-novalidate, find-principals,
    verify): the reference the in-process path is tested against."""
    with tempfile.TemporaryDirectory(prefix="skillyard-verify-") as tmp:
        sig = Path(tmp) / "sig"
        sig.write_text(signature, encoding="utf-8")
        if "BEGIN SSH SIGNATURE" not in signature:
            return Outcome(False, problem="not an SSH signature (no BEGIN SSH SIGNATURE armor)",
                           kind="malformed")
        proc = _run(["-Y", "check-novalidate", "-n", namespace, "-s", str(sig)], message)
        found = _FPR.search(_text(proc))
        fingerprint = found.group(1) if found else None
        if proc.returncode != 0:
            detail = _text(proc)
            if "namespace" in detail.lower():
                return Outcome(False, fingerprint, problem=f"signed for another namespace, not "
                               f"{namespace!r}", kind="mismatch")
            return Outcome(False, fingerprint, problem="the signature does not match the "
                           f"skill's digest ({detail})", kind="mismatch")
        if _revoked(signature, fingerprint, signers):
            return Outcome(False, fingerprint, problem=signers.revoked.why(str(fingerprint)),
                           kind="revoked")
        if not signers:
            return Outcome(False, fingerprint, problem="no allowed signers are configured",
                           kind="unchecked")
        allowed = Path(tmp) / "allowed_signers"
        allowed.write_text(signers.text, encoding="utf-8")
        proc = _run(["-Y", "find-principals", "-f", str(allowed), "-s", str(sig)])
        principals = proc.stdout.decode("utf-8", "replace").split()
        if proc.returncode != 0 or not principals:
            return Outcome(False, fingerprint, problem=f"key {fingerprint} is not an allowed "
                           "signer (or not valid now)", kind="unknown-key")
        principal = principals[0].split(",")[0]
        revoke = []
        if signers.revoked.krl:
            (Path(tmp) / "krl").write_bytes(signers.revoked.krl)
            revoke = ["-r", str(Path(tmp) / "krl")]
        proc = _run(["-Y", "verify", "-f", str(allowed), "-I", principal, "-n", namespace,
                     "-s", str(sig), *revoke], message)
        if proc.returncode != 0:
            return Outcome(False, fingerprint, principal, problem=f"key {fingerprint} of "
                           f"{principal} is refused ({_text(proc)})", kind="rejected-key")
        return Outcome(True, fingerprint, principal)
