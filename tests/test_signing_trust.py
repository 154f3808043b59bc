"""Trust that follows the verified signer: revoked keys (an OpenSSH KRL or a fingerprint list)
are untrusted everywhere a signature is verified (audit, verify-signature, index, install,
registry, serve); `index` checks signatures; the registry's tier uses the signer's ceiling; the
in-process verifier decides exactly as ssh-keygen does."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import write_skill
from skillyard import Library
from skillyard.audit import Auditor, load_rules
from skillyard.audit.policy import PolicyError, policy_from_dict
from skillyard.provenance import AllowedSigners, sshsig
from skillyard.provenance.fastsig import check_fast
from skillyard.provenance.revocation import load_revocation, parse_list
from skillyard.sources.folders import load_skill_dir
from skillyard.sources.sign import sign_folder
from test_signing import keys_fpr, run

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
RULES = load_rules()


def keygen(folder: Path, name: str, kind: str = "ed25519") -> tuple[Path, str]:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", name, "-f", str(key)],
                   check=True, capture_output=True)
    return key, " ".join(key.with_suffix(".pub").read_text().split()[:2])


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    where = tmp_path_factory.mktemp("keys")
    out = {name: keygen(where, name) for name in ("alice", "mallory")}
    out["erin"] = keygen(where, "erin", "ecdsa")
    out["rsa"] = keygen(where, "rsa", "rsa")
    return out


def krl(tmp_path: Path, keys, name: str) -> Path:
    """A real KRL made by ssh-keygen -k that revokes ``name``'s key."""
    out = tmp_path / f"revoked-{name}.krl"
    subprocess.run(["ssh-keygen", "-q", "-k", "-f", str(out), str(keys[name][0]) + ".pub"],
                   check=True, capture_output=True)
    return out


def write_policy(tmp_path: Path, keys, revoked: str | None = None, **extra: str) -> Path:
    text = "".join(f'[[signers]]\nid = "{n}@example.test"\nkey = "{keys[n][1]}"\nceiling = 3\n'
                   for n in ("alice", "mallory"))
    signing = {**({"revoked": revoked} if revoked else {}), **extra}
    if signing:
        text += "[signing]\n" + "".join(f"{k} = {v if v in ('true', 'false') else repr(v)}\n"
                                        for k, v in signing.items())
    path = tmp_path / "policy.toml"
    path.write_text(text.replace("'", '"'))
    return path


def test_in_process_check_decides_as_ssh_keygen(tmp_path: Path, keys) -> None:
    message = b"skillyard-skill-signature v1\ndigest sha256:00\n"
    for who in ("alice", "erin", "rsa"):
        signature = sshsig.sign(message, keys[who][0], "skillyard-skill@v1")
        krl_file = krl(tmp_path, keys, who)
        for options in ("", 'namespaces="git"', 'namespaces="skillyard-*"',
                        'valid-before="20200101"', 'valid-after="20990101Z"'):
            line = f"{who}@example.test {options} {keys[who][1]}"
            for revoked in (None, load_revocation(krl_file)):
                signers = AllowedSigners.parse(line)
                if revoked is not None:
                    signers = signers.with_revoked(revoked)
                for msg in (message, message + b"x"):
                    for ns in ("skillyard-skill@v1", "git"):
                        fast = check_fast(msg, signature, ns, signers)
                        slow = sshsig.check_keygen(msg, signature, ns, signers)
                        assert fast is not None
                        assert (fast.ok, fast.kind, fast.principal) == \
                            (slow.ok, slow.kind, slow.principal), (who, options, revoked, ns)
    # what the in-process path does not cover goes to ssh-keygen (a CA line here)
    ca = AllowedSigners.parse(f"*@example.test cert-authority {keys['alice'][1]}")
    assert check_fast(message, sshsig.sign(message, keys["alice"][0], "skillyard-skill@v1"),
                      "skillyard-skill@v1", ca) is None


