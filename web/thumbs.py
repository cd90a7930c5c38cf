"""First-page thumbnails for cards, and what the paper page says about a paper's full text.

`/thumb/<id>.png` serves the PNG rendered by the full-text pipeline with long-lived
caching headers (ETag and Last-Modified make revalidation cheap); before a thumbnail
exists it answers with a neutral placeholder that caches only briefly, so the real one
shows up soon after extraction. `fulltext_facts(paper)` is a template helper for
templates/partials/paper_facts.html.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, send_file

from domain.ids import ArxivIdError, parse_arxiv_id
from ingest.thumbs import thumb_path
from store.fulltext import fulltext_info
from web import services
from web.db import get_db

bp = Blueprint("thumbs", __name__)

THUMB_MAX_AGE = 7 * 24 * 3600
PLACEHOLDER_MAX_AGE = 600
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="155" viewBox="0 0 120 155">'
    '<rect width="120" height="155" fill="#f3f4f6"/>'
    '<g fill="#d1d5db"><rect x="18" y="20" width="84" height="8" rx="2"/>'
    '<rect x="30" y="34" width="60" height="5" rx="2"/>'
    + "".join(f'<rect x="18" y="{y}" width="{84 if y % 2 else 78}" height="4" rx="2"/>'
              for y in range(52, 140, 9))
    + "</g></svg>"
)


def thumbnail_file(paper_id: str) -> Path | None:
    """The thumbnail of a paper if one has been rendered; 404 for text that is no arXiv id."""
    try:
        pid = parse_arxiv_id(paper_id).id
    except ArxivIdError:
        abort(404, description=f"{paper_id!r} is not an arXiv id.")
    path = thumb_path(current_app.config["SETTINGS"].thumb_dir, pid)
    return path if path.is_file() else None


@bp.get("/thumb/<path:paper_id>.png")
def thumb(paper_id: str):
    path = thumbnail_file(paper_id)
    if path is None:
        response = Response(PLACEHOLDER, mimetype="image/svg+xml")
        response.cache_control.public = True
        response.cache_control.max_age = PLACEHOLDER_MAX_AGE
        return response
    response = send_file(path, mimetype="image/png", max_age=THUMB_MAX_AGE, conditional=True, etag=True)
    response.cache_control.public = True
    return response


def fulltext_facts(paper) -> dict | None:
    """Status of a paper's full text and whether the loaded index was built with it."""
    info = fulltext_info(get_db(), paper.id)
    if info is None:
        return None
    facts = {"status": info.status, "chars": info.chars, "pages": info.pages,
             "engine": info.engine, "reason": info.reason, "used": False}
    index = services.current_index()
    if info.status == "ok" and index is not None and index.row(paper.id) is not None:
        facts["used"] = _index_has_text(index.meta, info.updated)
    return facts


def _index_has_text(meta: dict, updated: datetime) -> bool:
    """Whether an index version read a full text stamped `updated`: by the newest full-text
    change its snapshot saw (stamps are to the microsecond), else by its creation time (to
    the second, in versions without the mark)."""
    seen = (meta.get("high_water") or {}).get("fulltext")
    if seen is not None:
        return updated <= datetime.fromisoformat(seen)
    built = datetime.fromisoformat(meta["created"]).replace(tzinfo=None)
    return built >= updated.replace(microsecond=0)


@bp.app_context_processor
def _helpers() -> dict:
    return {"fulltext_facts": fulltext_facts}
