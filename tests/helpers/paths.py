"""Where the repository, the test data and the bundled sample corpus are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TEST_DATA = ROOT / "tests" / "data"        # real arXiv material, trimmed: see its README
SAMPLE_DIR = ROOT / "data" / "sample"
SAMPLE_CORPUS = SAMPLE_DIR / "arxiv_cs_sample.jsonl.gz"


def trimmed_sample(folder: Path, n: int) -> Path:
    """The first n papers of the sample corpus as a gzipped JSON-lines file in folder."""
    import gzip
    from itertools import islice

    trimmed = folder / "papers.jsonl.gz"
    with gzip.open(SAMPLE_CORPUS, "rt", encoding="utf-8") as src, \
            gzip.open(trimmed, "wt", encoding="utf-8") as out:
        out.writelines(islice(src, n))
    return trimmed
