"""Extraction throughput on the real PDFs: pages/s in one process and in the isolated pool.

    .venv/bin/python bench/extract.py [--repeat-pdfminer 1] [--repeat-pdfium 5] [--rounds 3]

For each engine: `one process` extracts the PDFs one after another in this process (no
isolation); `pool, 1 worker` runs them through the isolated ExtractionPool with a single
worker process (the cost of isolation); `pool, N workers` uses every core. The corpus is
the real text-layer PDFs in tests/data/pdfs, repeated so each run lasts a few seconds.
The set-ups alternate for `--rounds` rounds and each keeps its best rate, so a burst of
load from other jobs does not land on one set-up only. Figures are printed last as
`name: value unit`. With the kernel's autogroup scheduling, all processes of one session
share that session's CPU share, so when other sessions keep the cores busy the pool cannot
get more than one session's worth of CPU: measure the speed-up on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _data import PDFS  # noqa: E402

from ingest.extract import ExtractJob, extract_in_process  # noqa: E402
from ingest.extract_pool import ExtractionPool, default_workers  # noqa: E402


def one_process(files: list[Path], engine: str) -> tuple[int, float]:
    start = time.perf_counter()
    pages = 0
    for f in files:
        result = extract_in_process(str(f), engine)
        assert result.ok, (f, result.reason)
        pages += result.pages
    return pages, time.perf_counter() - start


def pool(files: list[Path], engine: str, workers: int) -> tuple[int, float]:
    runner = ExtractionPool(engine=engine, timeout=300, memory_mb=2048, workers=workers)
    list(runner.run([ExtractJob(0, str(PDFS / "arxiv_2305.03393v1_page9_only.pdf"))]))  # start forkserver
    start = time.perf_counter()
    pages = 0
    for _job, result in runner.run(ExtractJob(i, str(f)) for i, f in enumerate(files)):
        assert result.ok, result.reason
        pages += result.pages
    return pages, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat-pdfminer", type=int, default=1)
    parser.add_argument("--repeat-pdfium", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternate the set-ups this many times and keep each one's best")
    parser.add_argument("--workers", type=int, default=0, help="pool size; 0 = one per core")
    args = parser.parse_args()
    workers = args.workers or default_workers()
    base = sorted(PDFS.glob("*.pdf"))
    setups = (("one_process", 0), ("pool_1_worker", 1), (f"pool_{workers}_workers", workers))
    figures = []
    for engine, repeat in (("pdfminer", args.repeat_pdfminer), ("pdfium", args.repeat_pdfium)):
        files = base * repeat
        rates: dict[str, float] = {}
        for _round in range(args.rounds):          # interleaved, so a burst of load hits all
            for label, size in setups:
                pages, seconds = pool(files, engine, size) if size else one_process(files, engine)
                rates[label] = max(rates.get(label, 0.0), pages / seconds)
                print(f"{engine:9s} {label:16s} {pages:5d} pages in {seconds:7.2f} s", file=sys.stderr)
        figures += [(f"{engine}_{label}", rates[label], "pages/s") for label, _size in setups]
        figures.append((f"{engine}_pool_speedup_vs_one_process",
                        rates[f"pool_{workers}_workers"] / rates["one_process"], "x"))
    print(f"load_average_1min: {os.getloadavg()[0]:.1f} runnable")
    print(f"pool_workers: {workers} processes")
    for name, value, unit in figures:
        print(f"{name}: {value:.2f} {unit}")


if __name__ == "__main__":
    main()
