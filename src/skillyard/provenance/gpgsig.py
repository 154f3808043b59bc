"""GPG-signed git commits and tags, verified offline with ``gpgv`` against the OpenPGP public
keys the policy names (``[signing] gpg_keys``), never the user's keyring.

``gpgv`` runs with a private, empty home and a keyring built from those keys (armored keys are
de-armored here: ``gpgv`` reads binary keyrings only). Its machine-readable status lines decide:
a ``GOODSIG`` with a ``VALIDSIG`` whose key is not revoked by the policy is verified; an
expired or revoked key, a bad signature or an unknown key is not.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .revocation import Revocation
from .sshsig import SshSigError

TIMEOUT = 30
MAX_KEY_BYTES = 4 * 1024 * 1024
_ARMOR = re.compile(r"-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n(.*?)-----END PGP PUBLIC KEY "
                    r"BLOCK-----", re.S)
_EMAIL = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


@dataclass(frozen=True)
class GpgKeys:
    """Trusted OpenPGP public keys, as one binary keyring."""

    keyring: bytes
    where: str = ""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.keyring).hexdigest()


def dearmor(data: bytes, where: str = "gpg keys") -> bytes:
    """Binary OpenPGP packets from an armored key file (or the bytes as they are)."""
    if b"-----BEGIN PGP" not in data:
        if not data or not data[0] & 0x80:
            raise SshSigError(f"{where}: not an OpenPGP public key file")
        return data
    out = b""
    for block in _ARMOR.findall(data.decode("utf-8", "replace")):
        lines = [line.strip() for line in block.splitlines()]
        if "" in lines:  # armor headers end at the first empty line
            lines = lines[lines.index("") + 1:]
        body = "".join(line for line in lines if line and not line.startswith("="))
        try:
            out += base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise SshSigError(f"{where}: the armored key is not base64") from None
    if not out:
        raise SshSigError(f"{where}: no PGP PUBLIC KEY BLOCK in it")
    return out


def load_keys(paths: list[Path]) -> GpgKeys:
    ring = b""
    for path in paths:
        try:
            if path.stat().st_size > MAX_KEY_BYTES:
                raise SshSigError(f"{path}: over {MAX_KEY_BYTES} bytes")
            ring += dearmor(path.read_bytes(), str(path))
        except OSError as exc:
            raise SshSigError(f"{path}: cannot read the gpg keys ({exc})") from None
    return GpgKeys(ring, ", ".join(str(p) for p in paths))


def _gpgv() -> str:
    found = shutil.which("gpgv")
    if found is None:
        raise SshSigError("gpgv is not installed (it verifies GPG-signed git commits and tags; "
                          "scripts/install-signing.sh installs it)")
    return found


@dataclass(frozen=True)
class GpgOutcome:
    ok: bool
    fingerprint: str | None = None
    identity: str | None = None
    problem: str = ""
    signing_key: str | None = None  # the (sub)key that made the signature


def parse_status(status: str) -> GpgOutcome:
    """The decision from gpgv's ``--status-fd`` lines."""
    seen: dict[str, list[str]] = {}
    for line in status.splitlines():
        if line.startswith("[GNUPG:] "):
            word, *rest = line[9:].split(" ")
            seen.setdefault(word, rest)
    valid = seen.get("VALIDSIG")
    fpr = (valid[-1] if valid and len(valid) >= 10 else valid[0] if valid else None)
    if "BADSIG" in seen:
        return GpgOutcome(False, fpr, problem="the GPG signature does not match (BADSIG)")
    if "EXPKEYSIG" in seen:
        return GpgOutcome(False, fpr, problem=f"the GPG key {fpr or seen['EXPKEYSIG'][0]} has "
                          "expired")
    if "REVKEYSIG" in seen:
        return GpgOutcome(False, fpr, problem=f"the GPG key {fpr or seen['REVKEYSIG'][0]} is "
                          "revoked by its owner")
    if "NO_PUBKEY" in seen or "ERRSIG" in seen:
        key = (seen.get("NO_PUBKEY") or seen.get("ERRSIG") or ["?"])[0]
        return GpgOutcome(False, None, problem=f"GPG key {key} is not one of the policy's "
                          "gpg_keys")
    good = seen.get("GOODSIG")
    if good is None or valid is None or fpr is None:
        return GpgOutcome(False, fpr, problem="gpgv did not report a good signature")
    uid = " ".join(good[1:])
    found = _EMAIL.search(uid)
    return GpgOutcome(True, fpr.upper(), found.group(1) if found else uid,
                      signing_key=valid[0].upper())


def verify(payload: bytes, signature: str, keys: GpgKeys,
           revoked: Revocation | None = None) -> GpgOutcome:
    """Check a detached armored GPG ``signature`` over ``payload`` with ``gpgv``."""
    with tempfile.TemporaryDirectory(prefix="skillyard-gpgv-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir(mode=0o700)
        ring, sig, data = Path(tmp) / "keys.gpg", Path(tmp) / "sig.asc", Path(tmp) / "payload"
        ring.write_bytes(keys.keyring)
        sig.write_text(signature, encoding="utf-8")
        data.write_bytes(payload)
        try:
            proc = subprocess.run(
                [_gpgv(), "--homedir", str(home), "--keyring", str(ring), "--status-fd", "1",
                 str(sig), str(data)], capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise SshSigError(f"gpgv did not answer within {TIMEOUT}s") from None
    outcome = parse_status(proc.stdout.decode("utf-8", "replace"))
    if outcome.ok and proc.returncode != 0:
        return GpgOutcome(False, outcome.fingerprint, problem="gpgv refused the signature")
    if outcome.fingerprint and revoked is not None and revoked.pgp_revoked(
            outcome.fingerprint, outcome.signing_key or ""):
        return GpgOutcome(False, outcome.fingerprint, problem=revoked.why(outcome.fingerprint))
    return outcome
