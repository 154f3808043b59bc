"""The Agent Skills discovery index v0.2.0 (``/.well-known/agent-skills/index.json``) over
real HTTP: every entry's artifact fetched from its URL and checked against its digest; a
private namespace hidden without a token and listed with one."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path
from urllib.parse import urljoin

import httpx2 as httpx

from skillyard.registry import Registry, pack_folder
from skillyard.registry.discovery import SCHEMA
from support.registry import LOCAL_ADMIN, client, running, skill_folder, token

INDEX = "/.well-known/agent-skills/index.json"


def _publish(registry: Registry, folder: Path, ns: str) -> None:
    registry.publish(LOCAL_ADMIN, f"{ns}/{folder.name}", pack_folder(folder))


def _fetch_all(c: httpx.Client, index_url: str, headers: dict[str, str] | None = None
               ) -> dict[str, tuple[dict, bytes]]:
    """name -> (entry, verified artifact bytes), as a client following the spec does."""
    r = c.get(index_url, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert doc["$schema"] == SCHEMA and set(doc) == {"$schema", "skills"}
    out = {}
    for entry in doc["skills"]:
        assert {"name", "type", "description", "url", "digest"} <= set(entry)
        assert entry["type"] in ("skill-md", "archive")
        assert entry["digest"].startswith("sha256:") and len(entry["digest"]) == 71
        got = c.get(urljoin(index_url, entry["url"]), headers=headers)  # RFC 3986
        assert got.status_code == 200, (entry, got.text)
        assert f"sha256:{hashlib.sha256(got.content).hexdigest()}" == entry["digest"]
        kind = got.headers["content-type"]
        assert kind.startswith("text/markdown" if entry["type"] == "skill-md"
                               else "application/gzip")
        out[entry["name"]] = (entry, got.content)
    return out


def test_index_entries_fetch_and_verify(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), web=False, anonymous_read=("team/*",)) as (
            url, registry), client() as c:
        multi = skill_folder(tmp_path / "a", version="1.2.0")
        single = skill_folder(tmp_path / "b", "tidy-notes", files={},
                              description="Tidy meeting notes. Use when notes are messy.")
        _publish(registry, multi, "team")
        _publish(registry, single, "team")
        _publish(registry, skill_folder(tmp_path / "c", "vault-keys", files={},
                                        description="Rotate vault keys. Use for rotation."),
                 "secret")

        found = _fetch_all(c, url + INDEX)
        assert sorted(found) == ["pdf-forms", "tidy-notes"]  # secret/ is not readable
        entry, data = found["tidy-notes"]
        assert entry["type"] == "skill-md" and entry["url"] == "tidy-notes/SKILL.md"
        assert data == (single / "SKILL.md").read_bytes()
        assert entry["description"] == "Tidy meeting notes. Use when notes are messy."
        assert "version" not in entry  # label "1" is not a semantic version

        entry, data = found["pdf-forms"]
        assert entry["type"] == "archive" and entry["url"] == "pdf-forms.tar.gz"
        assert entry["version"] == "1.2.0"
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            members = {m.name: m for m in tar.getmembers()}
            assert sorted(members) == ["SKILL.md", "references/fields.md"]  # at the root
            assert all(m.isfile() for m in members.values())
            for name in members:
                extracted = tar.extractfile(name)
                assert extracted is not None
                assert extracted.read() == (multi / name).read_bytes()
        again = c.get(f"{url}/.well-known/agent-skills/pdf-forms.tar.gz")
        assert again.content == data  # the same bytes every time (the digest holds)
        head = c.head(f"{url}/.well-known/agent-skills/pdf-forms.tar.gz")
        assert head.status_code == 200 and head.headers["etag"].strip('"') in entry["digest"]

        # per namespace, relative URLs resolve under the namespace's prefix
        team = _fetch_all(c, f"{url}/team{INDEX}")
        assert {n: e["digest"] for n, (e, _) in team.items()} == {
            n: e["digest"] for n, (e, _) in found.items()}
        for missing in ("/.well-known/agent-skills/nope/SKILL.md",
                        "/.well-known/agent-skills/tidy-notes.tar.gz",  # a skill-md skill
                        "/secret/.well-known/agent-skills/vault-keys/SKILL.md"):
            assert c.get(url + missing).status_code == 404, missing


def test_a_private_namespace_is_hidden_without_a_token(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), web=False, anonymous_read=("public/*",)) as (
            url, registry), client() as c:
        _publish(registry, skill_folder(tmp_path / "a"), "private")
        _publish(registry, skill_folder(tmp_path / "b", "tidy-notes", files={}), "public")
        anonymous = _fetch_all(c, f"{url}/private{INDEX}")
        assert anonymous == {}
        assert sorted(_fetch_all(c, url + INDEX)) == ["tidy-notes"]
        assert c.get(f"{url}/private/.well-known/agent-skills/pdf-forms.tar.gz"
                     ).status_code == 404

        auth = {"Authorization": f"Bearer {token(registry, 'read', 'private/*')}"}
        mine = _fetch_all(c, f"{url}/private{INDEX}", auth)
        assert sorted(mine) == ["pdf-forms"] and mine["pdf-forms"][0]["type"] == "archive"
        assert sorted(_fetch_all(c, url + INDEX, auth)) == ["pdf-forms", "tidy-notes"]
        bad = c.get(url + INDEX, headers={"Authorization": "Bearer syk_nope"})
        assert bad.status_code == 401


def test_no_anonymous_read_means_a_token_is_needed(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), web=False) as (url, registry), client() as c:
        _publish(registry, skill_folder(tmp_path / "a"), "team")
        assert c.get(url + INDEX).status_code == 401
        auth = {"Authorization": f"Bearer {token(registry, 'read', '*')}"}
        assert sorted(_fetch_all(c, url + INDEX, auth)) == ["pdf-forms"]
        # the v1 index keeps working beside it
        v1 = c.get(f"{url}/.well-known/skills/index.json", headers=auth).json()
        assert [s["name"] for s in v1["skills"]] == ["pdf-forms"]
