"""The threads a request's independent parts run in while the rest of it is scored.

Routing one request has parts that need not wait for each other: the multilingual stand-in
of an English request (an encoding of its opening and a scan of the library) and the search
of a request's pasted material. numpy, the encoders and onnxruntime let go of the GIL while
they compute, so on two cores a task statement is answered about a quarter sooner at 61K
skills (`bench/routing_build.py` prints the latencies; a busy machine has no core to spare).
No job here waits for another, so routers in several threads (the MCP and HTTP servers) can
share the threads without a deadlock.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

THREADS = 2

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def background() -> ThreadPoolExecutor:
    """The shared threads, started on first use."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="skillyard-route")
        return _pool


def _forget() -> None:
    """A forked child has none of its parent's threads (a pool it inherited would take jobs
    and never run them): it starts its own on first use."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget)
