"""Hostile uploads: each a clear 4xx JSON error and nothing stored."""

from __future__ import annotations

import gzip
import io
import socket
import tarfile
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillyard.registry import UploadError, UploadLimits, pack_folder, read_upload
from support.registry import client, running, skill_folder, token

SKILL_MD = b"---\nname: pdf-forms\ndescription: Fill PDF forms. Use for PDF forms.\n---\n# x\n"


def _tar(members: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for item in members:
            if isinstance(item, tarfile.TarInfo):
                tar.addfile(item)
            else:
                info = tarfile.TarInfo(item[0])
                info.size = len(item[1])
                tar.addfile(info, io.BytesIO(item[1]))
    return raw.getvalue()


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def _zip(entries: dict[str, bytes], symlink: str | None = None) -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            z.writestr(info, "/etc/passwd")
    return raw.getvalue()


def _bomb() -> bytes:
    zeros = b"\0" * (400 * 1024)
    return _tar([("pdf-forms/SKILL.md", SKILL_MD)] +
                [(f"pdf-forms/pad{i}.bin", zeros) for i in range(20)])


CASES = {
    "zip-slip": (_tar([("SKILL.md", SKILL_MD), ("../../evil.sh", b"x")]), 400, "'..'"),
    "absolute": (_tar([("SKILL.md", SKILL_MD), ("/etc/cron.d/x", b"x")]), 400, "absolute"),
    "symlink": (_tar([("SKILL.md", SKILL_MD), _link("key", "/root/.ssh/id_rsa")]), 400, "link"),
    "hardlink": (_tar([("SKILL.md", SKILL_MD), _link("h", "SKILL.md", tarfile.LNKTYPE)]), 400,
                 "link"),
    "device": (_tar([("SKILL.md", SKILL_MD), _link("dev", "", tarfile.CHRTYPE)]), 400,
               "not a regular file"),
    "zip-symlink": (_zip({"SKILL.md": SKILL_MD}, symlink="creds"), 400, "link"),
    "zip-slip-zip": (_zip({"SKILL.md": SKILL_MD, "../x": b"1"}), 400, "'..'"),
    "bomb": (_bomb(), 413, "bomb"),
    "huge-file": (_tar([("SKILL.md", SKILL_MD), ("big.bin", b"\0" * (600 * 1024))]), 413,
                  "limit"),
    "no-skill-md": (_tar([("README.md", b"# hi\n")]), 400, "no SKILL.md"),
    "garbage": (b"this is not an archive at all" * 10, 400, "not a readable"),
    "truncated": (_tar([("SKILL.md", SKILL_MD), ("a.md", b"y" * 5000)])[:60], 400, ""),
    "empty": (b"", 400, "empty"),
    "duplicate": (_tar([("SKILL.md", SKILL_MD), ("SKILL.md", SKILL_MD)]), 400, "twice"),
    # a name byte that is not UTF-8 (tarfile reads it back as a surrogate)
    "not-utf8-name": (_tar([("SKILL.md", SKILL_MD), ("scr\udcffipt.sh", b"x")]), 400,
                      "not UTF-8"),
}


@pytest.fixture
def served(tmp_path: Path):
    with running(str(tmp_path / "r.db"), web=False, max_upload=512 * 1024) as (url, registry):
        yield url, registry, token(registry, "publish", "team/*")


def test_hostile_archives_are_refused_and_nothing_stored(served) -> None:
    url, registry, tok = served
    with client() as c:
        for case, (data, status, words) in CASES.items():
            r = c.post(f"{url}/api/v1/skills/team/pdf-forms/versions", content=data,
                       headers={"Authorization": f"Bearer {tok}"})
            assert r.status_code == status, (case, r.text)
            assert words in r.json()["error"], (case, r.json())
    assert registry.store.stats()["skills"] == 0
    assert registry.store.query("SELECT COUNT(*) FROM registry_versions")[0][0] == 0


def test_oversized_upload_and_wrong_name(served, tmp_path: Path) -> None:
    url, registry, tok = served
    auth = {"Authorization": f"Bearer {tok}"}
    with client() as c:
        big = c.post(f"{url}/api/v1/skills/team/pdf-forms/versions",
                     content=b"\x1f\x8b" + b"\0" * (600 * 1024), headers=auth)
        assert big.status_code == 413 and "limit" in big.json()["error"]
        folder = skill_folder(tmp_path / "s")
        wrong = c.post(f"{url}/api/v1/skills/team/other-name/versions",
                       content=pack_folder(folder), headers=auth)
        assert wrong.status_code == 400 and "must match" in wrong.json()["error"]
        bad_ns = c.post(f"{url}/api/v1/skills/Team_X/pdf-forms/versions",
                        content=pack_folder(folder), headers=auth)
        assert bad_ns.status_code in (400, 403)
    assert registry.store.stats()["skills"] == 0


def test_a_json_body_that_is_not_text_is_one_clear_400(served) -> None:
    """A lone surrogate escape (or a NUL) in a JSON body is refused by name, before anything
    echoes it or stores it."""
    url, registry, tok = served
    auth = {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"}
    with client() as c:
        for body in (b'{"rule": "x\\ud800", "reason": "r"}', b'{"reason": "a\\u0000b"}'):
            r = c.post(f"{url}/api/v1/skills/team/pdf-forms/acceptances", content=body,
                       headers=auth)
            assert r.status_code == 400, r.text
            assert "lone surrogate" in r.json()["error"]
    assert registry.store.stats()["skills"] == 0


def test_a_publish_cut_off_halfway_stores_nothing(served, tmp_path: Path) -> None:
    url, registry, tok = served
    data = pack_folder(skill_folder(tmp_path / "s", files={"big.txt": "z" * 200_000}))
    host = urlsplit(url)
    with socket.create_connection((host.hostname, host.port)) as sock:
        head = (f"POST /api/v1/skills/team/pdf-forms/versions HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {tok}\r\nContent-Length: {len(data)}\r\n\r\n")
        sock.sendall(head.encode() + data[: len(data) // 2])  # the client dies mid-upload
    with client() as c:  # the server is still fine, and nothing was stored
        assert c.get(f"{url}/api/v1/skills", headers={"Authorization": f"Bearer {tok}"}
                     ).json()["skills"] == []
    assert registry.store.stats()["skills"] == 0


def test_a_failure_inside_the_publish_transaction_rolls_everything_back(
        served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, registry, tok = served

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk went away")  # a test double for a write that fails mid-transaction

    monkeypatch.setattr(registry.log, "record", broken)
    with client() as c:
        r = c.post(f"{url}/api/v1/skills/team/pdf-forms/versions",
                   content=pack_folder(skill_folder(tmp_path / "s")),
                   headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 500 and r.json()["error"].startswith("internal error")
    assert registry.store.stats() == {"skills": 0, "versions": 0, "blobs": 0, "blob_bytes": 0}
    assert registry.store.query("SELECT COUNT(*) FROM registry_versions")[0][0] == 0
    assert registry.store.query("SELECT COUNT(*) FROM audit_skills")[0][0] == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_read_upload_never_crashes(data: bytes) -> None:
    for blob in (data, gzip.compress(data)):
        try:
            files = read_upload(blob, UploadLimits(max_upload=64 * 1024))
        except UploadError:
            continue
        assert "SKILL.md" in files
