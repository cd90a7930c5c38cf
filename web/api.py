"""The JSON API beside the pages: same filters, same data."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from services.papers import browse, similar_papers
from services.params import browse_query
from web import services
from web.code_links import paper_code_links
from web.db import get_db

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/papers")
def papers():
    page = browse(get_db(), browse_query(request.args))
    return jsonify(total=page.total, more=page.more, page=page.query.page, per_page=page.query.per_page,
                   papers=[p.to_json() for p in page.papers])


@bp.get("/papers/<path:paper_id>")
def paper(paper_id: str):
    conn = get_db()
    p = services.get_paper_or_404(conn, paper_id)
    similar = similar_papers(conn, services.current_index(), p.id,
                             vector_weight=current_app.config["SETTINGS"].similar_vector_weight)
    return jsonify(paper={**p.to_json(), "code_links": paper_code_links(conn, p)},
                   similar=[{"id": s.paper.id, "score": round(s.score, 4)} for s in similar])
