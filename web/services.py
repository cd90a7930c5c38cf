"""The web layer's handles on the app's services: the current index, and a paper or a 404.

The use-cases themselves live in services/; views parse the request, call one of them
with `current_index()` and the request's connection, and render.
"""

from __future__ import annotations

from flask import abort, current_app, g
from sqlalchemy.engine import Connection

from recommend.index import Index
from services.index_holder import IndexHolder, holder_of
from store.papers import Paper, get_paper


def index_holder() -> IndexHolder:
    return holder_of(current_app.extensions, current_app.config["SETTINGS"])


def current_index() -> Index | None:
    """The loaded current index, or None before the first `papersift index`: the same one
    for the whole request, so a page and its cache key come from one version."""
    if "papersift_index" not in g:
        g.papersift_index = index_holder().get()
    return g.papersift_index


def get_paper_or_404(conn: Connection, paper_id: str) -> Paper:
    paper = get_paper(conn, paper_id)
    if paper is None:
        abort(404, description=f"No paper {paper_id!r} in this papersift.")
    return paper
