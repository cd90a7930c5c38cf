"""Seen marks and the review of "not interested" marks.

- `POST /seen/mark` with one or more `paper_id` fields (or JSON `{"ids": [...]}`): mark seen
  by hand; "mark all on this page as seen" posts every card's id with `how=page`.
- `POST /seen/unmark`: the same, undone.
- `GET /library/not-interested`: the papers marked not interested, each with an undo (JSON
  at `/api/not-interested`).
- `record_open`: the paper page calls it, marking the paper seen when PAPERSIFT_MARK_SEEN_AUTO
  is on and someone is logged in.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request
from flask_login import current_user, login_required

from services.params import int_arg
from store import library as lib
from store import seen as seen_store
from store.papers import get_papers
from web import db
from web.auth import safe_next

bp = Blueprint("seen", __name__)
MAX_MARK = 500
PAGE_SIZE = 25


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _ids() -> list[str]:
    if request.is_json:
        data = request.get_json(silent=True) or {}
        ids = data.get("ids", []) if isinstance(data, dict) else []
        ids = [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
    else:
        ids = request.form.getlist("paper_id")
    return list(dict.fromkeys(i.strip()[:64] for i in ids if i.strip()))[:MAX_MARK]


def _how() -> str:
    how = (request.get_json(silent=True) or {}).get("how") if request.is_json else request.form.get("how")
    return how if how in ("marked", "page") else "marked"


def _answer(message: str, changed: list[str] | int):
    if _wants_json():
        return jsonify(message=message, changed=changed)
    flash(message, "success")
    return redirect(safe_next(request.form.get("next", ""), "authors.following"))


@bp.post("/seen/mark")
@login_required
def mark():
    ids = _ids()
    with db.transaction() as conn:
        new = seen_store.mark_seen(conn, current_user.id, ids, _how())
    n = len(ids)
    return _answer(f"Marked {n} paper{'' if n == 1 else 's'} as seen.", new)


@bp.post("/seen/unmark")
@login_required
def unmark():
    with db.transaction() as conn:
        done = seen_store.unmark_seen(conn, current_user.id, _ids())
    return _answer(f"{done} paper{'' if done == 1 else 's'} no longer marked seen.", done)


@bp.get("/library/not-interested")
@login_required
def not_interested():
    conn = db.get_db()
    ids = sorted(lib.not_interested_ids(conn, current_user.id))
    page = int_arg(request.args, "page", 1, 1, 10_000)
    papers = get_papers(conn, ids)
    papers.sort(key=lambda p: (p.published, p.id), reverse=True)
    shown = papers[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    return render_template("library/not_interested.html", papers=shown, total=len(papers), page=page,
                           pages=max(1, -(-len(papers) // PAGE_SIZE)))


@bp.get("/api/not-interested")
@login_required
def api_not_interested():
    conn = db.get_db()
    papers = get_papers(conn, sorted(lib.not_interested_ids(conn, current_user.id)))
    return jsonify(count=len(papers), papers=[p.to_json() for p in papers])


def record_open(paper_id: str) -> None:
    """Mark a paper seen when a logged-in user opens it (PAPERSIFT_MARK_SEEN_AUTO)."""
    if not (current_user and current_user.is_authenticated):
        return
    if not current_app.config["SETTINGS"].mark_seen_auto:
        return
    with db.transaction() as conn:
        seen_store.mark_seen(conn, current_user.id, [paper_id], "opened")


def _seen_state() -> set[str]:
    """The user's seen ids, read once a request (cards ask per paper)."""
    if "seen_ids" not in g:
        g.seen_ids = (seen_store.seen_ids(db.get_db(), current_user.id)
                      if current_user and current_user.is_authenticated else set())
    return g.seen_ids


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals["seen_ids"] = _seen_state
