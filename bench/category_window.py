"""Browse of a category within a window, at the store: `list_papers` (one range of
ix_paper_categories_recent, migration 0007) against `list_papers_by_counts` (the plan over
`papers` used before: the window's papers walked newest first, each checked for the category),
alternating on one store, for the 8 largest categories and windows of 1, 5 and 10 years (a
year at 1M papers holds about as many papers as ten years at 100k). Both must give the same
count and page.

    .venv/bin/python bench/category_window.py                      # the scale bench's cached store
    .venv/bin/python bench/category_window.py /tmp/scale-100000/data

The store (by default bench/scale.py's cached 30k store, else its 100k one) is copied into a
temporary folder and migrated there: the original is never changed.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import config  # noqa: E402
from store import migrations  # noqa: E402
from store.db import make_engine  # noqa: E402
from store.papers import PaperFilter, list_papers, list_papers_by_counts, newest_date  # noqa: E402

WINDOWS = (("1 year", 365), ("5 years", 5 * 365), ("10 years", 3700))
ROUNDS = 4
LARGEST = ("SELECT category FROM paper_categories GROUP BY category ORDER BY count(*) DESC LIMIT 8")


def time_window(conn, cats: list[str], since) -> dict[str, list[float]]:
    """ms per call of each lister, alternating which goes first; both must agree."""
    times: dict[str, list[float]] = {"before": [], "range": []}
    listers = {"before": list_papers_by_counts, "range": list_papers}
    for r in range(ROUNDS):
        for cat in cats:
            seen = {}
            for name in (("before", "range") if r % 2 == 0 else ("range", "before")):
                started = time.perf_counter()
                total, page = listers[name](conn, PaperFilter(category=cat, since=since), limit=25,
                                            offset=0, count_cap=2000)
                times[name].append((time.perf_counter() - started) * 1000)
                seen[name] = (total, [p.id for p in page])
            assert seen["before"] == seen["range"], cat          # the same count and page
    return times


def cached_store() -> Path | None:
    """bench/scale.py's cached data dir (30k, else 100k papers), if one was built."""
    base = Path(os.environ.get("PAPERSIFT_BENCH_CACHE") or Path.home() / ".cache" / "papersift-bench")
    return next((d for n in (30000, 100000) if (d := base / f"scale-{n}" / "data").is_dir()), None)


def main(data_dir: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="papersift-category-window-"))
    try:
        source = sqlite3.connect(f"file:{data_dir / 'papersift.db'}?mode=ro", uri=True)   # never changed
        target = sqlite3.connect(work / "papersift.db")
        source.backup(target)
        source.close()
        target.close()
        engine = make_engine(config.load_settings({}, data_dir=str(work)))
        migrations.upgrade(engine)
        with engine.connect() as conn:
            cats = list(conn.execute(text(LARGEST)).scalars())
            end = newest_date(conn)
            print(f"# {data_dir}: {len(cats)} categories x {ROUNDS} rounds, count cap 2,000, page of 25")
            for label, days in WINDOWS:
                times = time_window(conn, cats, end - timedelta(days=days))
                for name, t in times.items():
                    p50, p95 = np.percentile(t, [50, 95])
                    print(f"category_window_{label.replace(' ', '_')}_{name}_p50: {p50:.1f} ms")
                    print(f"category_window_{label.replace(' ', '_')}_{name}_p95: {p95:.1f} ms")
        engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    named = Path(sys.argv[1]) if len(sys.argv) > 1 else cached_store()
    if named is None or not (named / "papersift.db").is_file():
        sys.exit("no store: name a data dir, or run bench/scale.py --papers 30000 first")
    main(named)
