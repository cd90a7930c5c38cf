"""Hot, cooling and emerging terms, and the reports (JSON-ready dicts) shared by the page,
API and CLI.

The reference month's recent window is compared with a baseline window before it, both
sized from the months the index holds (`recommend.trend_windows`). Over the two windows:

- **hot**: the share rose, with evidence (signed G² >= 10.83) and in at least
  `min_support` recent papers; ranked by the conservative log ratio;
- **cooling**: the share fell, with evidence, from at least `min_support` baseline papers;
- **emerging**: in at least `min_support` recent papers and with a share at least
  `EMERGING_RATIO` times its baseline share: terms that barely existed before, with the
  first month they appear in. Emerging terms are not repeated under hot.

"With evidence" is judged within primary categories when the table knows each paper's
(`recommend.trend_mix`: a growing category does not make its everyday words hot), and
the G² a term needs rises with the number of terms tested, so that about 5% of a list
may have moved by chance (`trend_windows.significance_threshold`).

Generic terms (`recommend.trend_generic`) and terms that name no topic (weak words such
as "weaker", "admits", "fallback": papers seldom put them in a title,
`recommend.trend_topic`) are left out of all three, and n-gram variants of one topic are
one entry (`recommend.trend_fold`) with the variants listed. With a
category, every count is over the papers listing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from recommend.trend_defaults import MIN_SUPPORT, TOP
from recommend.trend_fold import fold_ranked
from recommend.trend_mix import mix_counts
from recommend.trend_query import TermQuery, TrendQueryError, parse_terms
from recommend.trend_windows import (
    SIGNIFICANT_LLR,
    Windows,
    choose_windows,
    doc_term_sums,
    movement,
    posting_sums,
    significance_threshold,
    window_sums,
)
from recommend.trends import TextFetcher, TrendTable

SPARK_MONTHS = 24
EMERGING_RATIO = 10.0
LISTS = ("hot", "cooling", "emerging")


def hot_report(table: TrendTable, *, month: np.datetime64 | None = None, n: int = TOP,
               min_support: int = MIN_SUPPORT, category: str | None = None,
               recent: int | None = None, baseline: int | None = None,
               spark_months: int = SPARK_MONTHS) -> dict[str, Any]:
    """{"month", "category", "windows", "min_support", "within_categories", "months", "hot",
    "cooling", "emerging", "notice"} ("within_categories": whether terms were judged
    within primary categories, `recommend.trend_mix`); each item has the term, its folded
    variants, score, llr, ratio, papers and shares in both windows, and a sparkline
    (shares over `months`)."""
    if not len(table.months):
        raise TrendQueryError("the index has no papers")
    ref = table.column(month) if month is not None else len(table.months) - 1
    if ref is None:
        raise TrendQueryError(f"no papers in {month}; the index covers "
                              f"{table.months[0]} to {table.months[-1]}")
    windows = choose_windows(ref, recent=recent, baseline=baseline)
    spark = slice(max(0, ref - spark_months + 1), ref + 1)
    report: dict[str, Any] = {
        "month": str(table.months[ref]), "category": category or None, "windows": None,
        "min_support": min_support, "within_categories": False,
        "months": [str(m) for m in table.months[spark]],
        **{key: [] for key in LISTS}, "notice": None,
    }
    papers = np.asarray(table.papers_per_month(category), dtype=np.float64)
    if category and table.category_row(category) is None:
        report["notice"] = f"No papers in category {category} in this index."
        return report
    if windows is None:
        report["notice"] = (f"Too few months up to {table.months[ref]} to compare a recent "
                            "window with the months before it.")
        return report
    report["windows"] = _describe(table, windows, papers)
    n_recent, n_base = report["windows"]["recent"]["papers"], report["windows"]["baseline"]["papers"]
    if n_recent == 0 or n_base == 0:
        report["notice"] = "No papers in one of the two windows: nothing to compare."
        return report
    fig, within_categories = _figures(table, windows, category, min_support, n_recent, n_base)
    report["within_categories"] = within_categories
    ctx = _Context(table, windows, category, papers, spark, fig, n_recent, n_base)
    moved = _moved(fig, table.unlisted, min_support)
    for key, order in _orders(fig, table.unlisted, min_support).items():
        sign = -1 if key == "cooling" else 1
        report[key] = [ctx.item(head, variants, key)
                       for head, variants in ctx.fold(order, n, sign, moved[sign])]
    return report


def _describe(table: TrendTable, windows: Windows, papers: np.ndarray) -> dict[str, Any]:
    def span(lo: int, hi: int) -> dict[str, Any]:
        return {"start": str(table.months[lo]), "end": str(table.months[hi]),
                "months": hi - lo + 1, "papers": int(papers[lo:hi + 1].sum())}
    return {"recent": span(windows.recent_start, windows.ref),
            "baseline": span(windows.baseline_start, windows.recent_start - 1)}


def _figures(table: TrendTable, windows: Windows, category: str | None, min_support: int,
             n_recent: float, n_base: float) -> tuple[dict[str, np.ndarray], bool]:
    """Papers per term in each window and the movement figures; for terms that moved
    with evidence, the figures within primary categories when the table knows them
    (`recommend.trend_mix`, then True)."""
    a, b, in_recent, in_base = _window_counts(table, windows, category)
    fig = {"recent_papers": a, "baseline_papers": b, **movement(a, b, n_recent, n_base)}
    if table.doc_primary is None:
        return fig, False
    rows = np.flatnonzero(((a >= min_support) | (b >= min_support))
                          & (np.abs(fig["llr"]) >= SIGNIFICANT_LLR) & ~table.unlisted)
    mix = mix_counts(table.postings, table.postings_ptr, rows, table.doc_primary, in_recent, in_base)
    within = movement(mix.recent, mix.baseline, mix.n_recent, mix.n_baseline, mix.effective)
    for key, values in within.items():
        fig[f"overall_{key}"] = fig[key]
        fig[key] = fig[key].copy()
        fig[key][rows] = values
    return fig, True


def _moved(fig: dict[str, np.ndarray], unlisted: np.ndarray, min_support: int
           ) -> dict[int, np.ndarray]:
    """Rows that rose (+1) and fell (-1) with evidence over all papers as one, best first:
    the variants a listed topic may carry although its category moved with it."""
    llr, score = fig.get("overall_llr", fig["llr"]), fig.get("overall_score", fig["score"])
    up = (fig["recent_papers"] >= min_support) & (llr >= SIGNIFICANT_LLR) & (score > 0) & ~unlisted
    down = (fig["baseline_papers"] >= min_support) & (llr <= -SIGNIFICANT_LLR) & (score < 0) & ~unlisted
    return {1: _ranked(up, -score, -llr), -1: _ranked(down, score, llr)}


def _window_counts(table: TrendTable, windows: Windows, category: str | None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Papers per term in the recent and the baseline window, and which papers are in each."""
    mask = table.category_mask(category) if category else np.ones(table.n_papers, dtype=bool)
    month = np.asarray(table.doc_month)
    in_recent = mask & (month >= windows.recent_start) & (month <= windows.ref)
    in_base = mask & (month >= windows.baseline_start) & (month < windows.recent_start)
    if not category:
        return (*window_sums(table.counts, windows), in_recent, in_base)
    if table.doc_terms is not None and table.doc_terms_ptr is not None:
        return (*doc_term_sums(table.doc_terms, table.doc_terms_ptr, table.n_terms, in_recent,
                               in_base), in_recent, in_base)
    return (*posting_sums(table.postings, table.postings_ptr, in_recent, in_base), in_recent,
            in_base)


