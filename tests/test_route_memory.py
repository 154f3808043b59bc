"""route/memory.py: freed heap memory goes back to the OS."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np
import pytest

from skillyard.route import memory

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_release_returns_freed_heap_pages() -> None:
    # 100 KB arrays sit below glibc's mmap threshold, so they come from the heap; the last
    # one stays alive, so free() cannot shrink the heap from its top: the pages of the
    # others stay resident until they are trimmed.
    blocks = [np.ones(100 * 1024, np.uint8) for _ in range(2000)]
    keep = blocks[-1]
    del blocks
    before = _rss_mb()
    assert memory.release() is True
    after = _rss_mb()
    assert before - after > 50, (before, after)
    assert keep.sum() == 100 * 1024


def test_release_is_a_no_op_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    memory._malloc_trim.cache_clear()
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    try:
        assert memory.release() is False
    finally:
        memory._malloc_trim.cache_clear()
