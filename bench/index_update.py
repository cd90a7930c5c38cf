"""`papersift index` after 2,000 new papers: an incremental update against a full rebuild.

    .venv/bin/python bench/index_update.py --n 100000
    .venv/bin/python bench/index_update.py --n 300000 --rounds 1

Imports N synthetic papers into a SQLite store (bench/index_build_store.py's corpus), builds
the index in full, then imports 2,000 more papers (new ids, dated in the month after the
corpus) and times, on the same store, the update of the base version by `build` and a
full rebuild (`build(full=True)`), each in a fresh process, alternating which runs first
in each round. Before each update the base version is put back as current, so every
round updates the same base with the same delta.

Parts: only the extra parts that have an incremental updater take part, in both the
update and the full build, so the two make the same parts (without an updater for
every part `build` would not update at all); the line starting `# parts` names them.
Each part's builder or updater is timed on its own, and the LSA parts' size on disk is
printed (PAPERSIFT_SEARCH_LSA_DIM sets their dimensions, 128 by default).
The drift limit is lifted (PAPERSIFT_INDEX_REFIT_DRIFT=1), so that small stores, where
2,000 papers pass the default 5%, update too. Peak RSS is the process's own peak plus
its worker processes' (as index_build.py).
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

NEW_PAPERS = 2000


def write_new_papers(path: Path, n: int) -> None:
    """n more synthetic papers, ids 2601.*, dated January 2026 (after the corpus's years)."""
    from index_build import synthetic_docs

    with gzip.open(path, "wt", encoding="utf-8") as out:
        for i, d in enumerate(synthetic_docs(n, seed=1)):
            title, _, abstract = d.text.partition(" . ")
            out.write(json.dumps({
                "id": f"2601.{i + 1:05d}", "title": title, "summary": abstract,
                "authors": ["C. Newcomer"], "categories": list(d.categories),
                "listing_date": f"2026-01-{1 + i % 28:02d}"}) + "\n")


def _app(data_dir: Path):
    from app import create_app

    # no drift limit: below 100k papers 2,000 new ones pass the default 5% and would refit
    return create_app({"data_dir": str(data_dir), "scheduler_enabled": False,
                       "index_refit_drift": 1.0}, web=False)


def updatable_parts() -> list[str]:
    """Keep only the extra parts with an updater; returns the names of those left out."""
    from ingest import indexing

    left_out = [entry[0] for entry in indexing.EXTRA_BUILDERS if entry[2] is None]
    indexing.EXTRA_BUILDERS[:] = [e for e in indexing.EXTRA_BUILDERS if e[2] is not None]
    return left_out


def timed_parts() -> dict[str, float]:
    """Time each extra part's builder and updater; returns seconds per part name, filled
    as the build runs."""
    from ingest import indexing

    seconds: dict[str, float] = {}

    def timed(name, function):
        if function is None:
            return None

        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
        return run

    indexing.EXTRA_BUILDERS[:] = [(e[0], timed(e[0], e[1]), timed(e[0], e[2]))
                                  for e in indexing.EXTRA_BUILDERS]
    return seconds


def part_bytes(version_dir: Path, prefix: str) -> int:
    return sum(f.stat().st_size for f in version_dir.glob(f"{prefix}*.npy"))


def run_step(data_dir: Path, step: str) -> dict:
    """One measured build in this (fresh) process: "update" or "full"."""
    from index_build import WorkerWatch, _maxrss_mb

    from ingest import indexing

    left_out = updatable_parts()
    part_seconds = timed_parts()
    app = _app(data_dir)
    watcher = WorkerWatch()
    watcher.start()
    started = time.perf_counter()
    result = indexing.build(app.extensions["papersift.engine"], app.config["SETTINGS"],
                            full=step == "full")
    seconds = time.perf_counter() - started
    watcher.stop()
    self_mb = _maxrss_mb(resource.RUSAGE_SELF)
    worker_mb = sum(watcher.peaks_kb.values()) / 1024
    return {"seconds": seconds, "summary": result.summary(), "updated": result.updated,
            "version": result.info.version, "n_docs": result.info.n_docs,
            "peak_rss_mb": self_mb + worker_mb, "left_out": left_out,
            "parts": [e[0] for e in indexing.EXTRA_BUILDERS], "part_seconds": part_seconds,
            "version_mb": result.info.size_bytes / 1e6,
            "lsa_mb": part_bytes(data_dir / "index" / result.info.version, "lsa_") / 1e6}


def _fresh(data_dir: Path, step: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, str(data_dir)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def _restore(root: Path, saved: Path, version: str) -> None:
    """Make the base version current again (copied back if a later build pruned it)."""
    from domain.index_files import set_current

    if not (root / version).exists():
        shutil.copytree(saved, root / version)
    set_current(root, version)


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="papers in the base store (100000)")
    parser.add_argument("--rounds", type=int, default=2, help="update + full rebuild pairs (2)")
    parser.add_argument("--step", nargs=2, metavar=("STEP", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        print(json.dumps(run_step(Path(args.step[1]), args.step[0])))
        return 0
    from index_build_store import make_store

    from ingest.pipeline import import_files

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        print(f"# importing {args.n:,} synthetic papers: {make_store(data_dir, args.n):.0f} s",
              flush=True)
        base = _fresh(data_dir, "full")
        print(f"# parts: core + {', '.join(base['parts']) or 'none'}"
              + (f" ({', '.join(base['left_out'])} left out: no updater)" if base["left_out"] else ""))
        print(f"# base: {base['summary']}", flush=True)
        root = data_dir / "index"
        saved = data_dir / "base-copy"
        shutil.copytree(root / base["version"], saved)
        new_file = data_dir / "new.jsonl.gz"
        write_new_papers(new_file, NEW_PAPERS)
        import_files(_app(data_dir).extensions["papersift.engine"], [new_file], progress=False)
        figures: dict[str, list[dict]] = {"update": [], "full": []}
        for round_no in range(args.rounds):
            for step in ("update", "full") if round_no % 2 == 0 else ("full", "update"):
                _restore(root, saved, base["version"])
                load = _load()
                r = _fresh(data_dir, step)
                if step == "update" and not r["updated"]:
                    raise SystemExit(f"expected an incremental update, got: {r['summary']}")
                parts = ", ".join(f"{name} {sec:.1f} s" for name, sec in r["part_seconds"].items())
                print(f"# {step}: {r['summary']}; peak RSS {r['peak_rss_mb']:.0f} MB; load {load}; "
                      f"parts: {parts}; version {r['version_mb']:.1f} MB of which LSA "
                      f"{r['lsa_mb']:.1f} MB", flush=True)
                figures[step].append(r)
        label = f"index_update_{args.n // 1000}k_plus_{NEW_PAPERS}"
        for step, name in (("update", "update"), ("full", "full_rebuild")):
            best = min(figures[step], key=lambda r: r["seconds"])
            print(f"{label}_{name}_seconds: {best['seconds']:.1f} s")
            print(f"{label}_{name}_peak_rss: {best['peak_rss_mb']:.0f} MB")
            if "lsa" in best["part_seconds"]:
                print(f"{label}_{name}_lsa_seconds: {best['part_seconds']['lsa']:.1f} s")
        print(f"{label}_lsa_disk: {figures['update'][-1]['lsa_mb']:.1f} MB "
              f"of {figures['update'][-1]['version_mb']:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
