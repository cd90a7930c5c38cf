"""Keyword trends: the /trends page, its CSV download, and /api/trends and /api/hot.

Views parse the request and call one answer of services.trends over the current index
version's trend table (kept per version, so a rebuilt index shows up without a restart).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from jinja2.utils import htmlsafe_json_dumps
from werkzeug.exceptions import BadRequest

from recommend.trend_hot import report_csv
from recommend.trend_query import TrendQueryError
from services.trends import (
    NoTrends,
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
    totals = tables_of(current_app.extensions).totals(table)
    page = render_template("trends/index.html", args=args, table=table, report=report, hot=hot,
                           papers=papers,
                           errors=errors, totals=totals, missing=None,
                           sparkline=sparkline_points, script_json=script_json,
                           categories=[str(c) for c in table.cats])
    return page, 400 if errors else 200


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


def sparkline_points(values: list[float], width: float = 120, height: float = 28) -> str:
    """SVG polyline points for a sparkline scaled to its own maximum."""
    if not values:
        return ""
    top = max(values) or 1.0
    step = width / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - 2 - v / top * (height - 4):.1f}"
                    for i, v in enumerate(values))
