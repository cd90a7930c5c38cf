"""A generated corpus in the Kaggle arXiv snapshot's shape, with topics planted to rise,
fade and appear, over real abstracts: each paper is a random paper of the bundled sample
(its abstract and categories, drawn regardless of date, so no background word drifts on
purpose), and a paper given a planted topic lists that topic's category first."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "arxiv_cs_sample.jsonl.gz"
MONTHS = 24                  # 2023-01 .. 2024-12
PER_MONTH = 60
RECENT_FROM = 18             # the newest month's recent window: 2024-07 .. 2024-12

# planted topic -> (share of papers before RECENT_FROM, share from then on, its category,
# sentences naming it, in a variant or two)
PLANTED = {
    "gaussian splatting": (0.02, 0.12, "cs.GR", ["With Gaussian splatting."]),
    "fractalnet": (0.15, 0.02, "cs.NE", ["We propose FractalNet.", "FractalNet based.",
                                         "The FractalNet paper."]),
}
EMERGING = "quasarformer"    # in no paper before 2024-09, then in 10%
EMERGING_FROM = 20
EMERGING_SENTENCE = ("With QuasarFormer.", "cs.CL")


def _sample() -> list[dict]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def kaggle_records(seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    pool = _sample()
    records = []
    for month in range(MONTHS):
        year, mon = 2023 + month // 12, 1 + month % 12
        for j in range(PER_MONTH):
            src = pool[int(rng.integers(len(pool)))]
            text, categories = [" ".join(src["summary"].split())], list(src["categories"])
            planted = [(cat, sentences) for before, after, cat, sentences in PLANTED.values()
                       if rng.random() < (after if month >= RECENT_FROM else before)]
            if month >= EMERGING_FROM and rng.random() < 0.10:
                planted.append((EMERGING_SENTENCE[1], [EMERGING_SENTENCE[0]]))
            for cat, sentences in planted:
                text.insert(int(rng.integers(2)), sentences[int(rng.integers(len(sentences)))])
                categories = [cat] + [c for c in categories if c != cat]
            records.append(_record(f"{year % 100:02d}{mon:02d}.{j + 1:05d}",
                                   datetime(year, mon, 1 + j % 28), categories, " ".join(text)))
    return records


def _record(arxiv_id: str, created: datetime, categories: list[str], abstract: str) -> dict:
    return {"id": arxiv_id, "submitter": "A. Author", "authors": "A. Author, B. Author",
            "title": f"Paper {arxiv_id}", "comments": None, "journal-ref": None, "doi": None,
            "report-no": None, "categories": " ".join(categories), "license": None,
            "abstract": "  " + abstract + "\n",
            "versions": [{"version": "v1", "created": created.strftime("%a, %d %b %Y %H:%M:%S GMT")}],
            "update_date": created.strftime("%Y-%m-%d"),
            "authors_parsed": [["Author", "A.", ""], ["Author", "B.", ""]]}


def write_kaggle(path: Path, seed: int = 0) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in kaggle_records(seed)), encoding="utf-8")
    return path
