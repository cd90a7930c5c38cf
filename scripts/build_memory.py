"""Where a full index build's memory goes: RSS around each step of `papersift index --full`.

    PAPERSIFT_DATA_DIR=/tmp/papersift-cache/scale-300000/data PAPERSIFT_LOG_LEVEL=INFO \\
        .venv/bin/python scripts/build_memory.py

Runs the build in this process (on the store of PAPERSIFT_DATA_DIR, e.g. one that
bench/scale.py made) with the build's own functions wrapped: before and after each, a
line with the process's RSS, its anonymous and file-backed parts and its peak so far
(VmHWM), from /proc/self/status (tracemalloc does not see numpy's buffers, and RSS also
counts resident pages of mapped files). A thread samples RSS every 50 ms for the peak.
Run from another checkout's folder to measure that checkout's code (its folder comes
first on sys.path).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import threading
import time

sys.path.insert(0, os.getcwd())

STEPS = [("recommend.index_pass", name) for name in (
    "count_text", "_spilled_text_counts", "merge_terms", "spill_column_matrix",
    "column_matrix", "title_matrix", "features_from_counts", "write_core",
    "trends_from_counts", "save_parts",
    "run_builders", "release_free_heap")] + [("recommend.search_build", name) for name in (
        "text_counts", "title_matrix", "parts_from_counts", "bm25_part", "state_parts",
        "_surface", "spilled_surface", "common_words_parts", "_binary_part", "merge_terms",
        "column_matrix")] + [
    ("recommend.trend_build", "trend_parts"), ("recommend.trend_build", "_columns_as_rows"),
    ("recommend.trend_build", "month_counts"), ("recommend.trend_build", "_labels"),
    ("recommend.trend_build", "_category_parts"),
    ("recommend.search_build", "streamed_text_parts"),
    ("recommend.features", "column_rows"), ("recommend.features", "tfidf")]
STARTED = time.perf_counter()


def memory() -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon and RssFile of this process, in MB."""
    out = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) // 1024
    return out


def mark(label: str) -> None:
    m = memory()
    print(f"{time.perf_counter() - STARTED:7.1f} s  {label:32s} rss {m['VmRSS']:6d}  anon "
          f"{m['RssAnon']:6d}  file {m['RssFile']:6d}  peak {m['VmHWM']:6d} MB", flush=True)


def wrap(module_name: str, name: str) -> None:
    module = importlib.import_module(module_name)
    step = getattr(module, name, None)
    if step is None:        # not in the checkout measured
        return

    @functools.wraps(step)
    def marked(*args, **kwargs):
        mark(f"> {name}")
        result = step(*args, **kwargs)
        mark(f"< {name}")
        return result

    setattr(module, name, marked)


def main() -> None:
    for module_name, name in STEPS:
        wrap(module_name, name)
    peak = [0]

    def sample() -> None:
        while True:
            peak[0] = max(peak[0], memory()["VmRSS"])
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    from app import cli

    try:
        cli(["index", "--full"], standalone_mode=False)
    finally:
        mark("end")
        print(f"sampled peak RSS {peak[0]} MB")


if __name__ == "__main__":   # the build's counting workers import this module again
    main()
