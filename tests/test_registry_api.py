"""The registry over real HTTP: publish, search, get, download, yank, audit, appeal, log."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import httpx2 as httpx
import pytest

from skillyard.registry import pack_folder
from support.registry import blocked_folder, client, running, skill_folder, token


def _publish(client: httpx.Client, url: str, tok: str, folder: Path, ns: str = "team"):
    name = folder.name
    return client.post(f"{url}/api/v1/skills/{ns}/{name}/versions", content=pack_folder(folder),
                       headers={"Authorization": f"Bearer {tok}",
                                "Content-Type": "application/gzip"})


def test_publish_search_get_download_roundtrip(tmp_path: Path) -> None:
    with running(str(tmp_path / "reg.db"), web=False) as (url, registry), client() as c:
        pub = token(registry, "publish", "team/*", name="alice")
        read = token(registry, "read", "team/*")
        folder = skill_folder(tmp_path / "src", version="1.0.0")
        r = _publish(c, url, pub, folder)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["skill"] == "team/pdf-forms" and body["version"] == "1.0.0"
        assert body["publisher"] == "alice" and body["verdict"] in ("allow", "warn")
        auth = {"Authorization": f"Bearer {read}"}

        found = c.get(f"{url}/api/v1/search", params={"q": "fill in a PDF form"},
                      headers=auth).json()
        assert found["results"][0]["skill"] == "team/pdf-forms"
        assert "tier" in found["results"][0] and found["abstain"] is False

        got = c.get(f"{url}/api/v1/skills/team/pdf-forms", headers=auth).json()
        manifest = {f["path"]: f for f in got["files"]}
        assert set(manifest) == {"SKILL.md", "references/fields.md"}
        data = (folder / "references/fields.md").read_bytes()
        assert manifest["references/fields.md"]["sha256"] == hashlib.sha256(data).hexdigest()
        assert manifest["references/fields.md"]["size"] == len(data)

        f = c.get(f"{url}/api/v1/skills/team/pdf-forms/versions/1.0.0/files/references/"
                  "fields.md", headers=auth)
        assert f.content == data

        a = c.get(f"{url}/api/v1/skills/team/pdf-forms/versions/latest/archive", headers=auth)
        assert a.status_code == 200
        assert a.headers["x-archive-sha256"] == hashlib.sha256(a.content).hexdigest()
        assert a.headers["x-skillyard-digest"] == got["digest"]
        with tarfile.open(fileobj=io.BytesIO(a.content)) as tar:
            assert sorted(tar.getnames()) == ["pdf-forms/SKILL.md",
                                              "pdf-forms/references/fields.md"]
        again = c.get(f"{url}/api/v1/skills/team/pdf-forms/versions/1.0.0/archive",
                      headers=auth)
        assert again.content == a.content  # reproducible

        spec = c.get(f"{url}/api/v1/openapi.json").json()
        assert spec["openapi"].startswith("3.") and "/api/v1/search" in spec["paths"]


def test_versions_duplicate_yank_and_diff(tmp_path: Path) -> None:
    with running(str(tmp_path / "reg.db"), web=False) as (url, registry), client() as c:
        pub = token(registry, "publish", "team/*")
        auth = {"Authorization": f"Bearer {pub}"}
        assert _publish(c, url, pub, skill_folder(tmp_path / "v1", version="1.0")).status_code \
            == 201
        dup = _publish(c, url, pub, skill_folder(tmp_path / "v1b", version="1.0",
                                                 body="\n# Changed\n"))
        assert dup.status_code == 409 and "already has version 1.0" in dup.json()["error"]
        v2 = _publish(c, url, pub, skill_folder(tmp_path / "v2", version="2.0",
                                                body="\n# PDF forms v2\n\nNew steps.\n"))
        assert v2.status_code == 201
        d = c.get(f"{url}/api/v1/skills/team/pdf-forms/diff", params={"from": "1.0", "to": "2.0"},
                  headers=auth).json()
        changed = {f["path"]: f for f in d["files"]}
        assert changed["SKILL.md"]["status"] == "changed"
        assert any(line.startswith("+# PDF forms v2") for line in changed["SKILL.md"]["diff"])

        y = c.post(f"{url}/api/v1/skills/team/pdf-forms/versions/2.0/status",
                   json={"status": "yanked", "reason": "broken steps"}, headers=auth)
        assert y.json()["status"] == "yanked"
        latest = c.get(f"{url}/api/v1/skills/team/pdf-forms", headers=auth).json()
        assert latest["version"] == "1.0"  # yanked versions leave latest
        pinned = c.get(f"{url}/api/v1/skills/team/pdf-forms/versions/2.0", headers=auth)
        assert pinned.json()["status"] == "yanked"  # still fetchable by name
        log = registry.log.entries()
        assert [e.action for e in log][:3] == ["yanked", "publish", "publish"]
        assert all("syk_" not in str(e.to_dict()) for e in log)


def test_blocked_publish_is_refused_with_findings_and_appeal(tmp_path: Path) -> None:
    with running(str(tmp_path / "reg.db"), web=False) as (url, registry), client() as c:
        pub = token(registry, "publish", "team/*")
        admin = token(registry, "admin", "team/*", name="sec-lead")
        folder = blocked_folder(tmp_path / "src")
        r = _publish(c, url, pub, folder)
        assert r.status_code == 422
        report = r.json()["report"]
        assert report["verdict"] == "block" and report["findings"]
        assert c.get(f"{url}/api/v1/skills", headers={"Authorization": f"Bearer {pub}"}
                     ).json()["skills"] == []  # nothing stored
        assert registry.store.stats()["skills"] == 0

        blocking = [f for f in report["findings"] if f["severity"] in ("high", "critical")]
        refused_accept = c.post(f"{url}/api/v1/skills/team/table-helper/acceptances",
                                json={"digest": report["digest"], "rule": blocking[0]["rule"],
                                      "file": blocking[0]["file"], "reason": "reviewed"},
                                headers={"Authorization": f"Bearer {pub}"})
        assert refused_accept.status_code == 403  # publish role cannot accept
        for finding in blocking:
            ok = c.post(f"{url}/api/v1/skills/team/table-helper/acceptances",
                        json={"digest": report["digest"], "rule": finding["rule"],
                              "file": finding["file"], "reason": "installer host is ours"},
                        headers={"Authorization": f"Bearer {admin}"})
            assert ok.status_code in (200, 403), ok.text
        if any(f.get("fail_closed") for f in blocking):
            pytest.skip("the specimen's blocking finding is fail-closed")
        again = _publish(c, url, pub, folder)
        assert again.status_code == 201, again.text
        audit = c.get(f"{url}/api/v1/skills/team/table-helper/versions/latest/audit",
                      headers={"Authorization": f"Bearer {pub}"}).json()
        assert audit["acceptances"] and audit["acceptances"][0]["by"].startswith("sec-lead")
        assert any(f.get("accepted") for f in audit["findings"])
        actions = [e.action for e in registry.log.entries()]
        assert "publish-refused" in actions and "accept-finding" in actions


def test_reaudit_records_and_logs(tmp_path: Path) -> None:
    with running(str(tmp_path / "reg.db"), web=False) as (url, registry), client() as c:
        pub = token(registry, "publish", "team/*")
        _publish(c, url, pub, skill_folder(tmp_path / "s"))
        r = c.post(f"{url}/api/v1/skills/team/pdf-forms/versions/latest/audit",
                   headers={"Authorization": f"Bearer {pub}"})
        assert r.status_code == 200 and r.json()["verdict"] in ("allow", "warn")
        assert registry.log.entries()[0].action == "reaudit"
