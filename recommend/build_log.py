"""The stage log of an index build: each stage's time and the peak memory so far.

The lines ("index stage NAME: N s, peak RSS so far M MB") go to the "papersift.index"
logger; bench/index_build_store.py collects them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("papersift.index")


def name_of(function: Callable) -> str:
    """A builder's name for the stage log (a partial or a `OnePassBuilder` logs its
    function's)."""
    inner = getattr(function, "build", None) or getattr(function, "func", function)
    return getattr(inner, "__name__", "builder")


def logged(stage: str, step: Callable, *args: Any, **kwargs: Any) -> Any:
    """step(*args, **kwargs), its time and memory logged as a build stage."""
    started = time.perf_counter()
    result = step(*args, **kwargs)
    log_stage(stage, started)
    return result


def log_stage(stage: str, started: float) -> None:
    """Log a build stage's time and the process's peak memory so far (when it rose)."""
    try:
        import resource

        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:  # not on Unix
        peak_mb = float("nan")
    log.info("index stage %s: %.1f s, peak RSS so far %.0f MB", stage,
             time.perf_counter() - started, peak_mb)
