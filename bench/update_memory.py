"""Where an incremental update's memory goes, stage by stage (Linux).

    nice -n 19 .venv/bin/python bench/update_memory.py DATA_DIR

runs `papersift index` on DATA_DIR in this process (the store must have changed since its
current version, so that the index is updated incrementally: use a copy, it writes a new
version) and prints a line at each checkpoint: every place the update drops the base
version's mapped pages (after the core, inside the search updater between its merges,
after each updater). Each line gives the seconds since the previous checkpoint, the peak
RSS in between (VmHWM, reset at each checkpoint through /proc/self/clear_refs), the peak
anonymous memory sampled every 10 ms by a thread (a lower bound: numpy may hold the GIL)
and the anonymous and file-backed RSS at the checkpoint, before the drop. The drift limit
is lifted as bench/scale.py lifts it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _status_mb() -> dict[str, float]:
    wanted = {"VmHWM", "RssAnon", "RssFile"}
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name = line.split(":", 1)[0]
        if name in wanted:
            out[name] = int(line.split()[1]) / 1024
    return out


class Checkpoints:
    """A line per checkpoint; the peaks since the previous one."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.peak_anon = 0.0
        self.part = "-"
        self.overall = {"VmHWM": 0.0, "anon": 0.0}
        threading.Thread(target=self._sample, daemon=True).start()
        self._reset()

    def _sample(self) -> None:
        while True:
            self.peak_anon = max(self.peak_anon, _status_mb()["RssAnon"])
            time.sleep(0.01)

    def _reset(self) -> None:
        Path("/proc/self/clear_refs").write_text("5")
        self.peak_anon = _status_mb()["RssAnon"]
        self.last = time.perf_counter()

    def mark(self, label: str) -> None:
        now = _status_mb()
        peak_anon = max(self.peak_anon, now["RssAnon"])
        self.overall["VmHWM"] = max(self.overall["VmHWM"], now["VmHWM"])
        self.overall["anon"] = max(self.overall["anon"], peak_anon)
        print(f"{label:<34} {time.perf_counter() - self.last:6.1f} s  peak RSS "
              f"{now['VmHWM']:7.0f}  peak anon {peak_anon:7.0f}  now anon {now['RssAnon']:7.0f} "
              f"file {now['RssFile']:7.0f} MB  (last part written: {self.part})", flush=True)
        self._reset()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    os.environ["PAPERSIFT_DATA_DIR"] = str(Path(argv[0]).resolve())
    os.environ.setdefault("PAPERSIFT_INDEX_REFIT_DRIFT", "1")
    os.environ.setdefault("PAPERSIFT_SCHEDULER", "0")
    import recommend.index_update as index_update
    import recommend.search_update as search_update

    checkpoints = Checkpoints()
    drop = index_update.drop_pages_of

    def drop_and_mark(index, *args, **kwargs):
        caller = sys._getframe(1)
        checkpoints.mark(f"{caller.f_code.co_name}:{caller.f_lineno}")
        return drop(index, *args, **kwargs)

    write_part = index_update.write_part

    def write_and_name(directory, name, value):
        checkpoints.part = name
        return write_part(directory, name, value)

    index_update.drop_pages_of = drop_and_mark
    search_update.drop_pages_of = drop_and_mark
    index_update.write_part = write_and_name
    from app import cli

    started = time.perf_counter()
    try:
        cli.main(["index"], standalone_mode=False)
    finally:
        checkpoints.mark("end")
        print(f"total {time.perf_counter() - started:.1f} s; peak RSS {checkpoints.overall['VmHWM']:.0f}"
              f" MB, peak anon (sampled) {checkpoints.overall['anon']:.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
