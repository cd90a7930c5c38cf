"""Code links of one paper including its full text (cards and lists use the abstract and
comments only: reading every full text per page would be too slow)."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy.engine import Connection

from store.code_links import code_links
from store.fulltext import get_text
from store.papers import Paper
from web import db

bp = Blueprint("code_links", __name__)


def paper_code_links(conn: Connection, paper: Paper) -> list[str]:
    """Repository URLs in the abstract, comments, then the full text (when extracted)."""
    return code_links((paper.abstract, paper.comment, get_text(conn, paper.id)))


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals["paper_code_links"] = lambda paper: paper_code_links(db.get_db(), paper)
