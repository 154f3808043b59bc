"""`skillyard registry ...` end to end: token commands, two `registry serve` processes over one
library (SQLite and PostgreSQL), and the client commands publish, search, fetch and yank."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from support.registry import blocked_folder, skill_folder

_http = httpx.Client(timeout=60)  # publishing audits and indexes: allow time


def sy(*args: str, env: dict[str, str] | None = None, check: bool = True
       ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "skillyard", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args}: exit {proc.returncode}\n{proc.stderr}")
    return proc


def _serve(db: str, route_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillyard", "registry", "serve", "--db", db, "--port", "0",
         "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SKILLYARD_ROUTE_DIR": str(route_dir)})
    assert proc.stderr is not None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise AssertionError(f"registry exited with {proc.wait()}")
        if line.startswith("{"):
            return proc, json.loads(line)["url"]
    proc.kill()
    raise AssertionError("registry did not start")


@pytest.fixture
def two_servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    db = (str(tmp_path / "team.db") if request.param == "sqlite"
          else request.getfixturevalue("pg_dsn"))
    sy("init", "--db", db)  # creates the library (migrations)
    started = []
    try:
        for n in range(2):
            started.append(_serve(db, tmp_path / f"route-{n}"))
        yield db, [url for _, url in started]
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.mark.parametrize("two_servers", ["sqlite", "postgresql"], indirect=True)
def test_two_processes_one_library(two_servers: tuple[str, list[str]], tmp_path: Path) -> None:
    db, (first, second) = two_servers
    made = json.loads(sy("registry", "token", "create", "--role", "publish", "--scope",
                         "team/*", "--name", "ci", "--db", db, "--json").stdout)
    secret = made["token"]
    env = {"SKILLYARD_REGISTRY_TOKEN": secret}
    folder = skill_folder(tmp_path / "src", version="1.2")
    out = sy("publish", str(folder), "--namespace", "team", "--registry", first, "--json",
             env=env)
    assert json.loads(out.stdout)["version"] == "1.2"

    # the other process sees the publish (its routing index catches up within seconds)
    deadline = time.monotonic() + 30
    while True:
        found = json.loads(sy("search", "fill in a PDF form", "--registry", second, "--json",
                              env=env).stdout)
        if found["results"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert found["results"][0]["skill"] == "team/pdf-forms"

    fetched = json.loads(sy("registry", "fetch", "team/pdf-forms@1.2", "--to",
                            str(tmp_path / "out"), "--registry", second, "--json",
                            env=env).stdout)
    assert (Path(fetched["folder"]) / "references/fields.md").read_bytes() == (
        folder / "references/fields.md").read_bytes()

    blocked = sy("publish", str(blocked_folder(tmp_path / "bad")), "--namespace", "team",
                 "--registry", second, env=env, check=False)
    assert blocked.returncode == 1 and "audit blocks" in blocked.stderr
    out_of_scope = sy("publish", str(folder), "--namespace", "other", "--registry", first,
                      env=env, check=False)
    assert out_of_scope.returncode == 2 and "does not cover" in out_of_scope.stderr

    # a token revoked on the command line stops working in both processes at once
    sy("registry", "token", "revoke", made["id"], "--db", db)
    for url in (first, second):
        r = _http.get(f"{url}/api/v1/skills", headers={"Authorization": f"Bearer {secret}"})
        assert r.status_code == 401 and "revoked" in r.json()["error"]
    tokens = json.loads(sy("registry", "token", "list", "--db", db, "--json").stdout)
    assert tokens[0]["status"] == "revoked" and "token" not in tokens[0]
    log = json.loads(sy("registry", "log", "--db", db, "--json").stdout)
    assert [e["action"] for e in log][:3] == ["token-revoke", "publish-refused", "publish"]
    assert secret not in json.dumps(log)


def test_token_create_prints_the_secret_once_and_cli_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    out = sy("registry", "token", "create", "--role", "read", "--scope", "team/*",
             "--expires", "30d", "--db", db)
    assert out.stdout.strip().startswith("syk_") and "shown once" in out.stderr
    listed = sy("registry", "token", "list", "--db", db).stdout
    assert out.stdout.strip() not in listed and "read" in listed
    bad = sy("registry", "token", "create", "--role", "root", "--db", db, check=False)
    assert bad.returncode == 2 and "role" in bad.stderr
    gone = sy("registry", "token", "revoke", "000000000000", "--db", db, check=False)
    assert gone.returncode == 2
    nowhere = sy("search", "x", "--registry", "http://127.0.0.1:9", check=False)
    assert nowhere.returncode == 1 and "cannot reach" in nowhere.stderr
    assert sy("search", "x", check=False, env={"SKILLYARD_REGISTRY_URL": ""}).returncode == 2


def test_credentials_file_must_be_private(tmp_path: Path) -> None:
    from skillyard.sources.registry import ClientError, save_token, stored_token

    path = tmp_path / "cfg" / "registries.json"
    save_token("http://127.0.0.1:8080/", "syk_abc", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stored_token("http://127.0.0.1:8080", path) == "syk_abc"
    path.chmod(0o644)
    with pytest.raises(ClientError, match="readable by others"):
        stored_token("http://127.0.0.1:8080", path)
