"""Browse of a category within a window, at the store: `list_papers` (one range of
ix_paper_categories_recent, migration 0007) against `list_papers_by_counts` (the plan over
`papers` used before: the window's papers walked newest first, each checked for the category),
alternating on one store, for the 8 largest categories and windows of 1, 5 and 10 years (a
year at 1M papers holds about as many papers as ten years at 100k). Both must give the same
count and page.

    .venv/bin/python bench/category_window.py ~/.cache/papersift-bench/scale-100000/data

The store must be at migration 0007 (`papersift migrate`); use a copy of a shared one.
"""
from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import config  # noqa: E402
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


def main(data_dir: str) -> None:
    engine = make_engine(config.load_settings({}, data_dir=data_dir))
    with engine.connect() as conn:
        cats = list(conn.execute(text(LARGEST)).scalars())
        end = newest_date(conn)
        print(f"# {len(cats)} categories x {ROUNDS} rounds, count capped at 2,000, page of 25")
        for label, days in WINDOWS:
            times = time_window(conn, cats, end - timedelta(days=days))
            figures = [f"{name} p50 {np.percentile(t, 50):.1f} p95 {np.percentile(t, 95):.1f} ms"
                       for name, t in times.items()]
            print(f"category_window_{label.replace(' ', '_')}: " + " | ".join(figures))
    engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
