"""Misbehaving extraction engines for tests, selected as `tests.fulltext.engines:<name>`.

They run inside the isolated extraction child, like the real engines.
"""

from __future__ import annotations

import os
import signal
import time


def hang(path: str) -> tuple[str, int]:
    """Never returns: the parent must kill the process at the timeout."""
    while True:
        time.sleep(60)


def crash(path: str) -> tuple[str, int]:
    """Dies the way a native-code crash does."""
    os.kill(os.getpid(), signal.SIGSEGV)
    return "", 0


def hog(path: str) -> tuple[str, int]:
    """Asks for far more memory than the cap allows."""
    blob = bytearray(4 * 1024 * 1024 * 1024)
    return str(len(blob)), 1


def hang_on_marker(path: str) -> tuple[str, int]:
    """Hangs for files whose name contains 'hang', crashes for 'crash', else is pdfium."""
    from ingest.extract import pdfium_engine

    if "hang" in os.path.basename(path):
        return hang(path)
    if "crash" in os.path.basename(path):
        return crash(path)
    return pdfium_engine(path)


def noop(path: str) -> tuple[str, int]:
    """Returns at once: measures the cost of the isolation itself."""
    return "text", 1

