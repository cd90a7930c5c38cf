"""The fetcher's own cost, without arXiv's network: parse + store throughput and the number of
requests a routine run makes.

    .venv/bin/python bench/fetch_loopback.py            # 4,000 papers, pages of 200
    .venv/bin/python bench/fetch_loopback.py --n 1000

A loopback fake arXiv (tests/ingest/fakearxiv.py) serves real arXiv metadata (the
bundled sample) in the 2026 Atom format; the delay between requests is 0, so the figures
are what papersift adds on top of arXiv's 3 s per request (at 200 a page, arXiv's pacing
allows at most ~67 papers/s). Then one day's worth of new papers (100) is added and a
routine run is timed and its requests counted. The machine has 2 cores shared with other
jobs: figures move by tens of percent. The last lines print `name: value unit`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import config  # noqa: E402
from ingest.arxiv_client import PoliteClient  # noqa: E402
from ingest.fetch import fetch_new  # noqa: E402
from store import utcnow  # noqa: E402
from store.db import open_store  # noqa: E402
from tests.ingest.fakearxiv import FakeArxiv, real_entries  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--page", type=int, default=200)
    args = parser.parse_args()
    entries = real_entries(args.n + 100, start=utcnow() - timedelta(days=6))
    # space the catalog so it fits the first run's 7-day look-back
    step = timedelta(days=5) / len(entries)
    entries = [replace(e, published=entries[0].published + i * step, updated=entries[0].published + i * step)
               for i, e in enumerate(entries)]
    first, later = entries[: args.n], entries[args.n:]
    with tempfile.TemporaryDirectory() as tmp, FakeArxiv(first) as fake:
        settings = config.load_settings({}, data_dir=tmp, arxiv_api_url=fake.api_url, arxiv_delay=0.0,
                                        arxiv_page_size=args.page, categories=("cs.CV",))
        engine = open_store(settings)
        started = time.perf_counter()
        full = fetch_new(engine, settings, client=PoliteClient(delay=0, timeout=30, retries=3))
        full_s = time.perf_counter() - started
        fake.entries.extend(later)
        before = len(fake.api_requests())
        started = time.perf_counter()
        routine = fetch_new(engine, settings, client=PoliteClient(delay=0, timeout=30, retries=3))
        routine_s = time.perf_counter() - started
        routine_requests = len(fake.api_requests()) - before
        engine.dispose()
    print(full.text())
    print(routine.text())
    print(f"fetch_loopback_papers_per_s: {full.new / full_s:.0f} papers/s")
    print(f"fetch_loopback_full_run: {full_s:.1f} s")
    print(f"fetch_routine_requests: {routine_requests} requests")
    print(f"fetch_routine_run: {routine_s:.2f} s")


if __name__ == "__main__":
    main()
