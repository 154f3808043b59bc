"""The multilingual encoder in a second process, fed while a build reads the library.

A first build spends about as long reading (tokenizing, counting and hashing in Python, one
core) as encoding names and descriptions with the multilingual encoder (numpy on one BLAS
thread); one after the other they leave the second core idle. So from ``AHEAD_MIN`` skills to
read on a machine with two cores or more, each chunk's passages go to an encoder process as
soon as the chunk is read. Its vectors wait in an unlinked file beside the index (not in the
build's memory, which peaks meanwhile) and are collected when the multilingual stage starts
(route/xling.py ``build_vectors`` takes them instead of encoding those rows again).

Not threads: BLAS threads spin waiting for each other on a busy machine (router._matvec); a
process does not. It is a plain ``python -m skillyard.route.encoder_process`` child, not a
multiprocessing one, so the caller's main script is never imported again in it. It reads
requests (JSON lines) on stdin and writes vectors on stdout, and it ends when its stdin
closes: when the build is done with it, or when the build's process is gone (kill -9).
It encodes the same batches as the build would (chunks of READ_CHUNK rows, a multiple of the
encoder's batch), so the vectors are the same. Whatever it did not deliver (it died, or was
never started) is encoded in the build's own process, as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from typing import IO

import numpy as np

from ..progress import Progress, counter
from .xling import DIM

AHEAD_MIN = 2048  # rows to read from which the encoder runs beside the reading
HEADER = struct.Struct("<ii")  # a reply: its request's number, its rows
STOP_S = 5.0  # how long a stopped encoder may take to finish before it is killed


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class EncodeAhead:
    """Passages sent as they are read; their vectors collected once (``fill``). A writer
    thread feeds the process and a reader thread drains it, so neither side waits on a full
    pipe while the other works."""

    def __init__(self, spool_dir: str | None = None) -> None:
        # The replies wait in an unlinked file, not in memory: they arrive while the build is
        # at its peak (its term counts and postings), and a large library's vectors are
        # hundreds of MB.
        self._spool = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115 - close() closes it
        self._spooled = 0
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "skillyard.route.encoder_process"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            self._spool.close()
            raise
        self._rows: list[np.ndarray] = []
        self._outbox: queue.Queue[str | None] = queue.Queue()
        self._replies: list[tuple[int, int, int]] = []  # (request, offset, rows)
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._writer.start()
        self._reader.start()

    @classmethod
    def start(cls, rows_to_read: int, spool_dir: str | None = None) -> EncodeAhead | None:
        """An encoder process for a build that reads this many rows (its replies wait in a
        file in ``spool_dir``), or None when it would not pay (few rows, one core)."""
        if rows_to_read < AHEAD_MIN or _cores() < 2 or not sys.executable:
            return None
        try:
            return cls(spool_dir)
        except OSError:  # no Python to start (an embedded interpreter): encode in the build
            return None

    def _write(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        # OSError: the process is gone; what it did not get is encoded in the build
        with contextlib.suppress(OSError):
            while (line := self._outbox.get()) is not None:
                stdin.write(line.encode("utf-8"))
                stdin.flush()
        with contextlib.suppress(OSError):
            stdin.close()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while (head := _exactly(stdout, HEADER.size)) is not None:
            seq, rows = HEADER.unpack(head)
            body = _exactly(stdout, rows * DIM * 4)
            if body is None:
                return
            os.write(self._spool.fileno(), body)
            self._replies.append((seq, self._spooled, rows))
            self._spooled += len(body)

    def submit(self, rows: Sequence[int], texts: list[str]) -> None:
        """Encode ``texts``, the passages of ``rows`` (does not wait)."""
        self._outbox.put(json.dumps({"seq": len(self._rows), "texts": texts}) + "\n")
        self._rows.append(np.asarray(rows, np.int64))

    def fill(self, out: np.ndarray, progress: Progress | None = None) -> np.ndarray:
        """Write the vectors of every row sent into ``out``; the mask of the rows written
        (rows whose vectors never came, because the process died, stay unwritten)."""
        self._outbox.put(None)  # no more requests: the process ends after the last reply
        tick = counter(progress, "multilingual encoder (beside the reading)",
                       sum(len(rows) for rows in self._rows))
        done = np.zeros(len(out), bool)
        seen = 0
        while self._reader.is_alive() or seen < len(self._replies):
            self._reader.join(timeout=0.5)
            for seq, offset, count in self._replies[seen:]:
                rows = self._rows[seq]
                if len(rows) == count:
                    data = os.pread(self._spool.fileno(), count * DIM * 4, offset)
                    out[rows] = np.frombuffer(data, np.float32).reshape(count, DIM)
                    done[rows] = True
                    tick(count)
                seen += 1
        return done

    def close(self) -> None:
        """Stop the process (killed if it does not end within STOP_S) and its threads."""
        self._outbox.put(None)
        try:
            self.process.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._writer.join(timeout=STOP_S)
        self._reader.join(timeout=STOP_S)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._spool.close()


def _exactly(stream: IO[bytes], size: int) -> bytes | None:
    """``size`` bytes from ``stream``, or None at its end."""
    data = stream.read(size)
    return data if data is not None and len(data) == size else None
