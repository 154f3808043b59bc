"""Tokens: hashed, shown once, scoped, revocable, expiring; anonymous read off by default;
repeated failures rate-limited."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx2 as httpx
import pytest

from skillyard import Library
from skillyard.registry import AuthError, TokenError, TokenStore, pack_folder
from support.registry import LOCAL_ADMIN, client, running, skill_folder, token


def _pub(c: httpx.Client, url: str, tok: str | None, folder: Path, ns: str):
    headers = {"Authorization": f"Bearer {tok}"} if tok else {}
    return c.post(f"{url}/api/v1/skills/{ns}/{folder.name}/versions",
                  content=pack_folder(folder), headers=headers)


def test_token_store_keeps_only_a_hash(any_db: str) -> None:
    with Library(any_db) as lib:
        tokens = TokenStore(lib.store)
        made, secret = tokens.create(role="publish", scope="team/*", name="ci")
        assert secret.startswith("syk_")
        rows = lib.store.query("SELECT * FROM registry_tokens")
        assert secret not in str(rows) and secret.split("_", 2)[2] not in str(rows)
        assert hashlib.sha256(secret.split("_", 2)[2].encode()).hexdigest() in str(rows)
        assert tokens.verify(secret).id == made.id
        with pytest.raises(AuthError):
            tokens.verify(secret[:-2] + "xx")
        with pytest.raises(AuthError):
            tokens.verify("syk_000000000000_" + "a" * 43)
        with pytest.raises(AuthError):
            tokens.verify("nonsense")
        tokens.revoke(made.id)
        with pytest.raises(AuthError, match="revoked"):
            tokens.verify(secret)
        _, soon = tokens.create(role="read", scope="*", expires="1h")
        lib.store.execute("UPDATE registry_tokens SET expires_at = '2000-01-01T00:00:00.0Z' "
                          "WHERE role = 'read'")
        with pytest.raises(AuthError, match="expired"):
            tokens.verify(soon)
        for bad in ({"role": "root", "scope": "*"}, {"role": "read", "scope": ""},
                    {"role": "read", "scope": "Team/../x"},
                    {"role": "read", "scope": "*", "expires": "2001-01-01"},
                    {"role": "read", "scope": "*", "expires": "soon"}):
            with pytest.raises(TokenError):
                tokens.create(**bad)


def test_roles_scopes_and_anonymous(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), web=False) as (url, registry), client() as c:
        team = token(registry, "publish", "team/*")
        other = token(registry, "publish", "other/*")
        reader = token(registry, "read", "team/*")
        revoked = token(registry, "read", "*")
        registry.tokens.revoke(revoked.split("_")[1])
        folder = skill_folder(tmp_path / "s")
        assert _pub(c, url, team, folder, "team").status_code == 201
        assert _pub(c, url, reader, folder, "team").status_code == 403  # read role
        assert _pub(c, url, team, folder, "other").status_code == 403  # out of scope
        assert _pub(c, url, None, folder, "team").status_code == 401
        assert _pub(c, url, other, folder, "other").status_code == 201

        def get(tok: str | None, path: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {tok}"} if tok else {}
            return c.get(url + path, headers=headers)

        listed = get(reader, "/api/v1/skills").json()["skills"]
        assert [s["skill"] for s in listed] == ["team/pdf-forms"]  # other/* is invisible
        assert get(reader, "/api/v1/skills/other/pdf-forms").status_code == 403
        hits = get(reader, "/api/v1/search?q=fill+a+pdf+form").json()["results"]
        assert {h["skill"] for h in hits} == {"team/pdf-forms"}
        anon = get(None, "/api/v1/skills")
        assert anon.status_code == 401 and "needs a token" in anon.json()["error"]
        assert get(None, "/.well-known/skills/index.json").status_code == 401
        bad = get(revoked, "/api/v1/skills")
        assert bad.status_code == 401 and "revoked" in bad.json()["error"]
        assert bad.headers["www-authenticate"].startswith("Bearer")
        assert get(None, "/api/v1").status_code == 200  # info and OpenAPI are public
        assert get(reader, "/api/v1/log").status_code == 403
        assert get(reader, "/api/v1/tokens").status_code == 403


def test_anonymous_read_of_public_namespace_only(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), anonymous_read=("public/*",), web=False) as (
            url, registry), client() as c:
        admin = token(registry, "admin", "*")
        _pub(c, url, admin, skill_folder(tmp_path / "a"), "public")
        _pub(c, url, admin, skill_folder(tmp_path / "b", name="git-commits",
                                         description="Write commit messages. Use when "
                                         "committing."), "private")
        listed = c.get(f"{url}/api/v1/skills").json()["skills"]
        assert [s["skill"] for s in listed] == ["public/pdf-forms"]
        assert c.get(f"{url}/api/v1/skills/private/git-commits").status_code == 403
        index = c.get(f"{url}/.well-known/skills/index.json").json()
        assert [s["name"] for s in index["skills"]] == ["pdf-forms"]


def test_failed_tokens_are_rate_limited(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), web=False, limit=5) as (url, registry), \
            client() as c:
        good = token(registry, "read", "*")
        codes = [c.get(f"{url}/api/v1/skills", headers={"Authorization": "Bearer syk_x"}
                       ).status_code for _ in range(7)]
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
        limited = c.get(f"{url}/api/v1/skills", headers={"Authorization": f"Bearer {good}"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_admin_token_api_and_log_never_holds_secrets(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), web=False) as (url, registry), client() as c:
        admin = token(registry, "admin", "*", name="root")
        h = {"Authorization": f"Bearer {admin}"}
        made = c.post(f"{url}/api/v1/tokens", json={"role": "read", "scope": "team/*",
                                                    "expires": "30d"}, headers=h)
        assert made.status_code == 201 and made.json()["token"].startswith("syk_")
        secret = made.json()["token"]
        listed = c.get(f"{url}/api/v1/tokens", headers=h).json()["tokens"]
        assert secret not in str(listed)
        assert c.delete(f"{url}/api/v1/tokens/{made.json()['id']}", headers=h).json()[
            "status"] == "revoked"
        log = c.get(f"{url}/api/v1/log", headers=h).json()["entries"]
        assert [e["action"] for e in log][:2] == ["token-revoke", "token-create"]
        assert secret not in str(log) and admin not in str(log)
        assert c.post(f"{url}/api/v1/tokens", json={"role": "god", "scope": "*"},
                      headers=h).status_code == 400


def test_expired_token_over_http_and_well_known_per_namespace(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), web=False) as (url, registry), client() as c:
        admin = token(registry, "admin", "*")
        for ns in ("team", "other"):
            assert _pub(c, url, admin, skill_folder(tmp_path / ns), ns).status_code == 201
        expiring = token(registry, "read", "*", expires="1h")
        registry.store.execute("UPDATE registry_tokens SET expires_at = "
                               "'2000-01-01T00:00:00.000000Z' WHERE role = 'read'")
        gone = c.get(f"{url}/api/v1/skills", headers={"Authorization": f"Bearer {expiring}"})
        assert gone.status_code == 401 and "expired" in gone.json()["error"]

        h = {"Authorization": f"Bearer {admin}"}
        root = c.get(f"{url}/.well-known/skills/index.json", headers=h).json()
        assert [s["name"] for s in root["skills"]] == ["pdf-forms"]  # one per name at the root
        team = c.get(f"{url}/team/.well-known/skills/index.json", headers=h).json()
        entry = team["skills"][0]
        assert entry["name"] == "pdf-forms" and "SKILL.md" in entry["files"]
        assert entry["description"].startswith("Fill and extract")
        md = c.get(f"{url}/team/.well-known/skills/pdf-forms/SKILL.md", headers=h)
        assert md.status_code == 200 and md.text.startswith("---\nname: pdf-forms")
        ref = c.get(f"{url}/other/.well-known/skills/pdf-forms/references/fields.md", headers=h)
        assert ref.status_code == 200 and "checkbox" in ref.text
        assert c.get(f"{url}/team/.well-known/skills/pdf-forms/../../x", headers=h
                     ).status_code in (400, 404)


def test_refused_tokens_publish_nothing_even_when_cached(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrong secret, expired, revoked, out of scope, read role: each a 4xx JSON error and
    nothing stored, also after the right token was verified (and cached) a moment before."""
    from skillyard.registry import tokens as tokens_mod

    with running(str(tmp_path / "r.db"), web=False, limit=50) as (url, registry), \
            client() as c:
        good = token(registry, "publish", "team/*")
        expiring = token(registry, "publish", "team/*", expires="1h")
        doomed = token(registry, "publish", "team/*")
        reader = token(registry, "read", "*")

        def use(tok: str) -> None:  # verified once, so cached
            assert c.get(f"{url}/api/v1/skills",
                         headers={"Authorization": f"Bearer {tok}"}).status_code == 200

        use(doomed)
        registry.revoke_token(LOCAL_ADMIN, doomed.split("_")[1])
        use(good)
        use(expiring)
        later = tokens_mod.utc_now()[:4]
        monkeypatch.setattr(tokens_mod, "utc_now", lambda: f"{int(later) + 1}-01-01T00:00:00Z")
        folder = skill_folder(tmp_path / "s")
        wrong_secret = good[:-4] + ("aaaa" if not good.endswith("aaaa") else "bbbb")
        for tok, status, words in ((wrong_secret, 401, "invalid"), (expiring, 401, "expired"),
                                   (doomed, 401, "revoked"), (reader, 403, ""),
                                   (good, 403, "")):
            ns = "other" if tok == good else "team"  # the good token is out of scope there
            r = _pub(c, url, tok, folder, ns)
            assert r.status_code == status, (tok, r.text)
            assert words in r.json()["error"] and r.json()["status"] == status
        assert registry.store.query("SELECT COUNT(*) FROM registry_versions")[0][0] == 0
        assert registry.store.stats()["skills"] == 0
        assert _pub(c, url, good, folder, "team").status_code == 201  # still fine
