"""`papersift index` from a store: peak memory and time of the whole build, extras included.

    .venv/bin/python bench/index_build_store.py --n 100000
    .venv/bin/python bench/index_build_store.py --n 100000 --baseline-root /tmp/papersift-main
    .venv/bin/python bench/index_build_store.py --store DATA_DIR --baseline-root /tmp/papersift-main

Unlike bench/index_build.py (features only, from a list made in memory), this imports a
synthetic corpus (bench/index_build.py's resampled real sentences; real titles, authors
and categories, ten years of dates) into a SQLite store, then runs the index stage of the
pipeline as `papersift index --force` does: reading the store, features, search and
trend parts. Each build runs in a fresh process; peak RSS is its own peak
(getrusage) plus the peaks of its worker processes (VmHWM, polled), as in index_build.py.

--store names the data folder of a store made before (e.g. by an earlier run, or by
bench/scale.py); its database file is copied to a temporary folder and built there, so
the folder itself is never written to.

--baseline-root names a checkout of other papersift code (e.g. `git archive main`); its
builds run on the same store, alternating with this checkout's, `--rounds` times each.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_corpus(path: Path, n: int) -> None:
    """n synthetic papers as a JSON-lines listing file."""
    from index_build import synthetic_docs

    per_month: dict[str, int] = defaultdict(int)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for d in synthetic_docs(n):
            month = f"{d.published.year % 100:02d}{d.published.month:02d}"
            per_month[month] += 1
            title, _, abstract = d.text.partition(" . ")
            out.write(json.dumps({
                "id": f"{month}.{per_month[month]:05d}", "title": title, "summary": abstract,
                "authors": ["A. Author", "B. Writer"], "categories": list(d.categories),
                "listing_date": d.published.isoformat()}) + "\n")


def make_store(data_dir: Path, n: int) -> float:
    """Import n synthetic papers into a new store under data_dir; returns the seconds."""
    from app import create_app
    from ingest.pipeline import import_files

    corpus_file = data_dir / "synthetic.jsonl.gz"
    write_corpus(corpus_file, n)
    app = create_app({"data_dir": str(data_dir), "scheduler_enabled": False}, web=False)
    started = time.perf_counter()
    import_files(app.extensions["papersift.engine"], [corpus_file], progress=False)
    corpus_file.unlink()
    return time.perf_counter() - started


def copy_store(source: Path, data_dir: Path) -> None:
    """Copy a data folder's SQLite store (with its write-ahead log) into data_dir; `source`
    may also name the papersift.db file itself."""
    import shutil

    database = source if source.name == "papersift.db" else source / "papersift.db"
    if not database.is_file():
        raise SystemExit(f"no store at {database}")
    for suffix in ("", "-wal"):
        if Path(f"{database}{suffix}").exists():
            shutil.copyfile(f"{database}{suffix}", data_dir / f"papersift.db{suffix}")


def run_build(data_dir: Path) -> dict:
    """One forced index build of the store, measured, in this (fresh) process."""
    import importlib

    from app import create_app
    from ingest import indexing

    # imported after the code under test: index_build puts this checkout first on sys.path
    index_build = importlib.import_module("index_build")
    WorkerWatch, _maxrss_mb = index_build.WorkerWatch, index_build._maxrss_mb

    app = create_app({"data_dir": str(data_dir), "scheduler_enabled": False}, web=False)
    stages = _StageLog()
    logging.getLogger("papersift.index").addHandler(stages)
    logging.getLogger("papersift.index").setLevel(logging.INFO)
    watcher = WorkerWatch()
    watcher.start()
    started = time.perf_counter()
    result = indexing.build(app.extensions["papersift.engine"], app.config["SETTINGS"],
                            force=True)
    seconds = time.perf_counter() - started
    watcher.stop()
    info = result.info
    self_mb = _maxrss_mb(resource.RUSAGE_SELF)
    worker_mb = sum(watcher.peaks_kb.values()) / 1024
    return {"seconds": seconds, "n_docs": info.n_docs, "n_terms": info.n_terms,
            "self_peak_mb": self_mb, "worker_peak_mb": worker_mb,
            "peak_rss_mb": self_mb + worker_mb, "index_mb": info.size_bytes / 1e6,
            "code": indexing.__file__, "stages": stages.lines}


class _StageLog(logging.Handler):
    """Keeps the build's per-stage log lines (time, peak memory so far), where it logs them,
    each with the build process's own peak during that stage: its RSS sampled every 20 ms
    (the process peak that getrusage gives cannot be reset between stages)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self._stage_peak_kb = 0
        self._done = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        status = Path("/proc/self/status")
        while not self._done.wait(0.02) and status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self._stage_peak_kb = max(self._stage_peak_kb, int(line.split()[1]))

    def emit(self, record: logging.LogRecord) -> None:
        own = f"; this stage's peak {self._stage_peak_kb / 1024:.0f} MB" \
            if self._stage_peak_kb else ""
        self._stage_peak_kb = 0
        self.lines.append(record.getMessage() + own)

    def close(self) -> None:
        self._done.set()
        super().close()


def _in_fresh_process(code_root: Path, data_dir: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--build", str(data_dir),
           "--code-root", str(code_root)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=code_root).stdout
    return json.loads(out.strip().splitlines()[-1])


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="synthetic papers (100000)")
    parser.add_argument("--store", type=Path, help="build a copy of this data folder's store")
    parser.add_argument("--baseline-root", type=Path, help="other papersift code to compare")
    parser.add_argument("--rounds", type=int, default=1, help="builds of each code (1)")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--code-root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:  # one measurement, in this fresh process, with the named code
        sys.path.insert(0, str(args.code_root.resolve()))
        print(json.dumps(run_build(args.build)))
        return 0
    codes = [("this", ROOT)] + ([("baseline", args.baseline_root.resolve())]
                                if args.baseline_root else [])
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        if args.store:
            copy_store(args.store, data_dir)
            print(f"# a copy of the store in {args.store}", flush=True)
        else:
            print(f"# importing {args.n:,} synthetic papers: {make_store(data_dir, args.n):.0f} s",
                  flush=True)
        for round_no in range(args.rounds):
            for name, code_root in reversed(codes) if round_no % 2 else codes:
                load = _load()
                r = _in_fresh_process(code_root, data_dir)
                print(f"# {name} ({r['code']}): {r['n_docs']:,} papers, {r['n_terms']:,} terms, "
                      f"{r['seconds']:.1f} s, peak RSS {r['self_peak_mb']:.0f} MB + workers "
                      f"{r['worker_peak_mb']:.0f} MB, index {r['index_mb']:.0f} MB; "
                      f"load {load}", flush=True)
                for line in r.get("stages", []):
                    print(f"#   {line}", flush=True)
                label = f"index_store_{r['n_docs'] // 1000}k_{name}"
                print(f"{label}_seconds: {r['seconds']:.1f} s")
                print(f"{label}_peak_rss: {r['peak_rss_mb']:.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
