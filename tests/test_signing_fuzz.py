"""Hostile input to the signature parsers (hypothesis): armored SSH signatures, KRLs,
fingerprint lists, allowed-signers lines and gpgv status lines never raise anything but
their declared error, and a mutated signature never verifies."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillyard.provenance import AllowedSigners
from skillyard.provenance.fastsig import check_fast
from skillyard.provenance.gpgsig import parse_status
from skillyard.provenance.revocation import (
    KRL_MAGIC,
    RevocationError,
    parse_krl,
    parse_list,
    parse_revocation,
)
from skillyard.provenance.sshsig import SshSigError
from skillyard.provenance.sshwire import (
    ARMOR_BEGIN,
    ARMOR_END,
    MAGIC,
    WireError,
    fingerprint,
    parse_sshsig,
    string,
)

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
ED_KEY = string(b"ssh-ed25519") + string(bytes(range(32)))


def armor(blob: bytes) -> str:
    return f"{ARMOR_BEGIN}\n{base64.b64encode(blob).decode()}\n{ARMOR_END}\n"


def sshsig_blob(key: bytes, namespace: bytes, hash_alg: bytes, sig: bytes) -> bytes:
    return (MAGIC + struct.pack(">I", 1) + string(key) + string(namespace) + string(b"") +
            string(hash_alg) + string(sig))


@FUZZ
@given(st.binary(max_size=400))
def test_sshsig_parser_only_raises_wire_error(data: bytes) -> None:
    for text in (armor(data), armor(MAGIC + data), data.decode("latin-1")):
        with contextlib.suppress(WireError):
            parse_sshsig(text)


@FUZZ
@given(st.binary(max_size=80), st.binary(max_size=40), st.sampled_from([b"sha256", b"sha512",
                                                                         b"md5", b""]),
       st.binary(max_size=120), st.binary(max_size=300))
def test_structured_signatures_never_verify(key: bytes, ns: bytes, alg: bytes, sig: bytes,
                                            message: bytes) -> None:
    """Well-formed SSHSIG blobs around random keys and signatures: a result, never a crash,
    and never ok (nobody signed these bytes)."""
    for pub in (key, ED_KEY, string(b"ssh-rsa") + key, string(b"ecdsa-sha2-nistp256") + key):
        text = armor(sshsig_blob(pub, ns, alg, sig))
        signers = AllowedSigners.parse(f"a@example.test ssh-ed25519 "
                                       f"{base64.b64encode(ED_KEY).decode()}")
        outcome = check_fast(message, text, ns.decode("latin-1"), signers)
        assert outcome is None or not outcome.ok


def krl_blob(sections: list[tuple[int, list[bytes]]]) -> bytes:
    body = b"".join(bytes([kind]) + string(b"".join(string(v) for v in values))
                    for kind, values in sections)
    return (KRL_MAGIC + struct.pack(">IQQQ", 1, 7, 0, 0) + string(b"") + string(b"test") +
            body)


@FUZZ
@given(st.lists(st.binary(min_size=1, max_size=64), max_size=5),
       st.lists(st.binary(min_size=32, max_size=32), max_size=5))
def test_krl_round_trip(keys: list[bytes], hashes: list[bytes]) -> None:
    parsed = parse_krl(krl_blob([(2, keys), (5, hashes)]))
    for key in keys:
        assert parsed.ssh_revoked(key)
    for digest in hashes:
        assert "SHA256:" + base64.b64encode(digest).decode().rstrip("=") in parsed.ssh


@FUZZ
@given(st.binary(max_size=300))
def test_krl_and_list_parsers_only_raise_revocation_error(data: bytes) -> None:
    for blob in (data, KRL_MAGIC + data, KRL_MAGIC + struct.pack(">I", 1) + data):
        with contextlib.suppress(RevocationError):
            parse_revocation(blob)


@FUZZ
@given(st.text(max_size=300))
def test_fingerprint_list_parser(text: str) -> None:
    try:
        parsed = parse_list(text)
    except RevocationError as exc:
        assert "line" in str(exc)
        return
    assert all(f.startswith("SHA256:") for f in parsed.ssh)
    assert all(len(f) == 40 for f in parsed.pgp)


@FUZZ
@given(st.binary(min_size=1, max_size=64))
def test_listed_fingerprints_are_revoked(blob: bytes) -> None:
    fpr = fingerprint(blob)
    assert parse_list(f"{fpr}  # why\n").ssh_revoked(blob)
    assert parse_list(f"hash: {fpr}").ssh_revoked(fpr=fpr)
    other = fingerprint(hashlib.sha256(blob).digest())
    assert not parse_list(other).ssh_revoked(blob)


@FUZZ
@given(st.text(max_size=200))
def test_allowed_signers_lines(text: str) -> None:
    try:
        signers = AllowedSigners.parse(text)
    except SshSigError:
        return
    sig = armor(sshsig_blob(ED_KEY, b"skillyard-skill@v1", b"sha256", b""))
    outcome = check_fast(b"m", sig, "skillyard-skill@v1", signers)
    assert outcome is None or not outcome.ok


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["GOODSIG", "VALIDSIG", "BADSIG", "EXPKEYSIG",
                                           "NO_PUBKEY", "ERRSIG", "NEWSIG", "X"]),
                          st.text(alphabet="ABCDEF0123456789 <>@.", max_size=60)),
                max_size=6))
def test_gpgv_status_lines(lines: list[tuple[str, str]]) -> None:
    text = "".join(f"[GNUPG:] {word} {rest}\n" for word, rest in lines)
    outcome = parse_status(text)
    words = {w for w, _ in lines}
    if outcome.ok:
        assert {"GOODSIG", "VALIDSIG"} <= words
        assert not words & {"BADSIG", "EXPKEYSIG", "NO_PUBKEY", "ERRSIG"}
