"""The full build's count stage alone, old code against new: `index_pass.count_text` run
on a store's first papers and stopped once `count_runs` returns (the store read, the
feeding process, two counting workers), its wall time and CPU seconds printed.

    .venv/bin/python bench/count_stage.py --store DATA_DIR --papers 20000
    .venv/bin/python bench/count_stage.py --store DATA_DIR --code-root /tmp/base --rounds 2

Each measurement runs in a fresh process with the code named by --code-root (default: this
checkout) first on sys.path; with --code-root the two codes alternate, --rounds times
each, on the same papers. CPU is split into the feeding process's (user + sys: reading,
the per-paper columns, the trend labels' sample, pickling, the background run merges) and
the workers' (its children's). The store is only read. Figures are JSON lines, then one
`name: value unit` line per code.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class _Counted(Exception):
    """Raised to stop the build once the count stage is done."""


def measure(store: Path, n_papers: int) -> dict:
    """The count stage over the first `n_papers` of `store`, with the code on sys.path."""
    from config import load_settings
    from ingest.indexing import StoreDocs
    from recommend import index_pass
    from store.db import make_engine
    from store.index_docs import index_doc_ids, snapshot

    figures: dict = {}
    count_runs = index_pass.count_runs

    def timed(*args, **kwargs):
        own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                     resource.RUSAGE_CHILDREN))
        started = time.perf_counter()
        counted = count_runs(*args, **kwargs)
        own2, kids2 = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                       resource.RUSAGE_CHILDREN))
        figures.update(
            wall_s=time.perf_counter() - started,
            feeder_cpu_s=own2.ru_utime + own2.ru_stime - own.ru_utime - own.ru_stime,
            worker_cpu_s=kids2.ru_utime + kids2.ru_stime - kids.ru_utime - kids.ru_stime,
            papers=len(counted.lengths), text_terms=int(counted.lengths.sum()))
        raise _Counted

    index_pass.count_runs = timed
    engine = make_engine(load_settings({}, data_dir=store))
    load = os.getloadavg()[0]
    with (snapshot(engine) as conn, tempfile.TemporaryDirectory() as spill,
          contextlib.suppress(_Counted)):
        index_pass.count_text(StoreDocs(conn, index_doc_ids(conn)[:n_papers]), Path(spill),
                              n_jobs=2)
    engine.dispose()
    return {**figures, "code": index_pass.__file__, "load_before": load,
            "load_after": os.getloadavg()[0]}


def _in_fresh_process(root: Path, store: Path, n_papers: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--measure", "--code-root",
           str(root), "--store", str(store), "--papers", str(n_papers)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a data folder to read")
    parser.add_argument("--papers", type=int, default=20_000, help="first papers (20000)")
    parser.add_argument("--code-root", type=Path, help="other papersift code to compare")
    parser.add_argument("--rounds", type=int, default=1, help="measurements per code (1)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:    # one measurement, in this fresh process, with the named code
        sys.path.insert(0, str(args.code_root.resolve()))
        print(json.dumps(measure(args.store, args.papers)))
        return 0
    codes = [("this", ROOT)] + ([("other", args.code_root.resolve())] if args.code_root else [])
    cpu: dict[str, list[float]] = {name: [] for name, _ in codes}
    for round_no in range(args.rounds):
        for name, root in codes if round_no % 2 == 0 else codes[::-1]:
            figures = _in_fresh_process(root, args.store, args.papers)
            cpu[name].append(figures["feeder_cpu_s"] + figures["worker_cpu_s"])
            print(json.dumps({"name": name, **figures}), flush=True)
    for name, seconds in cpu.items():
        print(f"count_stage_{name}_code_cpu: {min(seconds):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
