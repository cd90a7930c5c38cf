"""Extraction throughput on the real PDFs: pages/s in one process and in the isolated pool.

    .venv/bin/python bench/extract.py [--repeat-pdfminer 2] [--repeat-pdfium 10] [--workers 0]

For each engine: `one process` extracts the PDFs one after another in this process (no
isolation); `pool, 1 worker` runs them through the isolated ExtractionPool with a single
worker process (the cost of isolation); `pool, N workers` uses every core. The corpus is
the text-layer PDFs in ../shared/data/pdfs, repeated so each run lasts a few seconds.
Figures are printed last as `name: value unit`. Other processes on the machine skew them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.extract import ExtractJob, extract_in_process  # noqa: E402
from ingest.extract_pool import ExtractionPool, default_workers  # noqa: E402

PDFS = ROOT.parent / "shared" / "data" / "pdfs"


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
    parser.add_argument("--repeat-pdfminer", type=int, default=2)
    parser.add_argument("--repeat-pdfium", type=int, default=10)
    parser.add_argument("--workers", type=int, default=0, help="pool size; 0 = one per core")
    args = parser.parse_args()
    workers = args.workers or default_workers()
    base = sorted(PDFS.glob("*.pdf"))
    figures = []
    for engine, repeat in (("pdfminer", args.repeat_pdfminer), ("pdfium", args.repeat_pdfium)):
        files = base * repeat
        rates = {}
        for label, size in (("one_process", 0), ("pool_1_worker", 1), (f"pool_{workers}_workers", workers)):
            pages, seconds = pool(files, engine, size) if size else one_process(files, engine)
            rates[label] = pages / seconds
            print(f"{engine:9s} {label:16s} {pages:5d} pages in {seconds:7.2f} s", file=sys.stderr)
            figures.append((f"{engine}_{label}", rates[label], "pages/s"))
        figures.append((f"{engine}_pool_speedup_vs_one_process",
                        rates[f"pool_{workers}_workers"] / rates["one_process"], "x"))
    print(f"cores: {workers}")
    for name, value, unit in figures:
        print(f"{name}: {value:.2f} {unit}")


if __name__ == "__main__":
    main()
