"""Recommendations for the logged-in user (page and JSON API) and the "top" page."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from services import recommendations
from services.recommendations import MODES, RecoQuery
from store import library as lib
from store import utcnow
from store.papers import WINDOWS, window_start
from web import db, services
from web.page_cache import cached_for_visitors
from web.params import category_arg, int_arg

bp = Blueprint("recommend", __name__)
top_bp = Blueprint("top", __name__)
PAGE_SIZE = 25
MAX_TAGS = 20


def reco_runtime(app: Flask) -> tuple:
    """(ranking cache, background trainer or None when RECOMMEND_SYNC) of this app."""
    runtime = app.extensions.get("papersift.reco")
    if runtime is None:
        settings = app.config["SETTINGS"]
        trainer = None if app.config.get("RECOMMEND_SYNC") else recommendations.Trainer()
        runtime = (recommendations.make_cache(settings), trainer)
        app.extensions["papersift.reco"] = runtime
    return runtime


def reco_query(args: MultiDict, per_page: int = PAGE_SIZE) -> tuple[RecoQuery, str, int]:
    """(query, window name, page) from the query string; BadRequest says what is wrong."""
    tags = tuple(dict.fromkeys(t.strip() for t in args.getlist("tag") if t.strip()))
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"at most {MAX_TAGS} tags at a time")
    mode = args.get("mode", "any").strip() or "any"
    if mode not in MODES:
        raise BadRequest("mode must be 'any' (papers with any of the tags) or 'all'")
    window = args.get("window", "all").strip() or "all"
    if window not in WINDOWS:
        raise BadRequest(f"window must be one of {', '.join(WINDOWS)}")
    page = int_arg(args, "page", 1, 1, 1000)
    per_page = int_arg(args, "n", per_page, 1, 500)
    query = RecoQuery(tags=tags, mode=mode, negative_tag=args.get("neg", "").strip() or None,
                      since=window_start(db.get_db(), window), category=category_arg(args),
                      k=per_page, offset=(page - 1) * per_page,
                      hide_seen=args.get("seen", "hide").strip() != "show")
    return query, window, page


def _recommend(query: RecoQuery):
    cache, trainer = reco_runtime(current_app)
    return recommendations.recommend(db.get_db(), services.current_index(), current_user.id, query,
                                  current_app.config["SETTINGS"], cache, trainer)


def recommended_ids() -> set[str]:
    """The logged-in user's top recommendations when already ranked (marks cards on browse)."""
    if "recommended_ids" not in g:
        g.recommended_ids = set()
        index = services.current_index()
        if current_user and current_user.is_authenticated and index is not None:
            cache, trainer = reco_runtime(current_app)
            sets = recommendations.training_sets(db.get_db(), current_user.id, RecoQuery())
            g.recommended_ids = recommendations.cached_top_ids(
                index, sets, current_app.config["SETTINGS"], cache, trainer)
    return g.recommended_ids


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals["recommended_ids"] = recommended_ids


@bp.get("/recommend")
@login_required
def index():
    query, window, page = reco_query(request.args)
    result = _recommend(query)
    return render_template("recommend/index.html", result=result, query=query, window=window,
                           page=page, windows=list(WINDOWS), modes=MODES,
                           tags=lib.user_tags(db.get_db(), current_user.id))


@bp.get("/api/recommendations")
@login_required
def api():
    query, window, page = reco_query(request.args, per_page=50)
    result = _recommend(query)
    return jsonify(model=result.kind or None, total=result.total, page=page, window=window,
                   positives=result.positives, empty_reason=result.empty_reason or None,
                   papers=[{**r.paper.to_json(), "score": round(r.score, 4), "reasons": r.reasons}
                           for r in result.items])


@top_bp.get("/top", endpoint="index")
@cached_for_visitors
def index_top():
    window = request.args.get("window", "month").strip() or "month"
    if window not in WINDOWS:
        raise BadRequest(f"window must be one of {', '.join(WINDOWS)}")
    span = WINDOWS[window]
    page = int_arg(request.args, "page", 1, 1, 10_000)
    min_count = current_app.config["SETTINGS"].min_library_count
    total, rows = lib.top_papers(db.get_db(), utcnow() - span if span else None,
                                 limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, min_count=min_count)
    return render_template("recommend/top.html", rows=rows, total=total, window=window, min_count=min_count,
                           windows=list(WINDOWS), page=page, pages=max(1, -(-total // PAGE_SIZE)))
