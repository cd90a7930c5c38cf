"""Search: the results page (/search) and the JSON API beside it (/api/search).

Views parse the request into a SearchRequest, call services.search.run_search over the
current index, and render or jsonify.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy.engine import Connection
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from recommend.search_query import QueryError
from services.search import SORTS, SearchPage, jump_target, run_search, search_request
from store.papers import WINDOWS, category_counts
from web import services
from web.db import get_db
from web.extensions import csrf, query_limit
from web.page_cache import cached_for_visitors

bp = Blueprint("search", __name__)


@bp.get("/search")
@query_limit
@cached_for_visitors
def results():
    conn = get_db()
    req = search_request(request.args)
    try:
        page = run_search(conn, services.current_index(), req, current_app.config["SETTINGS"])
    except QueryError as exc:
        return _render(conn, SearchPage(req, error=str(exc)), 400)
    target = jump_target(conn, page.parsed)
    if target:
        return redirect(url_for("paper.show", paper_id=target))
    return _render(conn, page, 200)


def _api_params() -> MultiDict:
    """The API's parameters: the query string, and for POST a form or JSON object body."""
    if request.method != "POST":
        return request.args
    body = request.get_json(silent=True) if request.is_json else None
    if request.is_json and not isinstance(body, dict):
        raise BadRequest("the JSON body must be an object such as {\"q\": \"...\"}")
    fields = {k: str(v) for k, v in body.items()} if body else request.form
    return MultiDict([*request.args.items(multi=True), *MultiDict(fields).items(multi=True)])


def _render(conn: Connection, page: SearchPage, status: int):
    return render_template("search/results.html", page=page, windows=list(WINDOWS), sorts=SORTS,
                           categories=category_counts(conn)), status


@bp.route("/api/search", methods=["GET", "POST"])
@csrf.exempt            # read-only: a POST only carries a query too long for a URL
@query_limit
def api():
    # POST (a form or JSON body) carries a pasted abstract past any request-line limit
    req = search_request(_api_params())
    try:
        page = run_search(get_db(), services.current_index(), req, current_app.config["SETTINGS"])
    except QueryError as exc:
        abort(400, description=str(exc))
    if not page.indexed:
        abort(503, description=page.error_hint)
    parsed = page.parsed
    return jsonify(query=req.q, total=page.total, estimated=page.estimated, all_words=page.all_words,
                   page=req.page,
                   per_page=req.per_page, sort=req.sort, results=[h.to_json() for h in page.hits],
                   suggestions=page.suggestions, missing=list(page.missing),
                   also_searched=list(page.also_searched), reasons=page.reasons,
                   partial_results=[h.to_json() for h in page.partial],
                   ignored_words=list(parsed.stopped if parsed else ()),
                   mode="like" if parsed and parsed.like else "words",
                   semantic=page.fused, semantic_note=page.semantic_note,
                   score_kind=page.score_kind)
