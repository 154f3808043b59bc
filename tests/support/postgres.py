"""A private PostgreSQL server for the test session (real binaries from Debian's package).

``SKILLYARD_TEST_POSTGRES`` may name an existing server instead (a superuser DSN). Otherwise
the session runs ``initdb`` in a temporary folder and starts the server on a free loopback port;
as root, the server runs as the ``postgres`` user, since PostgreSQL refuses to run as root.
Each test gets its own fresh database.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

ENV_DSN = "SKILLYARD_TEST_POSTGRES"


def _bindir() -> Path:
    roots = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if roots:
        return roots[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries not found: run scripts/install-postgres.sh "
                       "(Debian package postgresql + pgvector), as the README says")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One running server; ``admin_dsn`` connects as a superuser to database ``postgres``."""

    def __init__(self) -> None:
        self.admin_dsn = os.environ.get(ENV_DSN, "")
        self._tmp: str | None = None
        self._data: Path | None = None
        self._bindir: Path | None = None
        self._runas: list[str] = []

    def start(self) -> None:
        if self.admin_dsn:
            return
        self._bindir = _bindir()
        self._tmp = tempfile.mkdtemp(prefix="skillyard-pg-")
        root = Path(self._tmp)
        self._data = root / "data"
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(root, user.pw_uid, user.pw_gid)
            self._runas = ["runuser", "-u", "postgres", "--"]
        port = _free_port()
        self._run("initdb", "-D", str(self._data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8")
        options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self._data), "-l", str(root / "server.log"), "-w",
                  "-t", "60", "-o", options, "start")
        self.admin_dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        assert self._bindir is not None
        subprocess.run([*self._runas, str(self._bindir / program), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def stop(self) -> None:
        if self._data is not None:
            try:
                self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop")
            finally:
                shutil.rmtree(self._tmp or "", ignore_errors=True)
                self._data = None

    def create_database(self) -> str:
        """A new empty database; returns its DSN."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.admin_dsn.rsplit("/", 1)[0] + "/" + name

    def drop_database(self, dsn: str) -> None:
        import psycopg

        name = dsn.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
