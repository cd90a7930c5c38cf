"""Hot, cooling and emerging terms on real papers: what the lists say, and how much filler.

    .venv/bin/python bench/trends_quality.py                       # the bundled sample
    BENCH_CORPUS=/path/to/arxiv_daily_cs_2025-03_2026-04.jsonl.gz .venv/bin/python bench/trends_quality.py
    .venv/bin/python bench/trends_quality.py --corpus PATH --category cs.IT --category cs.CV

Reads a metadata corpus (bench/_data.py: the bundled 4,001-paper sample unless
BENCH_CORPUS names another) as the importer does, builds the trend table as the index
does, and prints the top 10 of each list for the newest month with the windows compared
(on stderr), then per list how many of its top 30 are *filler*: single words that are
common in general English, by `wordfreq`'s Zipf frequency >= 4.0 (a word used at least
once in 10,000 words of ordinary text: "results", "certain", "management"). Topic words
can be common English too ("video", "agents"), so the count is an upper bound on filler.
The target (issue 19) is at most 5 of 30 in the hot and in the cooling list.
Needs wordfreq (a dev dependency).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _data import corpus  # noqa: E402

from domain.records import PaperRecord  # noqa: E402
from ingest.jsonl import read_jsonl  # noqa: E402
from recommend.index import Doc  # noqa: E402
from recommend.text import document  # noqa: E402
from recommend.trend_hot import hot_report  # noqa: E402
from recommend.trends import MIN_DF, TrendTable, build_trends  # noqa: E402

TOP = 30
SHOWN = 10
COMMON_ZIPF = 4.0


def load_table(path: Path) -> TrendTable:
    records = [r for r in read_jsonl(path) if isinstance(r, PaperRecord)]
    docs = [Doc(r.id, r.published, r.categories, document(r.title, r.abstract)) for r in records]
    published = np.array([np.datetime64(d.published.date(), "D") for d in docs])
    parts = build_trends(published, docs, min_df=max(MIN_DF, round(len(docs) / 20_000)))
    return TrendTable.from_parts(parts, np.array([d.id for d in docs]))


def filler(terms: list[str]) -> list[str]:
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        sys.exit("bench/trends_quality.py needs wordfreq: .venv/bin/pip install -e '.[dev]'")
    return [t for t in terms if " " not in t and zipf_frequency(t, "en") >= COMMON_ZIPF]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, help="a JSON-lines corpus (default: BENCH_CORPUS or the sample)")
    ap.add_argument("--category", action="append", default=[],
                    help="also judge the lists within this category (repeatable)")
    args = ap.parse_args()
    path = args.corpus or corpus()
    table = load_table(path)
    for category in [None, *args.category]:
        report = hot_report(table, n=TOP, category=category)
        if report["windows"] is None:
            print(f"{category}: {report['notice']}", file=sys.stderr)
            continue
        recent, base = report["windows"]["recent"], report["windows"]["baseline"]
        print(f"{path.name}{f' [{category}]' if category else ''}: {table.n_papers:,} papers; "
              f"{recent['start']}..{recent['end']} ({recent['papers']:,}) against "
              f"{base['start']}..{base['end']} ({base['papers']:,})", file=sys.stderr)
        suffix = f"_{category.replace('.', '_')}" if category else ""
        for key in ("hot", "cooling", "emerging"):
            items = report[key]
            shown = [i["term"] + (f" (since {i['first_month']})" if key == "emerging" else "")
                     for i in items[:SHOWN]]
            print(f"{key} top {SHOWN} of {len(items)}: {', '.join(shown)}", file=sys.stderr)
            common = filler([i["term"] for i in items])
            print(f"{key} filler in top {TOP}: {', '.join(common) or '-'}", file=sys.stderr)
            print(f"trends_{key}_filler_top30{suffix}: {len(common)} words")


if __name__ == "__main__":
    main()
