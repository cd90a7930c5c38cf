"""The corpus of bench/scale.py: N synthetic papers as JSON lines for `papersift import`,
and full texts given to K of the stored papers as an extraction stores them."""

from __future__ import annotations

import gzip
import itertools
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from _data import corpus

# the update's papers (bench/scale.py step 3)
UPDATE_PAPERS = 2000
# full texts stored per transaction
FULLTEXT_BATCH = 500


def write_corpus(path: Path, n: int, *, seed: int, first_year: int) -> None:
    """n synthetic papers as JSON lines (arXiv listing shape), ids YYMM.NNNNN by date."""
    from datetime import date, timedelta

    from index_build import iter_synthetic_docs

    with gzip.open(corpus(), "rt", encoding="utf-8") as fh:
        authors = [r["authors"] for r in map(json.loads, fh) if r.get("authors")]
    rng = random.Random(seed)
    per_month: dict[str, int] = defaultdict(int)
    shift = date(first_year, 1, 1) - date(2016, 1, 1)
    span_days = 3650 if n > UPDATE_PAPERS else 60   # the update: two months after the corpus
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for d in iter_synthetic_docs(n, seed=seed):
            day = d.published + shift if span_days == 3650 else \
                date(first_year, 1, 1) + timedelta(days=rng.randrange(span_days))
            month = f"{day.year % 100:02d}{day.month:02d}"
            per_month[month] += 1
            title, _, abstract = d.text.partition(" . ")
            out.write(json.dumps({
                "id": f"{month}.{per_month[month]:05d}", "title": title, "summary": abstract,
                "authors": rng.choice(authors), "categories": list(d.categories),
                "listing_date": day.isoformat()}) + "\n")


def store_fulltexts(data_dir: Path, k: int, *, seed: int = 0) -> dict:
    """Give k of the stored papers (seeded) a synthetic full text, stored as the extractor
    stores its results (`store.fulltext.record_result`, a transaction per batch)."""
    from index_build import synthetic_fulltexts

    import config
    from store.db import make_engine
    from store.fulltext import candidates, record_result

    started, cpu = time.perf_counter(), time.process_time()
    engine = make_engine(config.load_settings({}, data_dir=str(data_dir)))
    with engine.connect() as conn:
        waiting = candidates(conn, max_attempts=1)
    if k > len(waiting):
        sys.exit(f"--full-texts {k}: only {len(waiting)} papers lack a full text")
    chosen = sorted(random.Random(seed).sample(waiting, k), key=lambda c: c.paper_id)
    pairs, chars = zip(chosen, synthetic_fulltexts(k, seed=seed), strict=True), 0
    for _ in range(0, k, FULLTEXT_BATCH):
        with engine.begin() as conn:
            for cand, text in itertools.islice(pairs, FULLTEXT_BATCH):
                record_result(conn, cand.paper_id, cand.version, status="ok", text=text,
                              pages=1 + len(text) // 3000, seconds=0.0, engine="bench")
                chars += len(text)
    engine.dispose()
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu,
            "peak_mb": None,
            "output": [f"{k:,} full texts, {chars / 1e6:,.0f}M characters"], "stages": []}
