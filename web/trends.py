"""Keyword trends: the /trends page, its CSV download, and /api/trends and /api/hot.

Views parse the request and call one report function of recommend.trend_hot over the
trend table of the current index version (kept per version, so a rebuilt index shows up
without a restart). Phrases of three or more words are checked against paper texts
read from the store.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from jinja2.utils import htmlsafe_json_dumps
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from ingest.indexing import document_texts
from recommend.trend_hot import MIN_SUPPORT, TOP, category_totals, hot_report, report_csv, trends_report
from recommend.trend_papers import term_papers
from recommend.trend_query import TrendQueryError, parse_month, parse_terms
from recommend.trends import TrendTable
from store.papers import Paper, get_papers
from web import services
from web.cache import get_cache
from web.db import get_db
from web.extensions import query_limit
from web.page_cache import cached_for_visitors
from web.params import category_arg, int_arg

bp = Blueprint("trends", __name__)

MAX_QUERY_CHARS = 500
HOT_CACHE_SECONDS = 24 * 3600   # keyed by index version, so a rebuild never serves a stale list
REPORT_CACHE_SECONDS = 3600     # one entry per distinct question: kept shorter
_lock = threading.Lock()


# -- the table of the current index ---------------------------------------------------


class NoTrends(Exception):
    """There is no trend table to answer from; the message says what to run."""


def trend_table() -> TrendTable:
    """The current index's trend table, built once per index version and worker."""
    index = services.current_index()
    if index is None:
        raise NoTrends("No index yet: run `papersift index` to build one.")
    cache = current_app.extensions.setdefault("papersift.trends", {})
    with _lock:
        if cache.get("version") != index.version:
            cache.update(version=index.version, table=TrendTable.from_index(index),
                         totals=None)
        table = cache["table"]
    if table is None:
        raise NoTrends("This index was built without trend tables: run `papersift index --force`.")
    return table


def _cached_hot(table: TrendTable, month: str, n: int, min_support: int, category: str = ""
                ) -> dict[str, Any]:
    """hot_report, remembered per (index version, month, n, support, category) in the app's
    cache: Redis when configured, so every worker shares one computation; in-process
    otherwise."""
    version = current_app.extensions["papersift.trends"]["version"]
    key = f"trends:hot:{version}:{month}:{n}:{min_support}:{category}"
    cache = get_cache()
    report = cache.get(key)
    if report is None:
        report = hot_report(table, month=parse_month(month), n=n, min_support=min_support,
                            category=category or None)
        cache.set(key, report, ttl=HOT_CACHE_SECONDS)
    return report


def papers_for_terms(table: TrendTable, args: TrendArgs) -> dict[str, list[Paper]]:
    """The papers that explain each keyword of one or two words (longer phrases have none):
    the most representative recent papers mentioning it, up to the reference month."""
    index = services.current_index()
    matrix = index.matrix if index is not None else None
    column_of = index.column_of if index is not None else None
    found: dict[str, list[Paper]] = {}
    for query in parse_terms(args.q):
        if query.is_phrase:
            continue
        rows = term_papers(table, query.term, matrix=matrix, column_of=column_of,
                           month=parse_month(args.month), category=args.category or None)
        ids = [str(table.ids[r]) for r in rows]
        by_id = {p.id: p for p in get_papers(get_db(), ids)}
        found[query.label] = [by_id[i] for i in ids if i in by_id]
    return found


def paper_json(paper: Paper) -> dict[str, Any]:
    return {"id": paper.id, "title": paper.title, "authors": list(paper.authors),
            "categories": list(paper.categories), "published": paper.published.date().isoformat(),
            "url": paper.abs_url}


def _category_totals(table: TrendTable) -> dict[str, Any]:
    cache = current_app.extensions["papersift.trends"]
    if cache.get("totals") is None:
        cache["totals"] = category_totals(table)
    return cache["totals"]


# -- request parameters ----------------------------------------------------------------


@dataclass(frozen=True)
class TrendArgs:
    q: str
    category: str
    since: str
    until: str
    smooth: int
    month: str
    n: int
    min_support: int

    def report(self, table: TrendTable) -> dict[str, Any]:
        """The keywords' report, remembered like `_cached_hot`: a phrase of three or more
        words is checked in every candidate paper's text, about a second at 100k papers."""
        version = current_app.extensions["papersift.trends"]["version"]
        asked = json.dumps([self.q, self.category, self.since, self.until, self.smooth])
        key = f"trends:report:{version}:{hashlib.sha256(asked.encode()).hexdigest()}"
        cache = get_cache()
        report = cache.get(key)
        if report is None:
            report = trends_report(table, self.q, category=self.category or None,
                                   since=parse_month(self.since), until=parse_month(self.until),
                                   smooth=self.smooth, fetch=lambda ids: document_texts(get_db(), ids))
            cache.set(key, report, ttl=REPORT_CACHE_SECONDS)
        return report

    def replaced(self, term: str, suggestion: str) -> str:
        """The keywords with one of them (as labelled in a report) swapped for a suggestion."""
        pieces = [" ".join(p.lower().split()) for p in self.q.split(",")]
        return ", ".join(suggestion if p == term else p for p in pieces if p)

    def link(self, **changes) -> dict[str, Any]:
        """Query arguments that reproduce this view (defaults left out)."""
        values = {"q": self.q, "cat": self.category, "since": self.since, "until": self.until,
                  "smooth": self.smooth, "month": self.month}
        values.update(changes)
        defaults = {"q": "", "cat": "", "since": "", "until": "", "smooth": 1, "month": ""}
        return {k: v for k, v in values.items() if v != defaults[k]}


