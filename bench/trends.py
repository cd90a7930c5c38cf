"""Trend table: build time and size, and latency of keyword series and hot/not queries.

    .venv/bin/python bench/trends.py               # 100k synthetic papers over 10 years
    .venv/bin/python bench/trends.py --n 20000     # a quicker look

The synthetic corpus resamples real text: each paper is a random real title and a run of
random sentences from real abstracts (the bundled sample, or BENCH_CORPUS: see
bench/_data.py; as many as a random real abstract has), with a random real category list,
published on a uniformly
random day of 2016-01-01 .. 2025-12-31. So word and bigram frequencies look like arXiv's.

The parts are written with recommend.index.write_part and read back memory-mapped, as
the web workers see them. Query latencies are over the loaded table: a series of one
random table term (all papers, and within one category), a three-word phrase scan
against an in-memory text lookup, did-you-mean for a misspelt term, and the hot,
cooling and emerging lists (one call makes all three): `trends_hot_p95` for the newest
month (the page's default view), `trends_hot_any_month_p95` for random other months and
`trends_hot_category_p95` for random months within the largest categories (each computed
on demand, then cached by the web layer). Terms are judged within primary categories;
`trends_hot_any_month_all_papers_as_one_p95` is the same months over all papers as one
(a table without primary categories), measured alternately in the same run as a baseline.
`trends_generic_terms_seconds` is the one-off finding of generic and topic terms that
the first hot list of a worker pays (the generic flags loaded, as the build stores them);
`trends_generic_terms_lazy_seconds` finds the generic flags alone on the same table
without them, as for a version built before they were stored.
`trends_build_title_postings_seconds` is the part of the build that finds each title's
terms (`recommend.trend_topic`), timed again alone in the same run:
the build without it is the build time less this. Each latency is given
as wall-clock and as CPU time (`_cpu_p95`, which leaves out waiting for a core). Build time is single-process
(tokenising every paper dominates). The machine has 2 cores and other jobs may run at
the same time, so figures vary by tens of percent between runs.
The last lines print one figure each as `name: value unit`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _data import corpus  # noqa: E402

from recommend.index import Doc, read_part, write_part  # noqa: E402
from recommend.text import document, words  # noqa: E402
from recommend.trend_build import title_presence  # noqa: E402
from recommend.trend_hot import hot_report, trends_report  # noqa: E402
from recommend.trend_query import parse_terms  # noqa: E402
from recommend.trends import TrendTable, build_trends  # noqa: E402

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def synthetic_docs(n: int, seed: int = 0) -> list[Doc]:
    with gzip.open(corpus(), "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    sentences = [s for r in records for s in _SENTENCE_END.split(" ".join(r["summary"].split()))]
    lengths = [len(_SENTENCE_END.split(r["summary"])) for r in records]
    rng = np.random.default_rng(seed)
    start, days = date(2016, 1, 1), (date(2025, 12, 31) - date(2016, 1, 1)).days + 1
    docs = []
    for i in range(n):
        src = records[int(rng.integers(len(records)))]
        k = lengths[int(rng.integers(len(lengths)))]
        abstract = " ".join(sentences[int(j)] for j in rng.integers(len(sentences), size=k))
        when = start + timedelta(days=int(rng.integers(days)))
        docs.append(Doc(f"s{i}", when, tuple(src["categories"]) or ("cs.LG",),
                        document(src["title"], abstract), title=src["title"]))
    return docs


def table_terms(parts: dict) -> list[str]:
    raw, offsets = parts["trend_term_bytes"].tobytes(), parts["trend_term_offsets"].tolist()
    return [raw[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def p95_ms(fn, args_list) -> tuple[float, float]:
    """95th percentile of wall-clock and of CPU time per call, in ms (CPU time does not
    count the waits for a core on a busy machine)."""
    wall, cpu = [], []
    for args in args_list:
        t, c = time.perf_counter(), time.thread_time()
        fn(*args)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return float(np.percentile(wall, 95)), float(np.percentile(cpu, 95))


def p95_pair(fn, baseline, args_list) -> tuple[tuple[float, float], tuple[float, float]]:
    """`p95_ms` of two functions, called alternately on the same arguments."""
    first, second = [], []
    for args in args_list:
        first.append(p95_ms(fn, [args]))
        second.append(p95_ms(baseline, [args]))
    return (tuple(float(np.percentile([f[i] for f in first], 95)) for i in (0, 1)),
            tuple(float(np.percentile([s[i] for s in second], 95)) for i in (0, 1)))


def load_table(directory: Path, kinds: dict[str, str], ids: np.ndarray) -> TrendTable:
    return TrendTable.from_parts({name: read_part(directory, name, kind) for name, kind in kinds.items()},
                                 ids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="papers (default 100,000)")
    ap.add_argument("--queries", type=int, default=2000)
    args = ap.parse_args()

    t = time.perf_counter()
    docs = synthetic_docs(args.n)
    print(f"generated {len(docs):,} papers in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    published = np.array([np.datetime64(d.published, "D") for d in docs])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t, cpu = time.perf_counter(), time.process_time()
    parts = build_trends(published, docs, min_df=max(3, round(len(docs) / 20_000)))  # as the index
    build_s, build_cpu = time.perf_counter() - t, time.process_time() - cpu
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the title postings' share of the build, timed alone in the same run
    t = time.perf_counter()
    title_presence(docs, {term: i for i, term in enumerate(table_terms(parts))})
    title_s = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        kinds = {name: write_part(directory, name, value) for name, value in parts.items()}
        sizes = {p.name: p.stat().st_size for p in directory.iterdir()}
        total_mb = sum(sizes.values()) / 1e6
        table_mb = sum(v for k, v in sizes.items()
                       if k.startswith(("trend_counts", "trend_term", "trend_df", "trend_totals",
                                        "trend_months", "trend_cat"))) / 1e6
        ids = np.array([d.id for d in docs])
        table = load_table(directory, kinds, ids)
        texts = {d.id: d.text for d in docs}
        fetch = lambda pids: {p: texts[p] for p in pids}  # noqa: E731

        rng = np.random.default_rng(1)
        n_terms = table.n_terms
        frequent = np.flatnonzero(np.asarray(table.df) >= 50)
        # queries as people type them: a term's written form (its label), not the stem, which
        # the analyser need not map to itself ("advers" -> "adver") and which can be a stop
        # word ("thick" of "thickness")
        picks = [t for t in (table.label(int(i)) for i in rng.choice(frequent, size=args.queries))
                 if all(w for w in words(t))]
        queries = [parse_terms(term)[0] for term in picks]
        top_cat = str(table.cats[0])
        typos = [t[:1] + t[2:] if len(t) > 3 else t + "x" for t in picks[:200]]  # one letter dropped
        suggest_ms = p95_ms(lambda t: table.suggest(t), [(t,) for t in typos])
        series_ms = p95_ms(lambda q: table.series(q).rows(), [(q,) for q in queries])
        report_ms = p95_ms(lambda term: trends_report(table, term), [(t,) for t in picks[:500]])
        cat_ms = p95_ms(lambda q: table.series(q, category=top_cat).rows(), [(q,) for q in queries])
        phrases = ["neural network models", "large language models", "state of the art",
                   "reinforcement learning agents"]
        phrase_ms = p95_ms(lambda p: trends_report(table, p, fetch=fetch), [(p,) for p in phrases])
        months = [table.months[int(i)] for i in rng.integers(24, len(table.months), size=20)]
        t = time.perf_counter()
        hot_report(table, month=months[0])  # the first call also finds the generic terms
        generic_s = time.perf_counter() - t
        t = time.perf_counter()
        _ = replace(table, generic_flags=None).generic
        generic_lazy_s = time.perf_counter() - t
        # baseline in the same run, interleaved: the same lists over all papers as one (a
        # table without the papers' primary categories, as an index built before them)
        overall = replace(table, doc_primary=None)
        hot_ms, overall_ms = p95_pair(lambda m: hot_report(table, month=m),
                                      lambda m: hot_report(overall, month=m), [(m,) for m in months])
        newest_ms = p95_ms(lambda _: hot_report(table), [(None,)] * 20)
        cats = [str(table.cats[int(i)]) for i in rng.integers(0, min(8, len(table.cats)), size=20)]
        cat_hot_ms = p95_ms(lambda m, c: hot_report(table, month=m, category=c),
                            list(zip(months, cats, strict=True)))
        nnz = int(table.counts.nnz)

    print(f"papers: {len(docs):,}; months: {len(table.months)}; terms: {n_terms:,}; "
          f"count-table cells: {nnz:,}; postings: {len(table.postings):,}", file=sys.stderr)
    print(f"trends_build_seconds: {build_s:.2f} s")
    print(f"trends_build_cpu_seconds: {build_cpu:.2f} s")
    print(f"trends_build_title_postings_seconds: {title_s:.2f} s")
    print(f"trends_build_peak_rss_growth: {rss_after - rss_before:.0f} MB")
    print(f"trends_terms: {n_terms} terms")
    print(f"trends_count_table_size: {table_mb:.1f} MB")
    print(f"trends_parts_size_total: {total_mb:.1f} MB")
    print(f"trends_generic_terms_seconds: {generic_s:.2f} s")
    print(f"trends_generic_terms_lazy_seconds: {generic_lazy_s:.2f} s")
    for name, (wall, cpu) in (("series", series_ms), ("report_one_term", report_ms),
                              ("series_category", cat_ms), ("did_you_mean", suggest_ms),
                              ("phrase_scan", phrase_ms), ("hot", newest_ms),
                              ("hot_any_month", hot_ms),
                              ("hot_any_month_all_papers_as_one", overall_ms),
                              ("hot_category", cat_hot_ms)):
        print(f"trends_{name}_p95: {wall:.3f} ms")
        print(f"trends_{name}_cpu_p95: {cpu:.3f} ms")

if __name__ == "__main__":
    main()
