"""Where the benchmarks find real data: the repository's own copies, unless told otherwise.

By default every bench reads the bundled sample corpus (4,001 real papers) and the real
PDFs and topic collections under tests/data, so `make bench` works in a fresh clone. A larger
corpus in the same JSON-lines format (e.g. the 24k-paper daily-listings file the sample was
drawn from) is named with an environment variable:

    BENCH_CORPUS=/path/to/arxiv_daily_cs_2025-03_2026-04.jsonl.gz make bench
"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "data" / "sample" / "arxiv_cs_sample.jsonl.gz"
TEST_DATA = ROOT / "tests" / "data"
PDFS = TEST_DATA / "pdfs"
TOPICS = TEST_DATA / "metadata" / "topic_collections_shared.jsonl.gz"


def corpus() -> Path:
    """The metadata corpus benches draw real titles and sentences from."""
    named = os.environ.get("BENCH_CORPUS")
    if not named:
        return SAMPLE_CORPUS
    path = Path(named)
    if not path.is_file():
        sys.exit(f"BENCH_CORPUS={named}: no such file")
    return path


def open_text(path: Path) -> TextIO:
    """Open a JSON-lines file for reading, gzip'ed or not (decided by its first bytes)."""
    with path.open("rb") as fh:
        packed = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8") if packed else path.open(encoding="utf-8")
