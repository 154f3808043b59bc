"""Starting and stopping Ray: a private local instance by default, a cluster when given one.

Ray is optional (``pip install 'skillyard[ray]'``). A local instance gets ``workers`` CPUs, no
dashboard, no worker logs on the driver's terminal and a private temporary folder, and is shut
down (its folder removed) when the job ends. A cluster address (``--ray-address`` or
``SKILLYARD_RAY_ADDRESS``) connects to a running cluster, whose nodes need skillyard installed;
a library they read (the audit job opens it on the workers) must be reachable from them, which
in practice means PostgreSQL. An instance that was already running in this process (a test's,
a notebook's) is used as it is and left running.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Any

from ..errors import SkillyardError

ENV_ADDRESS = "SKILLYARD_RAY_ADDRESS"
OBJECT_STORE_BYTES = 256 * 1024 * 1024  # results are small; do not claim half of /dev/shm
LOCAL_START_ATTEMPTS = 3  # a local start that times out under load is tried again
MAX_WORKERS = 512
CONNECT_TIMEOUT = 5.0


class BatchError(SkillyardError):
    """A batch job could not run or could not finish."""


class RayUnavailableError(BatchError):
    """Ray is not installed or cannot be reached."""


def _token_mode_if_token() -> None:
    """Clusters started by ``ray start`` use token authentication by default, and a client
    sends its token only in token mode: turn that on when a token is at hand (Ray's own
    places: RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token), unless the user chose."""
    if os.environ.get("RAY_AUTH_MODE"):
        return
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or os.path.expanduser("~/.ray/auth_token")
    if os.environ.get("RAY_AUTH_TOKEN") or os.path.isfile(path):
        os.environ["RAY_AUTH_MODE"] = "token"


def import_ray(address: str | None = None) -> ModuleType:
    """The ``ray`` module; with a cluster ``address``, token mode is settled first (Ray reads
    RAY_AUTH_MODE when it is imported)."""
    if address is not None:
        _token_mode_if_token()
    try:
        import ray
    except ImportError:
        raise RayUnavailableError(
            "--ray needs Ray: pip install 'skillyard[ray]' (or pip install 'ray>=2.40,<3')"
        ) from None
    return ray


def parse_address(address: str) -> tuple[str, int] | None:
    """(host, port) of ``host:port`` or ``ray://host:port``; None for ``auto`` (Ray finds a
    cluster on this machine); BatchError for anything else."""
    if address.strip() == "auto":
        return None
    scheme, sep, rest = address.strip().partition("://")
    target = rest if sep else scheme
    host, colon, port = target.rstrip("/").rpartition(":")
    host = host.strip("[]")
    if (sep and scheme != "ray") or not colon or not host or not port.isdigit() \
            or not 0 < int(port) < 65536 or any(c.isspace() or c in "/@" for c in host):
        raise BatchError(f"--ray-address {address!r}: give host:port, ray://host:port or auto")
    return host, int(port)


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Fail fast when a cluster address does not answer: Ray itself keeps retrying an
    unreachable address for minutes."""
    target = parse_address(address)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=timeout):
            return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise RayUnavailableError(f"cannot reach the Ray cluster at {address}: {reason}"
                                  ) from None


@dataclass(frozen=True)
class RaySettings:
    """Where batch work runs: ``address`` None means a local instance of ``workers`` CPUs
    (default: this machine's CPU count); with an address, ``workers`` caps the tasks in flight
    (default: the cluster's CPUs)."""

    address: str | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        if self.workers is not None and not 1 <= self.workers <= MAX_WORKERS:
            raise BatchError(f"--ray-workers must be 1 to {MAX_WORKERS}, not {self.workers}")
        if self.address is not None:
            if not self.address.strip():
                raise BatchError("--ray-address is empty; give host:port, ray://host:port "
                                 "or auto")
            parse_address(self.address)

    @classmethod
    def from_env(cls, address: str | None = None, workers: int | None = None) -> RaySettings:
        return cls(address or os.environ.get(ENV_ADDRESS) or None, workers)


class RayRuntime:
    """Context manager around ``ray.init`` / ``ray.shutdown`` (only of what it started).
    Ray starts on first use (:meth:`connect`), so a job with nothing left to do (a re-run)
    does not pay Ray's few seconds of start-up."""

    def __init__(self, settings: RaySettings | None = None) -> None:
        self.settings = settings or RaySettings.from_env()
        self.ray: Any = None
        self.started = False  # this runtime called ray.init (and will shut it down)
        self.workers = self.settings.workers or 0  # known once connected
        self._tmp: str | None = None

    def __enter__(self) -> RayRuntime:
        import_ray(self.settings.address)  # fail now, before any work, when Ray is missing ...
        if self.settings.address is not None:
            check_reachable(self.settings.address)  # ... or the cluster does not answer
        return self

    def connect(self) -> Any:
        """The ``ray`` module with Ray running (started here unless it already was)."""
        if self.ray is not None:
            return self.ray
        ray = import_ray(self.settings.address)
        if not ray.is_initialized():
            self._start(ray)
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.workers = self.settings.workers or cpus
        self.ray = ray
        return ray

    def parallelism(self) -> int:
        """How many tasks run at once (to size chunks), without starting Ray if it can be
        known otherwise: --ray-workers, or this machine's CPUs for a local instance."""
        if self.settings.workers:
            return self.settings.workers
        if self.ray is None and self.settings.address is None:
            return os.cpu_count() or 1
        self.connect()
        return self.workers

    def _start(self, ray: Any) -> None:
        quiet = {"include_dashboard": False, "log_to_driver": False,
                 "logging_level": logging.ERROR}
        # A local Ray gives its raylet a fixed 30 s to register; on an overloaded machine that
        # can run out, so a local start is tried up to LOCAL_START_ATTEMPTS times.
        attempts = 1 if self.settings.address is not None else LOCAL_START_ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                if self.settings.address is not None:
                    ray.init(address=self.settings.address, **quiet)
                else:
                    self._tmp = tempfile.mkdtemp(prefix="skillyard-ray-")
                    ray.init(num_cpus=self.settings.workers or os.cpu_count() or 1,
                             object_store_memory=OBJECT_STORE_BYTES, _temp_dir=self._tmp,
                             **quiet)
                break
            except Exception as exc:  # noqa: BLE001 - Ray raises many kinds; one clear line
                if ray.is_initialized():
                    ray.shutdown()
                self._cleanup()
                if attempt < attempts:
                    continue
                where = self.settings.address or "a local instance"
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise RayUnavailableError(f"cannot start Ray on {where}: {first}") from None
        self.started = True

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.started:
            self.ray.shutdown()
            self.started = False
        self.ray = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