def test_revoked_key_blocks_in_the_audit(tmp_path: Path, keys) -> None:
    folder = write_skill(tmp_path / "src", "tool", files={"scripts/run.sh": "echo hi\n"})
    sign_folder(folder, keys["alice"][0])
    skill = load_skill_dir(folder)
    base = {"signers": [{"id": "alice@example.test", "key": keys["alice"][1], "ceiling": 3}]}
    [ok] = Auditor(policy=policy_from_dict(base, RULES)).run([(skill, "")])
    assert (ok.verdict, ok.tier) == ("allow", 3)
    # the same key revoked by a KRL, then by a plain fingerprint list: blocked, key named
    (tmp_path / "fprs.txt").write_text(f"# revoked after the leak\n{keys_fpr(keys, 'alice')}\n")
    for revoked in (krl(tmp_path, keys, "alice").name, "fprs.txt"):
        pol = policy_from_dict({**base, "signing": {"revoked": revoked}}, RULES, tmp_path)
        [bad] = Auditor(policy=pol).run([(skill, "")])
        assert (bad.verdict, bad.tier, bad.signer) == ("block", 0, None)
        assert bad.findings[0].rule == "signature-invalid"
        assert "revoked" in bad.findings[0].evidence
        assert keys_fpr(keys, "alice") in bad.findings[0].evidence
        assert pol.digest != policy_from_dict(base, RULES).digest  # cached verdicts expire
    # mallory revoked: alice still verifies
    pol = policy_from_dict({**base, "signing": {"revoked": krl(tmp_path, keys, "mallory").name}},
                           RULES, tmp_path)
    assert Auditor(policy=pol).run([(skill, "")])[0].tier == 3
    (tmp_path / "junk.txt").write_text("not a fingerprint\n")
    for bad_file, message in (("junk.txt", "junk.txt line 1"), ("missing", "no such")):
        with pytest.raises(PolicyError, match=message):
            policy_from_dict({"signing": {"revoked": bad_file}}, RULES, tmp_path)


def test_revocation_list_forms(keys) -> None:
    pub = keys["alice"][1]
    fpr = keys_fpr(keys, "alice")
    for text in (fpr, f"hash: {fpr}", pub + " alice", f"key: {pub}"):
        assert parse_list(text).ssh == {fpr}, text
    pgp = parse_list("0123 4567 89AB CDEF 0123  4567 89ab cdef 0123 4567")
    assert pgp.pgp_revoked("0123456789ABCDEF0123456789ABCDEF01234567")


def test_verify_signature_and_index_report_revoked_and_tampered(tmp_path: Path, keys) -> None:
    tree = tmp_path / "skills"
    good = write_skill(tree, "good", files={"scripts/run.sh": "echo hi\n"})
    sign_folder(good, keys["alice"][0])
    gone = write_skill(tree, "gone", files={"scripts/run.sh": "echo hi\n"})
    sign_folder(gone, keys["mallory"][0])
    write_skill(tree, "plain")
    pol = write_policy(tmp_path, keys, revoked=krl(tmp_path, keys, "mallory").name)
    out = run(tmp_path, "verify-signature", str(gone), "--policy", str(pol), code=1).stdout
    assert "revoked" in out and keys_fpr(keys, "mallory") in out
    (tmp_path / "allowed").write_text(f"mallory@example.test {keys['mallory'][1]}\n")
    run(tmp_path, "verify-signature", str(gone), "--allowed-signers", "allowed")
    run(tmp_path, "verify-signature", str(gone), "--allowed-signers", "allowed", "--revoked",
        str(krl(tmp_path, keys, "mallory")), code=1)
    (tmp_path / "bad.krl").write_bytes(b"SSHKRL\n\0\0\0\0\2")
    err = run(tmp_path, "verify-signature", str(gone), "--revoked", "bad.krl", code=2).stderr
    assert "KRL" in err
    # index --policy: the revoked signer is a finding (exit 1), the good signer is recorded
    db = str(tmp_path / "lib.db")
    res = json.loads(run(tmp_path, "index", str(tree), "--db", db, "--no-route", "--policy",
                         str(pol), "--json", code=1).stdout)
    assert res["loaded"] == 3
    [finding] = res["signature_findings"]
    assert finding["rule"] == "signature-invalid" and "gone" in finding["skill"]
    assert "revoked" in finding["reason"]
    assert [s["identity"] for s in res["signers"].values()] == ["alice@example.test"]
    with Library(db) as lib:
        assert lib.get("good").provenance.extra["signer"]["identity"] == "alice@example.test"
        assert "signer" not in lib.get("gone").provenance.extra
    # without a policy only tampering is found: a changed file under a signature
    shutil.rmtree(gone)
    run(tmp_path, "index", str(tree), "--db", db, "--no-route")
    (good / "scripts" / "run.sh").write_text("echo changed\n")
    text = run(tmp_path, "index", str(tree), "--db", db, "--no-route", code=1).stdout
    assert "signature-invalid" in text and "scripts/run.sh changed" in text
    # require = true: an unsigned skill is a finding too; a bad policy is an input error
    sign_folder(good, keys["alice"][0])
    req = write_policy(tmp_path, keys, require="true")
    res = json.loads(run(tmp_path, "index", str(tree), "--db", db, "--no-route", "--policy",
                         str(req), "--json", code=1).stdout)
    assert [f["rule"] for f in res["signature_findings"]] == ["signature-missing"]
    (tmp_path / "broken.toml").write_text("[signing]\nrevoked = 3\n")
    run(tmp_path, "index", str(tree), "--db", db, "--policy", "broken.toml", code=2)