def trend_args(args: MultiDict) -> TrendArgs:
    q = " ".join(args.get("q", "").split())
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"q is longer than {MAX_QUERY_CHARS} characters")
    parsed = TrendArgs(
        q=q, category=category_arg(args), since=args.get("since", "").strip(),
        until=args.get("until", "").strip(), smooth=int_arg(args, "smooth", 1, 1, 24),
        month=args.get("month", "").strip(), n=int_arg(args, "n", TOP, 1, 100),
        min_support=int_arg(args, "min_support", MIN_SUPPORT, 1, 1_000_000),
    )
    for name in ("since", "until", "month"):
        _month_or_400(getattr(parsed, name))
    return parsed


def _month_or_400(value: str) -> None:
    try:
        parse_month(value)
    except TrendQueryError as exc:
        raise BadRequest(str(exc)) from None


def _answer(fn, *args):
    """Call a report function; a query it cannot answer is a 400 with its message."""
    try:
        return fn(*args)
    except TrendQueryError as exc:
        raise BadRequest(str(exc)) from None


def _table_or_503() -> TrendTable:
    try:
        return trend_table()
    except NoTrends as exc:
        abort(503, description=str(exc))


# -- views -------------------------------------------------------------------------------


@bp.get("/trends")
@query_limit
@cached_for_visitors
def index():
    args = trend_args(request.args)
    try:
        table = trend_table()
    except NoTrends as exc:
        return render_template("trends/index.html", args=args, missing=str(exc), table=None)
    report, papers, errors = None, {}, []
    try:
        report = args.report(table) if args.q else None
        papers = papers_for_terms(table, args) if args.q else {}
    except TrendQueryError as exc:
        errors.append(str(exc))
    try:
        hot = _cached_hot(table, args.month, args.n, args.min_support, args.category)
    except TrendQueryError as exc:
        hot, errors = None, [*errors, str(exc)]
    page = render_template("trends/index.html", args=args, table=table, report=report, hot=hot,
                           papers=papers,
                           errors=errors, totals=_category_totals(table), missing=None,
                           sparkline=sparkline_points, script_json=script_json,
                           categories=[str(c) for c in table.cats])
    return page, 400 if errors else 200


@bp.get("/trends.csv", endpoint="csv")
@query_limit
def csv_download():
    args = trend_args(request.args)
    if not args.q:
        raise BadRequest("q (the keywords) is required")
    report = _answer(args.report, _table_or_503())
    return Response(report_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="papersift-trends.csv"'})


@bp.get("/api/trends")
@query_limit
def api_trends():
    args = trend_args(request.args)
    if not args.q:
        raise BadRequest("q (comma-separated keywords) is required")
    return _json(_answer(keyword_report, _table_or_503(), args))


def keyword_report(table: TrendTable, args: TrendArgs) -> dict[str, Any]:
    """What /api/trends (and the MCP tool) answers: the series and each keyword's papers."""
    report = dict(args.report(table))
    papers = papers_for_terms(table, args)
    report["papers"] = {term: [paper_json(p) for p in found] for term, found in papers.items()}
    return report


def hot_answer(table: TrendTable, args: TrendArgs) -> dict[str, Any]:
    """What /api/hot (and the MCP tool) answers, from the per-index-version cache."""
    return _cached_hot(table, args.month, args.n, args.min_support, args.category)


@bp.get("/api/hot")
@query_limit
def api_hot():
    return _json(_answer(hot_answer, _table_or_503(), trend_args(request.args)))


def _json(report: dict[str, Any]) -> Response:
    """JSON keeping the report's key order (terms in the order asked, lists ranked)."""
    return Response(json.dumps(report), mimetype="application/json")


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element, keys in their order (the page's chart data)."""
    return htmlsafe_json_dumps(value, dumps=json.dumps)


def sparkline_points(values: list[float], width: float = 120, height: float = 28) -> str:
    """SVG polyline points for a sparkline scaled to its own maximum."""
    if not values:
        return ""
    top = max(values) or 1.0
    step = width / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - 2 - v / top * (height - 4):.1f}"
                    for i, v in enumerate(values))
