"""Text that cannot be written as UTF-8 (skillyard/utf8.py): lone surrogates (a JSON escape
without its pair, or a byte the OS could not decode) and NUL, at the places that hash, write
or send text. The end-to-end cases are in test_hardening_cli.py, test_backends_parity.py,
test_route_cli.py and test_registry_hostile.py."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillyard import utf8
from skillyard.audit.model import AuditResult, Finding
from skillyard.audit.sarif import to_sarif
from skillyard.errors import SkillyardError, SourceError
from skillyard.evaluate.tasks import load_tasks
from skillyard.install.lockfile import LockfileError, parse_lock
from skillyard.sources.registry import RegistryClient, save_token
from skillyard.sources.siteunpack import unpack
from support.evaltasks import harbor_task

ANY_TEXT = st.lists(st.characters(codec=None, categories=["Cs"]) | st.characters(),
                    max_size=20).map("".join)


@given(ANY_TEXT)
def test_readable_and_shown_can_always_be_written(text: str) -> None:
    readable = utf8.readable(text)
    readable.encode("utf-8")
    assert len(readable) == len(text) and (readable == text) == utf8.is_utf8(text)
    shown = utf8.shown(text)
    shown.encode("utf-8")
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in shown)
    assert (utf8.not_text_at({"k": [text]}) is None) == (utf8.is_utf8(text) and "\0" not in text)


def test_shown_names_the_bytes_as_ls_does() -> None:
    assert utf8.shown(os.fsdecode(b"scr\xffipt.sh")) == "scr\\xffipt.sh"
    assert utf8.shown("a\ud800b\x00") == "a\\ud800b\\x00"
    assert utf8.not_text_at({"skills": {"a": {"files": {"x\udcff": 1}}}}) == \
        "skills.a.files.x\\xff"


def _tar(name: str) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for member, data in (("SKILL.md", b"---\nname: a\ndescription: b\n---\n"),
                             (name, b"x")):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def test_site_archives_refuse_member_names_that_are_not_utf8() -> None:
    with pytest.raises(SourceError, match=r"member name 'run\\xff.sh' is not UTF-8 text"):
        unpack(_tar(os.fsdecode(b"run\xff.sh")), "https://example.com/a.tar.gz")
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        for name in ("SKILL.md", "b\u00e9.txt"):  # a name beyond ASCII: flagged UTF-8
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, "---\nname: a\ndescription: b\n---\n")
    data = raw.getvalue().replace("\u00e9".encode(), b"\xff\xfe")  # ... and then it is not
    with pytest.raises(SourceError, match="not a readable .zip archive"):
        unpack(data, "https://example.com/a.zip")


def test_sarif_of_a_finding_in_a_file_the_os_could_not_decode() -> None:
    name = os.fsdecode(b"skills/caf\xe9")
    finding = Finding("exec-remote", "EX", "high", os.fsdecode(b"run\xff.sh"), 1,
                      "curl | sh", "why", "fix")
    sarif = to_sarif([AuditResult(name, "cafe", "d" * 64, "block", 0, [finding])])
    (result,) = sarif["runs"][0]["results"]
    assert len(result["partialFingerprints"]["skillyardFinding/v1"]) == 64


def test_a_task_with_a_file_name_that_is_not_utf8_loads(tmp_path: Path) -> None:
    folder = harbor_task(tmp_path / "tasks", "t1")
    with open(os.path.join(os.fsencode(folder), b"data\xff.txt"), "wb") as handle:
        handle.write(b"x")
    (task,) = load_tasks(tmp_path / "tasks").tasks
    assert task.id == "t1" and len(task.digest) == 64


def test_a_lockfile_never_records_what_it_would_refuse(tmp_path: Path) -> None:
    lock = {"lockfile": 2, "skills": {"a": {
        "audit": {"findings": 0, "tier": 2, "verdict": "allow"},
        "digest": "dbbcbc5c646200e1718856c03c221915f50e2fc30f6c558fba62860df4b82974",
        "files": {"SKILL.md": {"size": 83, "sha256": "9bf303faa61f2d30f6ce5f01ae5e9f3b0810c09b"
                                                     "fe7e44dc66413410f86238fa"}},
        "id": "dir:/x/a", "override": None,
        "source": {"kind": "folder", "location": "../x/a", "path": ""}}}}
    parsed = parse_lock(json.dumps(lock), tmp_path / "skillyard.lock")
    skill = parsed.skills["a"]
    parsed.skills["a"] = dataclasses.replace(skill, id="dir:/x/a\udcff")
    with pytest.raises(LockfileError, match=r"cannot record skills.a.id"):
        parsed.save()
    assert not (tmp_path / "skillyard.lock").exists()


def test_the_registry_client_refuses_what_it_cannot_send(tmp_path: Path) -> None:
    client = RegistryClient("http://127.0.0.1:9", token="syk_ok")
    with pytest.raises(SkillyardError, match=r"'http://127.0.0.1:9/api/v1/skills/t/x\\xff"):
        client.describe(os.fsdecode(b"t/x\xff"))
    with pytest.raises(SkillyardError, match="characters a token never has"):
        RegistryClient("http://127.0.0.1:9", token="syk_\u00e9").info()
    with pytest.raises(SkillyardError, match="characters a token never has"):
        save_token("http://127.0.0.1:9", "syk_\udcff", tmp_path / "registries.json")
    assert not (tmp_path / "registries.json").exists()
