"""The paper page: metadata, abstract with math, links, and similar papers."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from services.papers import similar_papers
from web import services
from web.db import get_db
from web.page_cache import cached_for_visitors
from web.seen import record_open

bp = Blueprint("paper", __name__)


@bp.get("/paper/<path:paper_id>")
@cached_for_visitors
def show(paper_id: str):
    conn = get_db()
    paper = services.get_paper_or_404(conn, paper_id)
    record_open(paper.id)
    return render_template("paper/show.html", paper=paper,
                           similar=similar_papers(conn, services.current_index(), paper.id,
                                                  vector_weight=current_app.config["SETTINGS"].similar_vector_weight))
