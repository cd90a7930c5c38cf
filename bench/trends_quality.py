"""Hot, cooling and emerging terms on real papers: what the lists say, and how much filler.

    .venv/bin/python bench/trends_quality.py                       # the bundled sample
    BENCH_CORPUS=/path/to/arxiv_daily_cs_2025-03_2026-04.jsonl.gz .venv/bin/python bench/trends_quality.py
    .venv/bin/python bench/trends_quality.py --corpus PATH --category cs.LG --category cs.CV

Reads a metadata corpus (bench/_data.py: the bundled 4,001-paper sample unless
BENCH_CORPUS names another) as the importer does, builds the trend table as the index
does, and prints the top 10 of each list for the newest month with the windows compared
(on stderr), twice in the same run: the *baseline* without the topic rule
(`recommend.trend_topic`: the same table without its title postings, which is how lists
were ranked before the rule) and the lists as served. Then per list two counts over
its top 30:

- *filler* (the first measure, kept): single words common in general English, by
  `wordfreq`'s Zipf frequency >= 4.0 (at least once in 10,000 words of ordinary text:
  "results", "certain", "management"). Too lenient to see weak words of middling
  frequency: "stationary" (3.6), "weaker" (3.9), "finite" (3.8) pass it.
- *weak* (stricter): single words with Zipf >= 3.0 that are not in
  bench/topic_words.txt, a short hand-judged list of words that name a field, an object
  of study or a method in computer science ("agents", "diffusion", "segmentation",
  "antenna"; its header says how it was made). It flags "stationary", "weaker",
  "admits", "fallback", "evidence", "failure". Its limits: a topic word missing from the
  list counts as weak, so the count is an upper bound that depends on the list; a weak
  phrase ("domain remains", "average gain") is never counted, since judging phrases by
  their words' frequency would flag most topics ("language models"); a rare weak word
  (Zipf < 3.0, "auditable") is not counted either.

Needs wordfreq (a dev dependency).
"""

from __future__ import annotations

import argparse
import dataclasses
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
WEAK_ZIPF = 3.0
TOPIC_WORDS = Path(__file__).with_name("topic_words.txt")
LISTS = ("hot", "cooling", "emerging")


def load_table(path: Path) -> TrendTable:
    records = [r for r in read_jsonl(path) if isinstance(r, PaperRecord)]
    docs = [Doc(r.id, r.published, r.categories, document(r.title, r.abstract), title=r.title)
            for r in records]
    published = np.array([np.datetime64(d.published.date(), "D") for d in docs])
    parts = build_trends(published, docs, min_df=max(MIN_DF, round(len(docs) / 20_000)))
    return TrendTable.from_parts(parts, np.array([d.id for d in docs]))


def without_topic_rule(table: TrendTable) -> TrendTable:
    """The same table without title evidence: every term counts as a topic."""
    return dataclasses.replace(table, title_postings=None, title_postings_ptr=None)


def _zipf():
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        sys.exit("bench/trends_quality.py needs wordfreq: .venv/bin/pip install -e '.[dev]'")
    return zipf_frequency


def filler(terms: list[str]) -> list[str]:
    zipf = _zipf()
    return [t for t in terms if " " not in t and zipf(t, "en") >= COMMON_ZIPF]


def topic_words() -> set[str]:
    lines = TOPIC_WORDS.read_text(encoding="utf-8").splitlines()
    return {w.strip().lower() for w in lines if w.strip() and not w.startswith("#")}


def weak(terms: list[str], topics: set[str]) -> list[str]:
    zipf = _zipf()
    return [t for t in terms if " " not in t and t.lower() not in topics
            and zipf(t, "en") >= WEAK_ZIPF]


def judge(table: TrendTable, category: str | None, label: str, topics: set[str]) -> None:
    """Print one table's lists (stderr) and their counts (stdout)."""
    report = hot_report(table, n=TOP, category=category)
    if report["windows"] is None:
        print(f"{category}: {report['notice']}", file=sys.stderr)
        return
    suffix = f"_{category.replace('.', '_')}" if category else ""
    for key in LISTS:
        items = report[key]
        shown = [i["term"] + (f" (since {i['first_month']})" if key == "emerging" else "")
                 for i in items[:SHOWN]]
        print(f"  {label} {key} top {SHOWN} of {len(items)}: {', '.join(shown)}", file=sys.stderr)
        terms = [i["term"] for i in items]
        common, strict = filler(terms), weak(terms, topics)
        print(f"  {label} {key} filler: {', '.join(common) or '-'}; weak: {', '.join(strict) or '-'}",
              file=sys.stderr)
        print(f"trends_{key}_listed{suffix}_{label}: {len(items)} terms")
        print(f"trends_{key}_filler_top30{suffix}_{label}: {len(common)} words")
        print(f"trends_{key}_weak_top30{suffix}_{label}: {len(strict)} words")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, help="a JSON-lines corpus (default: BENCH_CORPUS or the sample)")
    ap.add_argument("--category", action="append", default=[],
                    help="also judge the lists within this category (repeatable)")
    args = ap.parse_args()
    path = args.corpus or corpus()
    table, topics = load_table(path), topic_words()
    baseline = without_topic_rule(table)
    for category in [None, *args.category]:
        report = hot_report(table, n=1, category=category)
        if report["windows"] is not None:
            recent, base = report["windows"]["recent"], report["windows"]["baseline"]
            print(f"{path.name}{f' [{category}]' if category else ''}: {table.n_papers:,} papers; "
                  f"{recent['start']}..{recent['end']} ({recent['papers']:,}) against "
                  f"{base['start']}..{base['end']} ({base['papers']:,})", file=sys.stderr)
        judge(baseline, category, "baseline", topics)
        judge(table, category, "topics", topics)


if __name__ == "__main__":
    main()
