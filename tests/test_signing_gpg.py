"""GPG-signed git commits and tags verified offline with gpgv against the policy's gpg_keys:
real keys made by gpg in the test, real git repositories; an unknown, expired or revoked key
and a changed payload are each refused with a message naming the commit or the key."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import write_skill
from skillyard.audit import Auditor, load_rules
from skillyard.audit.policy import PolicyError, policy_from_dict
from skillyard.provenance.gpgsig import dearmor, load_keys, parse_status, verify

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("gpg", "gpgv", "git")),
    reason="needs gpg and gpgv (scripts/install-signing.sh)")
RULES = load_rules()


class Gpg:
    """A private GnuPG home (short path: the agent's socket must fit) with keys made here."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="sy-gpg-", dir="/tmp"))
        self.home.chmod(0o700)
        self.env = {**os.environ, "GNUPGHOME": str(self.home)}

    def gpg(self, *args: str) -> str:
        return subprocess.run(["gpg", "--batch", "--pinentry-mode", "loopback",
                               "--passphrase", "", *args], env=self.env, check=True,
                              capture_output=True, text=True).stdout

    def key(self, uid: str, expire: str = "never", when: str | None = None) -> str:
        faked = ["--faked-system-time", when] if when else []
        self.gpg(*faked, "--quick-gen-key", uid, "ed25519", "sign", expire)
        out = self.gpg("--list-keys", "--with-colons", uid)
        return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr"))

    def export(self, fpr: str, path: Path) -> Path:
        path.write_text(self.gpg("--armor", "--export", fpr))
        return path

    def close(self) -> None:
        subprocess.run(["gpgconf", "--kill", "all"], env=self.env, capture_output=True,
                       check=False)
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="module")
def gpg() -> Iterator[Gpg]:
    made = Gpg()
    try:
        yield made
    finally:
        made.close()


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Alice", "-c", "user.email=alice@example.test",
                           *args], cwd=repo, env=env, check=True, capture_output=True,
                          text=True).stdout


def signed_repo(root: Path, gpg: Gpg, fpr: str, *, faked: str | None = None) -> Path:
    repo = root / "upstream"
    write_skill(repo, "gitskill", files={"scripts/run.sh": "echo hi\n"})
    program = root / "gpg.sh"  # git's gpg.program, with a faked clock when asked
    program.write_text("#!/bin/sh\nexec gpg " + (f"--faked-system-time {faked} " if faked else "")
                       + '"$@"\n')
    program.chmod(0o755)
    git(repo, gpg.env, "init", "-q", "-b", "main")
    for key, value in (("gpg.program", str(program)), ("user.signingkey", fpr)):
        git(repo, gpg.env, "config", key, value)
    git(repo, gpg.env, "add", "-A")
    git(repo, gpg.env, "commit", "-q", "-S", "-m", "signed")
    git(repo, gpg.env, "tag", "-s", "v1", "-m", "release v1")
    return repo


def policy(root: Path, keys: list[Path] | None, **signing: object) -> object:
    data: dict = {"signers": [{"id": "alice@example.test", "ceiling": 3}],
                  "signing": {"git": True, **signing}}
    if keys is not None:
        data["signing"]["gpg_keys"] = [str(k) for k in keys]
    return policy_from_dict(data, RULES, root)


def audit_at(repo: Path, ref: str, pol: object):  # noqa: ANN201
    from skillyard.sources.git import load_git

    [result] = load_git(f"file://{repo}@{ref}")
    return Auditor(policy=pol).run([(result.skill, "")])[0]


def test_gpg_signed_commit_and_tag_verify(tmp_path: Path, gpg: Gpg) -> None:
    alice = gpg.key("Alice <alice@example.test>")
    other = gpg.key("Other <other@example.test>")
    repo = signed_repo(tmp_path, gpg, alice)
    alice_pub = gpg.export(alice, tmp_path / "alice.asc")
    other_pub = gpg.export(other, tmp_path / "other.asc")
    for ref in ("v1", "main"):
        result = audit_at(repo, ref, policy(tmp_path, [alice_pub]))
        assert (result.verdict, result.tier) == ("allow", 3), result.findings
        assert result.signer["identity"] == "alice@example.test"
        assert result.signer["fingerprint"] == alice
    # a binary keyring works too
    (tmp_path / "alice.gpg").write_bytes(dearmor(alice_pub.read_bytes()))
    assert audit_at(repo, "v1", policy(tmp_path, [tmp_path / "alice.gpg"])).tier == 3
    # signed, but not by a key the policy names
    wrong = audit_at(repo, "v1", policy(tmp_path, [other_pub]))
    assert wrong.verdict == "block" and wrong.findings[0].rule == "signature-invalid"
    assert "not one of the policy's gpg_keys" in wrong.findings[0].evidence
    # no gpg_keys at all: GPG signatures cannot be trusted
    none = audit_at(repo, "v1", policy(tmp_path, None))
    assert none.verdict == "block" and "names no gpg_keys" in none.findings[0].evidence
    # the key revoked by its OpenPGP fingerprint (spaced as gpg prints it)
    spaced = " ".join(alice[i:i + 4] for i in range(0, 40, 4))
    (tmp_path / "revoked.txt").write_text(f"{spaced}  # alice's laptop\n")
    revoked = audit_at(repo, "v1", policy(tmp_path, [alice_pub], revoked="revoked.txt"))
    assert revoked.verdict == "block" and "revoked" in revoked.findings[0].evidence
    assert alice in revoked.findings[0].evidence


def test_expired_key_and_changed_payload(tmp_path: Path, gpg: Gpg) -> None:
    old = gpg.key("Old <old@example.test>", expire="1d", when="20200101T000000")
    repo = signed_repo(tmp_path, gpg, old, faked="20200101T120000")
    keys = gpg.export(old, tmp_path / "old.asc")
    expired = audit_at(repo, "v1", policy(tmp_path, [keys]))
    assert expired.verdict == "block" and "expired" in expired.findings[0].evidence
    # gpgv itself: a changed payload is a bad signature
    alice = gpg.key("Alice2 <alice2@example.test>")
    payload = b"tree 0000\n\nmessage\n"
    (tmp_path / "p").write_bytes(payload)
    gpg.gpg("--local-user", alice, "--armor", "--detach-sign", "--output",
            str(tmp_path / "p.asc"), str(tmp_path / "p"))
    ring = load_keys([gpg.export(alice, tmp_path / "a2.asc")])
    signature = (tmp_path / "p.asc").read_text()
    assert verify(payload, signature, ring).ok
    bad = verify(payload + b"x", signature, ring)
    assert not bad.ok and "BADSIG" in bad.problem


def test_gpg_key_files_and_status_lines(tmp_path: Path) -> None:
    (tmp_path / "junk.asc").write_text("hello\n")
    with pytest.raises(PolicyError, match="not an OpenPGP public key"):
        policy(tmp_path, [tmp_path / "junk.asc"])
    with pytest.raises(PolicyError, match="gpg_keys must be"):
        policy_from_dict({"signing": {"gpg_keys": 3}}, RULES, tmp_path)
    assert not parse_status("").ok
    assert not parse_status("[GNUPG:] GOODSIG 1234 A <a@b>\n").ok  # no VALIDSIG: not good
