"""Hot and cooling terms, and the reports (JSON-ready dicts) shared by the page, API and CLI.

A term's heat is the ratio of its highest monthly fraction in the recent window (the
`window` months up to and including the reference month) to its highest monthly fraction
in all the months before that window. A term absent before the window counts as if it
had been in one paper of an average earlier month, so brand-new terms rank high without
dividing by zero. Support: a hot term must be in at least `min_support` papers in the
recent window, a cooling term in at least `min_support` papers before it, so a term seen
in two papers cannot top either list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from recommend.trend_defaults import MIN_SUPPORT, TOP
from recommend.trend_heat import WINDOW, term_heat
from recommend.trend_query import TermQuery, TrendQueryError, parse_terms
from recommend.trends import TextFetcher, TrendTable

SPARK_MONTHS = 24


def hot_report(table: TrendTable, *, month: np.datetime64 | None = None, n: int = TOP,
               min_support: int = MIN_SUPPORT, window: int = WINDOW,
               spark_months: int = SPARK_MONTHS) -> dict[str, Any]:
    """{"month", "hot": [...], "cooling": [...], "months", ...}; each item has the term, its
    ratio, the two maxima, its support and a sparkline series (fractions over `months`)."""
    if not len(table.months):
        raise TrendQueryError("the index has no papers")
    ref = table.column(month) if month is not None else len(table.months) - 1
    if ref is None:
        raise TrendQueryError(f"no papers in {month}; the index covers "
                              f"{table.months[0]} to {table.months[-1]}")
    start = max(0, ref - window + 1)
    spark = slice(max(0, ref - spark_months + 1), ref + 1)
    report: dict[str, Any] = {
        "month": str(table.months[ref]), "window_start": str(table.months[start]),
        "window": window, "min_support": min_support,
        "months": [str(m) for m in table.months[spark]], "hot": [], "cooling": [], "notice": None,
    }
    totals = np.asarray(table.totals, dtype=np.float64)
    if start == 0 or totals[:start].sum() == 0:
        report["notice"] = (f"No papers before {table.months[start]}: hot and cooling terms need "
                            "months before the recent window to compare with.")
        return report
    if ref == len(table.months) - 1 and window == WINDOW and table.heat is not None:
        heat = table.heat  # computed with the index for the newest month
    else:
        heat = term_heat(table.counts, totals, start, ref)
    for key, order in (("hot", _hot_order(heat, min_support)),
                       ("cooling", _cooling_order(heat, min_support))):
        report[key] = [_item(table, heat, int(i), totals, spark) for i in order[:n]]
    return report


def _hot_order(heat: dict[str, np.ndarray], min_support: int) -> np.ndarray:
    ok = np.flatnonzero((heat["recent_papers"] >= min_support) & (heat["ratio"] > 1.0))
    return ok[np.lexsort((-heat["recent_papers"][ok], -heat["ratio"][ok]))]


def _cooling_order(heat: dict[str, np.ndarray], min_support: int) -> np.ndarray:
    ok = np.flatnonzero((heat["before_papers"] >= min_support) & (heat["ratio"] < 1.0))
    return ok[np.lexsort((-heat["before_papers"][ok], heat["ratio"][ok]))]


def _item(table: TrendTable, heat: dict[str, np.ndarray], i: int, totals: np.ndarray,
          spark: slice) -> dict[str, Any]:
    lo, hi = table.counts.indptr[i], table.counts.indptr[i + 1]
    counts = np.zeros(len(totals))
    counts[table.counts.indices[lo:hi]] = table.counts.data[lo:hi]
    series = np.divide(counts[spark], totals[spark], out=np.zeros(len(totals[spark])),
                       where=totals[spark] > 0)
    return {
        "term": table.label(i), "ratio": round(float(heat["ratio"][i]), 4),
        "recent_max": round(float(heat["recent_max"][i]), 6),
        "before_max": round(float(heat["before_max"][i]), 6),
        "recent_papers": int(heat["recent_papers"][i]),
        "before_papers": int(heat["before_papers"][i]),
        "series": [round(float(x), 6) for x in series],
    }


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
