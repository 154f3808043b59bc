"""Hand the C heap's free memory back to the operating system between a build's stages.

A build makes millions of short-lived Python objects and numpy temporaries while it reads the
library. glibc's allocator keeps what they freed in its arenas (one per thread that
allocates) instead of returning it, so the resident size keeps each stage's high-water mark
and the next stage's peak lands on top of it. ``malloc_trim(0)`` gives the free pages back.
On the 11K corpus this lowered a first build's peak from 723 to 569 MB; at 61K skills the
build's 125 calls took 2 s of its 210.

Where there is no glibc (macOS, Windows, musl) ``release`` does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library this process already runs on
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release() -> bool:
    """Return the allocator's free memory to the OS; False where that is not possible."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
