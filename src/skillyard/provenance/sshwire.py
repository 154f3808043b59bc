"""SSH wire format (RFC 4251) for signatures: the armored ``SSHSIG`` blob of ``ssh-keygen -Y``
(OpenSSH's PROTOCOL.sshsig), public key blobs and their ``SHA256:`` fingerprints, and an
in-process check of a signature with the ``cryptography`` primitives.

Every parser here takes untrusted bytes and raises ``WireError`` (never anything else) on
input it cannot read; ``tests/test_signing_fuzz.py`` holds it to that.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
ARMOR_END = "-----END SSH SIGNATURE-----"
MAGIC = b"SSHSIG"
MAX_BLOB = 64 * 1024
_HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
_CURVES: dict[str, tuple[ec.EllipticCurve, hashes.HashAlgorithm]] = {
    "nistp256": (ec.SECP256R1(), hashes.SHA256()),
    "nistp384": (ec.SECP384R1(), hashes.SHA384()),
    "nistp521": (ec.SECP521R1(), hashes.SHA512()),
}
_RSA_SIGS = {"rsa-sha2-256": hashes.SHA256(), "rsa-sha2-512": hashes.SHA512()}


class WireError(ValueError):
    """Bytes that are not the SSH structure they claim to be."""


class Reader:
    """Reads RFC 4251 fields from bytes; every overrun is a ``WireError``."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise WireError("truncated")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack(">Q", self.take(8))[0])

    def byte(self) -> int:
        return self.take(1)[0]

    def string(self) -> bytes:
        return self.take(self.u32())

    def text(self) -> str:
        try:
            return self.string().decode("ascii")
        except UnicodeDecodeError:
            raise WireError("a name that is not ASCII") from None

    def mpint(self) -> int:
        return int.from_bytes(self.string(), "big", signed=True)

    @property
    def done(self) -> bool:
        return self.at >= len(self.data)


def string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def fingerprint(key_blob: bytes) -> str:
    """OpenSSH's fingerprint of a public key blob: ``SHA256:`` + unpadded base64."""
    digest = base64.b64encode(hashlib.sha256(key_blob).digest()).decode("ascii")
    return "SHA256:" + digest.rstrip("=")


def key_type(key_blob: bytes) -> str:
    return Reader(key_blob).text()


def key_blob_from_line(text: str) -> bytes:
    """The blob of an OpenSSH public key line (``type base64 [comment]``)."""
    parts = text.split()
    if len(parts) < 2:
        raise WireError("expected 'key-type base64-key'")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise WireError("the key is not base64") from None
    if key_type(blob) != parts[0]:
        raise WireError(f"the key is not of type {parts[0][:40]!r}")
    return blob


@dataclass(frozen=True)
class SshSig:
    """One parsed SSHSIG blob."""

    public_key: bytes
    namespace: str
    hash_alg: str
    signature: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def dearmor(armored: str) -> bytes:
    text = armored.strip()
    if not text.startswith(ARMOR_BEGIN) or not text.endswith(ARMOR_END):
        raise WireError("no BEGIN/END SSH SIGNATURE armor")
    body = "".join(text[len(ARMOR_BEGIN):-len(ARMOR_END)].split())
    if len(body) > MAX_BLOB:
        raise WireError("the signature is too large")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise WireError("the signature armor is not base64") from None


def parse_sshsig(armored: str) -> SshSig:
    """Parse an armored SSH signature (PROTOCOL.sshsig, version 1)."""
    r = Reader(dearmor(armored))
    if r.take(6) != MAGIC:
        raise WireError("not an SSHSIG blob")
    if r.u32() != 1:
        raise WireError("unknown SSHSIG version")
    sig = SshSig(r.string(), r.text(), "", b"")
    r.string()  # reserved
    hash_alg, signature = r.text(), r.string()
    if not r.done:
        raise WireError("trailing bytes after the signature")
    if hash_alg not in _HASHES:
        raise WireError(f"unknown hash algorithm {hash_alg[:20]!r}")
    key_type(sig.public_key)
    return SshSig(sig.public_key, sig.namespace, hash_alg, signature)


def signed_data(sig: SshSig, message: bytes) -> bytes:
    """What the key actually signed: the SSHSIG preamble over the message's hash."""
    digest = _HASHES[sig.hash_alg](message).digest()
    return (MAGIC + string(sig.namespace.encode()) + string(b"") +
            string(sig.hash_alg.encode()) + string(digest))


class Unsupported(Exception):  # noqa: N818 - a signal to fall back to ssh-keygen, not an error
    """A key or signature type this module does not check itself (security keys, certificates);
    the caller falls back to ``ssh-keygen``."""


def crypto_verify(sig: SshSig, message: bytes) -> bool:
    """True when ``sig`` is a valid signature of ``message`` by its own embedded key (the
    equivalent of ``ssh-keygen -Y check-novalidate``, namespace aside)."""
    data = signed_data(sig, message)
    key = Reader(sig.public_key)
    kind = key.text()
    inner = Reader(sig.signature)
    sig_kind, blob = inner.text(), inner.string()
    if not inner.done:
        raise WireError("trailing bytes after the signature blob")
    try:
        if kind == "ssh-ed25519":
            raw = key.string()
            if sig_kind != kind or len(raw) != 32 or len(blob) != 64:
                return False
            Ed25519PublicKey.from_public_bytes(raw).verify(blob, data)
            return True
        if kind == "ssh-rsa":
            e, n = key.mpint(), key.mpint()
            if sig_kind not in _RSA_SIGS or n.bit_length() < 1024 or e < 3:
                return False
            rsa.RSAPublicNumbers(e, n).public_key().verify(
                blob, data, padding.PKCS1v15(), _RSA_SIGS[sig_kind])
            return True
        if kind.startswith("ecdsa-sha2-"):
            curve_name = key.text()
            if curve_name not in _CURVES or kind != f"ecdsa-sha2-{curve_name}" or \
                    sig_kind != kind:
                return False
            curve, algo = _CURVES[curve_name]
            point = ec.EllipticCurvePublicKey.from_encoded_point(curve, key.string())
            rs = Reader(blob)
            der = encode_dss_signature(rs.mpint(), rs.mpint())
            point.verify(der, data, ec.ECDSA(algo))
            return True
    except InvalidSignature:
        return False
    except (ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, WireError):
            raise
        return False
    raise Unsupported(kind)
