"""Recommendations for the logged-in user (page and JSON API) and the "top" page."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from services import recommendations
from services.params import int_arg
from services.recommendations import MODES, PAGE_SIZE, RecoQuery
from store import library as lib
from store import utcnow
from store.papers import WINDOWS
from web import db, services
from web.page_cache import cached_for_visitors

bp = Blueprint("recommend", __name__)
top_bp = Blueprint("top", __name__)


def reco_runtime(app: Flask) -> tuple:
    """(ranking cache, background trainer or None when RECOMMEND_SYNC) of this app."""
    return recommendations.reco_runtime(app.extensions, app.config["SETTINGS"],
                                        sync=bool(app.config.get("RECOMMEND_SYNC")))


def reco_query(args: MultiDict, per_page: int = PAGE_SIZE) -> tuple[RecoQuery, str, int]:
    """(query, window name, page) from the query string (a 400 says what is wrong)."""
    return recommendations.reco_query(db.get_db(), args, per_page)


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