def test_install_refuses_a_revoked_signer_and_records_an_accepted_change(tmp_path: Path,
                                                                          keys) -> None:
    folder = write_skill(tmp_path / "src", "tool", files={"scripts/run.sh": "echo hi\n"})
    sign_folder(folder, keys["alice"][0])
    proj = tmp_path / "proj"
    proj.mkdir()
    pol = write_policy(tmp_path, keys)
    run(proj, "add", str(folder), "--policy", str(pol))
    fpr_list = tmp_path / "revoked.txt"
    fpr_list.write_text(keys_fpr(keys, "alice") + "\n")
    (tmp_path / "r").mkdir()
    revoked = write_policy(tmp_path / "r", keys, revoked=str(fpr_list))
    err = run(proj, "install", "--policy", str(revoked), code=1).stderr
    assert "signature-invalid" in err or "revoked" in err
    # the key is dropped from the policy: --allow-signer-change accepts and records it
    run(proj, "install", code=1)
    run(proj, "install", "--allow-signer-change")
    lock = json.loads((proj / "skillyard.lock").read_text())["skills"]["tool"]
    assert "signer" not in lock
    run(proj, "install")  # the lockfile now agrees: no refusal


def test_registry_tier_follows_the_verified_signer(tmp_path: Path, keys) -> None:
    from skillyard.registry import Registry
    from skillyard.sources.skill_archive import pack_folder
    from support.registry import LOCAL_ADMIN, skill_folder

    pol = write_policy(tmp_path, keys)
    folder = skill_folder(tmp_path / "src", version="1.0.0")
    with Library(tmp_path / "reg.db") as lib:
        registry = Registry(lib, policy=pol)
        registry._reindex = lambda: None  # type: ignore[method-assign]  # no routing here
        plain = registry.publish(LOCAL_ADMIN, "team/pdf-forms", pack_folder(folder))
        assert plain.tier == 2  # the policy's default ceiling
        text = (folder / "SKILL.md").read_text().replace('"1.0.0"', '"1.0.1"')
        (folder / "SKILL.md").write_text(text)
        sign_folder(folder, keys["alice"][0])
        signed = registry.publish(LOCAL_ADMIN, "team/pdf-forms", pack_folder(folder))
        assert signed.tier == 3  # alice's ceiling, for her verified signature
        shown = registry.describe(LOCAL_ADMIN, "team/pdf-forms", "1.0.1")
        assert shown["signer"]["identity"] == "alice@example.test"
        assert registry.describe(LOCAL_ADMIN, "team/pdf-forms", "1.0.0")["signer"] is None
        from starlette.testclient import TestClient

        from skillyard.registry import create_app

        reader = registry.create_token(LOCAL_ADMIN, role="read", scope="*")[1]
        with TestClient(create_app(registry, web=True)) as web:
            page = web.get("/skills/team/pdf-forms?v=1.0.1",
                           headers={"Authorization": f"Bearer {reader}"})
        assert "signed by <strong>alice@example.test</strong>" in page.text, page.status_code
        # the same upload with alice revoked: blocked, nothing stored
        (tmp_path / "rev").mkdir()
        revoked = write_policy(tmp_path / "rev", keys,
                               revoked=str(krl(tmp_path, keys, "alice")))
        text = (folder / "SKILL.md").read_text().replace('"1.0.1"', '"1.0.2"')
        (folder / "SKILL.md").write_text(text)
        sign_folder(folder, keys["alice"][0])
        strict = Registry(lib, policy=revoked)
        assert strict.describe(LOCAL_ADMIN, "team/pdf-forms", "1.0.1")["signer"] is None
        with pytest.raises(Exception, match="signature-invalid"):
            strict.publish(LOCAL_ADMIN, "team/pdf-forms", pack_folder(folder))


def test_serve_drops_a_revoked_signer(tmp_path: Path, keys) -> None:
    from skillyard.serve import open_served

    folder = write_skill(tmp_path / "src", "tool", files={"scripts/run.sh": "echo hi\n"})
    sign_folder(folder, keys["alice"][0])
    (tmp_path / "rev").mkdir()
    trusted = write_policy(tmp_path, keys)
    revoked = write_policy(tmp_path / "rev", keys, revoked=str(krl(tmp_path, keys, "alice")))
    with Library(tmp_path / "lib.db") as lib:
        lib.index([str(folder.parent)])
        [ok] = [s for s in open_served(lib, policy=trusted).skills.values() if s.name == "tool"]
        assert ok.tier == 3 and ok.signer["identity"] == "alice@example.test"
        assert ok.summary()["signer"]["fingerprint"] == keys_fpr(keys, "alice")  # search_skills
        served = [s for s in open_served(lib, policy=revoked).skills.values() if s.name == "tool"]
        assert all(s.tier == 0 and not s.signer for s in served)
