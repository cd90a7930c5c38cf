"""Where the repository, the test data and the bundled sample corpus are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TEST_DATA = ROOT / "tests" / "data"        # real arXiv material, trimmed: see its README
SAMPLE_DIR = ROOT / "data" / "sample"
SAMPLE_CORPUS = SAMPLE_DIR / "arxiv_cs_sample.jsonl.gz"
