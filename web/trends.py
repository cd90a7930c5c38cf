"""Keyword trends: the /trends page, its CSV download, and /api/trends and /api/hot.

Views parse the request and call one answer of services.trends over the current index
version's trend table (kept per version, so a rebuilt index shows up without a restart).
The page's parts that do not depend on the keywords (the hot lists, the papers per month and
category) are rendered once per index version and kept in the shared cache: they were most
of the page's rendering.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from werkzeug.exceptions import BadRequest

from recommend.trend_hot import report_csv
from recommend.trend_query import TrendQueryError
from services.trends import (
    HOT_CACHE_SECONDS,
    NoTrends,
    TrendArgs,
    TrendSource,
    hot_answer,
    keyword_report,
    keywords_report,
    papers_for_terms,
    tables_of,
    trend_args,
    trend_source,
)
from web import services
from web.cache import get_cache
from web.db import get_db
from web.extensions import query_limit
from web.page_cache import cached_for_visitors

bp = Blueprint("trends", __name__)


def current_source() -> TrendSource:
    """The current index's trends source (NoTrends when there is no table to answer from)."""
    return trend_source(get_db(), services.current_index(), tables_of(current_app.extensions), get_cache())


def _answer(fn, *args):
    """Call a report function; a query it cannot answer is a 400 with its message."""
    try:
        return fn(*args)
    except TrendQueryError as exc:
        raise BadRequest(str(exc)) from None


def _source_or_503() -> TrendSource:
    try:
        return current_source()
    except NoTrends as exc:
        abort(503, description=str(exc))


# -- views -------------------------------------------------------------------------------


@bp.get("/trends")
@query_limit
@cached_for_visitors
def index():
    args = trend_args(request.args)
    try:
        source = current_source()
    except NoTrends as exc:
        return render_template("trends/index.html", args=args, missing=str(exc), table=None)
    table = source.table
    report, papers, errors = None, {}, []
    try:
        report = keywords_report(source, args) if args.q else None
        papers = papers_for_terms(source, args) if args.q else {}
    except TrendQueryError as exc:
        errors.append(str(exc))
    try:
        hot = hot_answer(source, args)
    except TrendQueryError as exc:
        hot, errors = None, [*errors, str(exc)]
    page = render_template("trends/index.html", args=args, table=table, report=report, hot=hot,
                           papers=papers, errors=errors, missing=None, script_json=script_json,
                           month_rows=month_rows,
                           hot_lists=hot_lists(source, args, hot) if hot else None,
                           category_totals=category_totals(source),
                           categories=[str(c) for c in table.cats])
    return page, 400 if errors else 200


# -- the page's parts that only change with the index version ----------------------------


def cached_fragment(key: str, template: str, **context: Any) -> Markup:
    """A part of a page rendered once and kept in the shared cache (Redis when configured,
    so every worker shares it). Keys carry the index version: a new version renders anew."""
    cache = get_cache()
    key = f"{key}:{request.script_root}"     # the fragment's links start with the app's root
    text = cache.get(key)
    if text is None:
        text = render_template(template, **context)
        cache.set(key, text, ttl=HOT_CACHE_SECONDS)
    return Markup(text)


def hot_lists(source: TrendSource, args: TrendArgs, hot: dict[str, Any]) -> Markup:
    """The hot, cooling and emerging lists: ~200 terms with sparklines and links, the bulk
    of the page's rendering. They depend on the hot report's question and on the arguments
    their links keep (all but the keywords)."""
    asked = json.dumps([args.month, args.n, args.min_support, args.category, args.since,
                        args.until, args.smooth])
    return cached_fragment(f"trends:hot-html:{source.index.version}:{_digest(asked)}",
                           "trends/_hot_lists.html", hot=hot, args=args, sparkline=sparkline_points)


def category_totals(source: TrendSource) -> Markup:
    """The table and chart data of papers per month and primary category (the same for
    every question to one index version)."""
    totals = tables_of(current_app.extensions).totals(source.table)
    return cached_fragment(f"trends:totals-html:{source.index.version}",
                           "trends/_category_totals.html", totals=totals, script_json=script_json)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@bp.get("/trends.csv", endpoint="csv")
@query_limit
def csv_download():
    args = trend_args(request.args)
    if not args.q:
        raise BadRequest("q (the keywords) is required")
    report = _answer(keywords_report, _source_or_503(), args)
    return Response(report_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="papersift-trends.csv"'})


@bp.get("/api/trends")
@query_limit
def api_trends():
    args = trend_args(request.args)
    if not args.q:
        raise BadRequest("q (comma-separated keywords) is required")
    return _json(_answer(keyword_report, _source_or_503(), args))


@bp.get("/api/hot")
@query_limit
def api_hot():
    source = _source_or_503()
    return _json(_answer(hot_answer, source, trend_args(request.args)))


def _json(report: dict[str, Any]) -> Response:
    """JSON keeping the report's key order (terms in the order asked, lists ranked)."""
    return Response(json.dumps(report), mimetype="application/json")


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element, keys in their order (the page's chart data)."""
    return htmlsafe_json_dumps(value, dumps=json.dumps)


def month_rows(report: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The month table's rows: (month, papers, [(cell title, share) per term]), formatted here
    rather than in the template (~120 months x terms cells: the bulk of the page's rendering)."""
    columns = list(report["terms"].values())
    rows = []
    for i, first in enumerate(columns[0] if columns else []):
        cells = [(f"{r['count']} of {r['papers']} papers",
                  "–" if r["fraction"] is None else f"{100 * r['fraction']:.2f}%")
                 for r in (column[i] for column in columns)]
        rows.append((first["month"], f"{first['papers']:,}", cells))
    return rows


def sparkline_points(values: list[float], width: float = 120, height: float = 28) -> str:
    """SVG polyline points for a sparkline scaled to its own maximum."""
    if not values:
        return ""
    top = max(values) or 1.0
    step = width / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - 2 - v / top * (height - 4):.1f}"
                    for i, v in enumerate(values))
