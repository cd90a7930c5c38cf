"""Browse: newest papers first, with category, time-window and new/revised filters."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, send_from_directory

from services.papers import browse
from services.params import browse_query
from store.papers import WINDOWS, category_counts
from web.db import get_db
from web.page_cache import cached_for_visitors

bp = Blueprint("browse", __name__)


@bp.get("/")
@cached_for_visitors
def index():
    conn = get_db()
    page = browse(conn, browse_query(request.args))
    return render_template("browse/index.html", page=page, windows=list(WINDOWS),
                           categories=category_counts(conn))


@bp.get("/favicon.ico")
def favicon():
    # pages name their icon, but browsers and feed readers still ask for /favicon.ico
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")