def _orders(fig: dict[str, np.ndarray], unlisted: np.ndarray, min_support: int
            ) -> dict[str, np.ndarray]:
    """Candidate rows of each list, best first."""
    llr, score = fig["llr"], fig["score"]
    up, down = fig["recent_papers"] >= min_support, fig["baseline_papers"] >= min_support
    needed = significance_threshold(llr, (up | down) & ~unlisted)
    rising = up & (llr >= needed) & (score > 0) & ~unlisted
    # barely existed before: judged on the papers as counted, whatever their categories
    emerging = rising & (fig.get("overall_ratio", fig["ratio"]) >= EMERGING_RATIO)
    falling = down & (llr <= -needed) & (score < 0) & ~unlisted
    return {"hot": _ranked(rising & ~emerging, -score, -llr),
            "cooling": _ranked(falling, score, llr),
            "emerging": _ranked(emerging, -score, -llr)}


def _ranked(mask: np.ndarray, key: np.ndarray, tie: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(mask)
    return rows[np.lexsort((rows, tie[rows], key[rows]))]


class _Context:
    """What the items of one report are made from."""

    def __init__(self, table: TrendTable, windows: Windows, category: str | None,
                 papers: np.ndarray, spark: slice, fig: dict[str, np.ndarray],
                 n_recent: float, n_base: float) -> None:
        self.table, self.windows, self.papers, self.spark = table, windows, papers, spark
        self.fig, self.n_recent, self.n_base = fig, n_recent, n_base
        self.mask = table.category_mask(category) if category else None

    def counts(self, term: str) -> tuple[float, float] | None:
        """Papers holding the term in each window: variants are judged on these, since
        every paper holding a bigram holds its words."""
        row = self.table.row(term)
        if row is None:
            return None
        return float(self.fig["recent_papers"][row]), float(self.fig["baseline_papers"][row])

    def fold(self, order: np.ndarray, n: int, sign: int, moved: np.ndarray
             ) -> list[tuple[str, list[str]]]:
        """The first n entries after folding. The pool is wide enough that the parts of
        the top entries are in it, and holds the terms that moved over all papers too, so
        a topic judged within its category still carries its variants; an entry is listed
        when one of its terms is in `order`."""
        width = max(4 * n, 100)
        listed = {self.table.term(int(i)) for i in order[:width]}
        pool = list(dict.fromkeys([self.table.term(int(i)) for i in order[:width]]
                                  + [self.table.term(int(i)) for i in moved[:width]]))
        entries = fold_ranked(pool, self.counts, self.n_recent, self.n_base, sign)
        return [(head, variants) for head, variants in entries
                if head in listed or listed.intersection(variants)][:n]

    def label(self, term: str) -> str:
        row = self.table.row(term)
        return self.table.label(row) if row is not None else term

    def item(self, term: str, variants: list[str], key: str) -> dict[str, Any]:
        row = self.table.row(term)
        assert row is not None  # every ranked term is a table term
        monthly = self.table.term_counts(term, self.mask)
        series = np.divide(monthly[self.spark], self.papers[self.spark],
                           out=np.zeros(len(self.papers[self.spark])),
                           where=self.papers[self.spark] > 0)
        a, b = int(self.fig["recent_papers"][row]), int(self.fig["baseline_papers"][row])
        item = {   # terms are stems: shown as people write them
            "term": self.label(term), "variants": [self.label(v) for v in variants],
            "score": round(float(self.fig["score"][row]), 4),
            "llr": round(float(self.fig["llr"][row]), 2),
            "ratio": round(float(self.fig["ratio"][row]), 4),
            "recent_papers": a, "baseline_papers": b,
            "recent_share": round(a / self.n_recent, 6), "baseline_share": round(b / self.n_base, 6),
            "series": [round(float(x), 6) for x in series],
        }
        if key == "emerging":
            seen = np.flatnonzero(monthly[:self.windows.ref + 1])
            item["first_month"] = str(self.table.months[int(seen[0])]) if len(seen) else None
        return item


def trends_report(table: TrendTable, raw: str | Iterable[str], *, category: str | None = None,
                  since: np.datetime64 | None = None, until: np.datetime64 | None = None,
                  smooth: int = 1, fetch: TextFetcher | None = None) -> dict[str, Any]:
    """{"terms": {TERM: [{"month", "papers", "count", "fraction"}, ...]}, "suggestions",
    "notices", "category", "smooth"} for comma-separated keywords (or a list of them)."""
    if since is not None and until is not None and since > until:
        raise TrendQueryError("the start month is after the end month")
    if not 1 <= smooth <= 24:
        raise TrendQueryError("smoothing is between 1 and 24 months")
    queries = parse_terms(raw)
    report: dict[str, Any] = {"terms": {}, "suggestions": {}, "notices": [],
                              "category": category or None, "smooth": smooth}
    if category and table.category_row(category) is None:
        report["notices"].append(f"No papers in category {category} in this index.")
    for query in queries:
        series = table.series(query, category=category, since=since, until=until, smooth=smooth,
                              fetch=fetch)
        report["terms"][query.label] = series.rows()
        report["notices"].extend(_notices(query, series))
        if series.suggestions:
            report["suggestions"][query.label] = list(series.suggestions)
    return report


def _notices(query: TermQuery, series) -> list[str]:
    if query.is_phrase:
        return [f"\u201c{query.label}\u201d is longer than two words, so it was answered by "
                f"scanning the text of {series.scanned:,} candidate papers (slower, exact)."]
    if not series.known:
        return [f"\u201c{query.label}\u201d is not in the trend table (it is in fewer papers than "
                "the minimum, or nowhere): its series is zero."]
    return []


def category_totals(table: TrendTable, *, top: int = 8) -> dict[str, Any]:
    """Papers per month by primary category: the `top` largest and the rest as "other"."""
    names = [str(c) for c in table.cats]
    order = sorted(range(len(names)), key=lambda c: (-int(np.sum(table.cat_primary[c])), names[c]))
    shown = [c for c in order[:top] if np.sum(table.cat_primary[c]) > 0]
    series = {names[c]: [int(x) for x in table.cat_primary[c]] for c in shown}
    rest = np.asarray(table.totals, dtype=np.int64) - sum(
        (np.asarray(table.cat_primary[c], dtype=np.int64) for c in shown),
        np.zeros(len(table.months), dtype=np.int64))
    if rest.any():
        series["other"] = [int(x) for x in rest]
    return {"months": [str(m) for m in table.months],
            "total": [int(x) for x in table.totals], "categories": series}


CSV_COLUMNS = ("term", "month", "papers", "count", "fraction")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A text cell that a spreadsheet shows as text: one starting like a formula gets a
    leading apostrophe, so `=HYPERLINK(...)` from a query is not run when the CSV is opened."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def report_csv(report: dict[str, Any]) -> str:
    """A trends report as CSV, one row per (term, month): term,month,papers,count,fraction."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for term, rows in report["terms"].items():
        for r in rows:
            fraction = "" if r["fraction"] is None else f"{r['fraction']:.6f}"
            writer.writerow((spreadsheet_safe(term), spreadsheet_safe(r["month"]), r["papers"], r["count"],
                             fraction))
    return out.getvalue()
