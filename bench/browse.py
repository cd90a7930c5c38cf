"""Browse latency on a synthetic 100k-paper store: the page's queries and the whole page.

The store is the one bench/search.py builds (real titles, authors and abstract
sentences, seeded) and is reused between runs. Cases, each the first page of 25:
newest papers, a common category, a rare category, the last month, a common category in
the last month, and page 200 of everything.

For each case, the store query (`list_papers`: count plus one page) and the whole
page (GET / through the Flask test client, with the category list and the template) are
timed over --repeat runs. `--baseline` first drops `ix_papers_recent` and always looks
categories up by id, which is how browse worked before, for comparison.

    .venv/bin/python bench/browse.py [--papers 100000] [--repeat 100] [--baseline]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search import build_store, percentiles, timed  # noqa: E402


def cases(conn) -> dict[str, dict[str, str]]:
    from store.papers import category_counts

    counts = category_counts(conn)
    common = next(iter(counts))
    rare = min(counts, key=lambda c: (counts[c], c))
    return {
        "newest": {},
        "common_category": {"cat": common},
        "rare_category": {"cat": rare},
        "last_month": {"window": "month"},
        "common_category_month": {"cat": common, "window": "month"},
        "page_200": {"page": "200"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "papersift-bench-search")
    parser.add_argument("--baseline", action="store_true",
                        help="Without ix_papers_recent and the row-by-row category check.")
    args = parser.parse_args()
    build_store(args.data_dir, args.papers)[1].dispose()

    from flask import request
    from sqlalchemy import text
    from sqlalchemy.schema import CreateIndex

    import store.papers
    from app import create_app
    from services.papers import browse
    from services.params import browse_query
    from store.schema import ix_papers_recent
    from web.db import get_db

    app = create_app({"data_dir": str(args.data_dir), "scheduler_enabled": False, "TESTING": True,
                      "page_cache_seconds": 0})
    with app.app_context():
        conn = get_db()
        if args.baseline:
            conn.execute(text("DROP INDEX IF EXISTS ix_papers_recent"))
            conn.commit()
            store.papers.ROW_BY_ROW_SHARE = 0
        else:
            conn.execute(CreateIndex(ix_papers_recent, if_not_exists=True))
            conn.commit()
        all_cases = cases(conn)
        total = store.papers.count_papers(conn)
    client = app.test_client()
    print(f"papers: {total:,}; cases: {all_cases}", file=sys.stderr)
    prefix = "browse_baseline" if args.baseline else "browse"
    for name, params in all_cases.items():
        with app.test_request_context(query_string=params):
            conn = get_db()
            query = browse_query(request.args)
            store_ms = timed(lambda _, c=conn, q=query: browse(c, q), range(args.repeat))

        def page(_, params=params):
            response = client.get("/", query_string=params)
            assert response.status_code == 200, response.status_code

        page(None)
        page_ms = timed(page, range(args.repeat))
        print(f"{prefix}_{name}_query_p95: {percentiles(store_ms)[1]:.2f} ms")
        print(f"{prefix}_{name}_page_p95: {percentiles(page_ms)[1]:.2f} ms")
    if args.baseline:     # leave the shared store as the application expects it
        with app.app_context():
            get_db().execute(CreateIndex(ix_papers_recent, if_not_exists=True))
            get_db().commit()


if __name__ == "__main__":
    main()
