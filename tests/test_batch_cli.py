"""The --ray options as a user meets them: real CLI runs on PostgreSQL and SQLite, usage
errors, Ray missing or unreachable, and where the routing index of a database URL lives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import SAMPLE_SKILLS, SHARED
from skillyard.api import Library
from skillyard.batch.runtime import BatchError, RaySettings, parse_address
from skillyard.route import storage
from support.batch import ray_head, short_tmpdir


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "skillyard", *args], capture_output=True,
                          text=True, check=False, env={**os.environ, **(env or {})},
                          timeout=300)


def test_index_ray_on_postgresql_then_route(pg_dsn: str, tmp_path: Path) -> None:
    env = {"SKILLYARD_ROUTE_DIR": str(tmp_path / "routes")}
    with short_tmpdir() as tmp:
        proc = run("index", str(SAMPLE_SKILLS), "--ray", "--ray-workers", "2", "--json",
                   "--db", pg_dsn, env={**env, "TMPDIR": tmp})
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["added"] == 41 and out["route"]["embedded"] == 41
    assert out["batch"]["done"] == 41 and out["batch"]["workers"] == 2
    index = Path(out["route"]["path"])
    assert index.parent == tmp_path / "routes" and len(index.name) == 16
    # A second process with its own index folder: every vector comes from pgvector.
    other = {"SKILLYARD_ROUTE_DIR": str(tmp_path / "other")}
    routed = run("route", "fill the fields of a PDF form", "-k", "3", "--json", "--db", pg_dsn,
                 env=other)
    assert routed.returncode == 0, routed.stderr[-2000:]
    first = run("route", "fill the fields of a PDF form", "-k", "3", "--json", "--db", pg_dsn,
                env=env)
    assert [h["id"] for h in json.loads(routed.stdout)["results"]] == \
        [h["id"] for h in json.loads(first.stdout)["results"]]
    rebuilt = json.loads(run("reindex", "--json", "--db", pg_dsn, env=other).stdout)
    assert rebuilt["up_to_date"] and rebuilt["embedded"] == 0


def test_learn_ray_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.db")
    traj = str(SHARED / "trajectories")
    with short_tmpdir() as tmp:
        proc = run("learn", traj, "--ray", "--ray-workers", "2", "--json", "--db", db,
                   env={"TMPDIR": tmp})
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    single = json.loads(run("learn", traj, "--json", "--dry-run",
                            "--db", str(tmp_path / "other.db")).stdout)
    assert out["published"] == sum(c["status"] == "would-publish"
                                   for c in single["candidates"]) > 0
    assert out["batch"]["job"] == "mining" and out["batch"]["done"] == out["published"]


def test_audit_on_a_ray_cluster(tmp_path: Path) -> None:
    """--ray-address: a real cluster head (``ray start --head``) the command connects to."""
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(SAMPLE_SKILLS)])
        single = [r.to_dict() for r in lib.audit(force=True)]
    with short_tmpdir() as tmp, ray_head(tmp) as address:
        proc = run("audit", "--library", "--ray", "--force", "--json", "--db", str(db),
                   env={"SKILLYARD_RAY_ADDRESS": address})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == single  # the same output as without --ray
    batch = json.loads(proc.stderr.strip().splitlines()[-1])["batch"]
    assert batch["done"] == 41 and batch["workers"] == 2


@pytest.mark.parametrize("args, message", [
    (["index", str(SAMPLE_SKILLS), "--ray-workers", "2"], "need --ray"),
    (["index", str(SAMPLE_SKILLS), "--ray", "--no-route"], "does nothing with --no-route"),
    (["index", str(SAMPLE_SKILLS), "--ray", "--ray-workers", "0"], "--ray-workers"),
    (["audit", str(SAMPLE_SKILLS), "--ray"], "add --library"),
    (["learn", "runs", "--ray", "--ray-address", "http://x:1"], "give host:port"),
])
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert message in " ".join(proc.stderr.replace("│", " ").split())


def test_ray_missing_is_one_clear_line(tmp_path: Path) -> None:
    fake = tmp_path / "fake" / "ray"
    fake.mkdir(parents=True)
    # A test double for one failure: an environment where 'import ray' fails.
    (fake / "__init__.py").write_text("raise ImportError(\"No module named 'ray'\")\n")
    proc = run("audit", "--library", "--ray", env={"PYTHONPATH": str(fake.parent)})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: --ray needs Ray: pip install 'skillyard[ray]' (or pip install 'ray>=2.40,<3')"]


def test_unreachable_cluster_fails_fast() -> None:
    proc = run("audit", "--library", "--ray", env={"SKILLYARD_RAY_ADDRESS": "127.0.0.1:9"})
    assert proc.returncode == 2
    assert "cannot reach the Ray cluster at 127.0.0.1:9" in proc.stderr


@given(st.text(max_size=40))
def test_any_address_parses_or_is_a_clear_error(text: str) -> None:
    try:
        parsed = parse_address(text)
    except BatchError as exc:
        assert "give host:port, ray://host:port or auto" in str(exc)
        return
    assert parsed is None or (parsed[0] and 0 < parsed[1] < 65536)


@given(st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True), st.integers(1, 65535),
       st.booleans())
def test_host_port_addresses(host: str, port: int, client: bool) -> None:
    address = f"{'ray://' if client else ''}{host}:{port}"
    assert parse_address(address) == (host, port)
    assert RaySettings(address, 3).address == address


def test_workers_out_of_range() -> None:
    for bad in (0, -1, 513):
        with pytest.raises(BatchError, match="--ray-workers must be 1 to 512"):
            RaySettings(workers=bad)


@given(st.text(min_size=1, max_size=60))
def test_route_dir_of_a_database_url(rest: str) -> None:
    url = "postgresql://" + rest
    root = Path(os.environ["HOME"]) / ".cache" / "skillyard" / "route"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(storage.ENV_ROUTE_DIR, raising=False)
        patch.delenv("XDG_CACHE_HOME", raising=False)
        where = storage.index_dir(url)
        assert where.parent == root and len(where.name) == 16
        assert storage.index_dir(url) == where  # stable
        assert all(c in "0123456789abcdef" for c in where.name)  # hashed: no password shows
        assert storage.index_dir(url + "x") != where
        patch.setenv(storage.ENV_ROUTE_DIR, "/srv/routes")
        assert storage.index_dir(url) == Path("/srv/routes") / where.name
    assert storage.index_dir("/data/lib.db") == Path("/data/lib.db.route")


def test_reindex_ray(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.db")
    assert run("index", str(SAMPLE_SKILLS), "--no-route", "--db", db).returncode == 0
    with short_tmpdir() as tmp:
        proc = run("reindex", "--ray", "--ray-workers", "2", "--json", "--db", db,
                   env={"TMPDIR": tmp})
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["embedded"] == 41 and out["batch"]["done"] == 41
    again = json.loads(run("reindex", "--ray", "--json", "--db", db).stdout)
    assert again["up_to_date"] and again["batch"]["chunks"] == 0  # Ray was not started
    routed = json.loads(run("route", "build an MCP server that wraps a REST API", "--json",
                            "--db", db).stdout)
    assert routed["results"][0]["name"] == "mcp-builder" and not routed["abstain"]


def test_a_local_start_that_times_out_is_retried_then_one_clear_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import ray

    from skillyard.batch.runtime import LOCAL_START_ATTEMPTS, RayRuntime, RayUnavailableError

    calls: list[str] = []

    def start_times_out(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(kwargs["_temp_dir"])  # the test double for one failure: the raylet's 30 s
        raise Exception("The current node timed out during startup.\nmore detail")

    monkeypatch.setattr(ray, "init", start_times_out)
    with pytest.raises(RayUnavailableError) as caught, RayRuntime(RaySettings(workers=1)) as rt:
        rt.connect()
    assert str(caught.value) == ("cannot start Ray on a local instance: "
                                 "The current node timed out during startup.")
    assert len(calls) == LOCAL_START_ATTEMPTS > 1 and len(set(calls)) == len(calls)
    assert not any(Path(c).exists() for c in calls)  # each failed start's files went
    assert not rt.started and not ray.is_initialized()
