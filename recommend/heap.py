"""Handing the C heap's free pages back to the system between the stages of a build.

glibc keeps freed memory in its heaps for reuse: the counting stage frees many mid-sized
arrays (chunk results, runs merged in a thread with its own heap), which stayed resident
through the rest of the build although nothing used them. `malloc_trim` returns every
free page; elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _trim():  # noqa: ANN202 - a C function or None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):   # not glibc
        return None


def release_free_heap() -> None:
    """Return the C heap's free pages to the system (glibc's malloc_trim(0))."""
    trim = _trim()
    if trim is not None:
        trim(0)
