"""Author pages, following authors, the Following list and its Atom feed.

- `GET /author?name=G.+Hinton`: the author's papers, newest first, and frequent co-authors;
  an ambiguous name lists the people it could be. JSON at `/api/author?name=...`.
- `POST /author/follow`, `POST /author/unfollow` (form field or JSON `name`, CSRF token).
- `GET /following`: new papers by followed authors; seen papers hidden unless `seen=show`.
  JSON at `/api/following`.
- `GET /feed/u/<token>/following` (Atom; `.rss` or `?format=rss` for RSS 2.0).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from services import authors as author_service
from services.params import int_arg
from store import feeds as feed_store
from store import follows as follow_store
from store.papers import window_start
from web import db
from web.auth import safe_next

bp = Blueprint("authors", __name__)
PAGE_SIZE = 25
FEED_WINDOW = "month"


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _name_arg() -> str:
    data = request.get_json(silent=True) if request.is_json else (
        request.form if request.method == "POST" else request.args)
    value = (data or {}).get("name", "")
    return value if isinstance(value, str) else ""


def _page_or_400(name: str) -> author_service.AuthorPage:
    try:
        return author_service.author_page(db.get_db(), name)
    except author_service.AuthorNameError as exc:
        abort(400, description=str(exc))


def _following_keys() -> set[str]:
    if not current_user.is_authenticated:
        return set()
    return {f.name_key for f in follow_store.list_follows(db.get_db(), current_user.id)}


def _author_json(page: author_service.AuthorPage) -> dict:
    return {"name": page.name, "wanted": page.wanted, "ambiguous": page.resolution.ambiguous,
            "people": list(page.resolution.people), "spellings": list(page.resolution.names),
            "count": len(page.papers), "coauthors": [{"name": n, "papers": k} for n, k in page.coauthors],
            "papers": [p.to_json() for p in page.papers]}


@bp.get("/author")
def author():
    page = _page_or_400(_name_arg())
    shown = int_arg(request.args, "page", 1, 1, 10_000)
    pages = max(1, -(-len(page.papers) // PAGE_SIZE))
    return render_template("authors/author.html", author=page, following=page.key in _following_keys(),
                           papers=page.papers[(shown - 1) * PAGE_SIZE:shown * PAGE_SIZE],
                           page=shown, pages=pages)


@bp.get("/api/author")
def api_author():
    return jsonify(_author_json(_page_or_400(_name_arg())))


def _back(default_name: str | None = None):
    target = url_for("authors.author", name=default_name) if default_name else url_for("authors.following")
    return redirect(safe_next(request.form.get("next", ""), "authors.following") if request.form.get("next")
                    else target)


@bp.post("/author/follow")
@login_required
def follow():
    name = _name_arg()
    try:
        with db.transaction() as conn:
            page = author_service.follow_author(conn, current_user.id, name)
    except (author_service.AuthorNameError, follow_store.FollowError) as exc:
        if _wants_json():
            return jsonify(error=str(exc)), 400
        flash(str(exc), "error")
        return _back(name)
    if _wants_json():
        return jsonify(following=True, name=page.name)
    flash(f"Following {page.name}: new papers appear under Following.", "success")
    return _back(page.name)


@bp.post("/author/unfollow")
@login_required
def unfollow():
    name = _name_arg()
    from recommend.author_names import parse_name

    key = parse_name(" ".join(name.split())).key
    with db.transaction() as conn:
        done = follow_store.unfollow(conn, current_user.id, key)
    if _wants_json():
        return jsonify(following=False, removed=done)
    flash(f"No longer following {name}." if done else f"You were not following {name}.", "success")
    return _back(name)


def _following_page():
    hide_seen = request.args.get("seen", "hide") != "show"
    page = int_arg(request.args, "page", 1, 1, 10_000)
    result = author_service.following(db.get_db(), current_user.id, hide_seen=hide_seen,
                                      limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return result, hide_seen, page


@bp.get("/following")
@login_required
def following():
    result, hide_seen, page = _following_page()
    return render_template("authors/following.html", result=result, hide_seen=hide_seen, page=page,
                           pages=max(1, -(-result.total // PAGE_SIZE)),
                           feed_token=feed_store.feed_token(db.get_db(), current_user.id))


@bp.get("/api/following")
@login_required
def api_following():
    result, hide_seen, page = _following_page()
    return jsonify(follows=[f.name for f in result.follows], total=result.total, page=page,
                   hide_seen=hide_seen, hidden_seen=result.hidden_seen, ambiguous=result.ambiguous,
                   papers=[{**p.to_json(), "followed_authors": names} for p, names in result.papers])


def following_feed(token: str, fmt: str):
    from web.feeds import Feed, FeedItem, render

    owner = feed_store.user_for_feed_token(db.get_db(), token)
    if owner is None:
        abort(404, description="No such feed: the link may have been revoked or regenerated.")
    user_id, username = owner
    conn = db.get_db()
    result = author_service.following(conn, user_id, hide_seen=False,
                                      since=window_start(conn, FEED_WINDOW), limit=50)
    names = ", ".join(f.name for f in result.follows) or "nobody yet"
    feed = Feed(f"papersift: authors {username} follows", f"Papers of the last {FEED_WINDOW} by {names}.",
                url_for("authors.following"),
                [FeedItem(p, "By " + ", ".join(by)) for p, by in result.papers])
    response = render(feed, fmt)
    response.cache_control.max_age = 600
    response.cache_control.private = True
    return response


@bp.get("/feed/u/<token>/following")
def feed(token: str):
    fmt = request.args.get("format", "atom").strip().lower() or "atom"
    if fmt not in ("atom", "rss"):
        abort(404, description="Feeds come as atom or rss.")
    return following_feed(token, fmt)


@bp.get("/feed/u/<token>/following.rss")
def feed_rss(token: str):
    return following_feed(token, "rss")


@bp.get("/feed/u/<token>/following.atom")
def feed_atom(token: str):
    return following_feed(token, "atom")
