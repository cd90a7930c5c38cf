"""Atom and RSS 2.0 feeds: new papers per category (public), and per-user token feeds.

- `/feed/category/<cat>`: the newest papers listing the category; no login.
- `/feed/u/<token>/recommendations`: the user's recommendations over the last month.
- `/feed/u/<token>/tag/<tag id>`: recommendations trained on one tag.
- `/feed/u/<token>/search/<search id>`: a saved search, newest matching papers first.

Every feed is Atom by default; `.rss` after the last path part (or `?format=rss`) gives
RSS 2.0. The token is `users.feed_token`: unknown or revoked tokens, and tags or searches
of another user, are 404s. Feeds are written by feedgen, so text is escaped by the XML
serializer, never by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, current_app, request, url_for

from recommend.search_query import QueryError
from services.recommendations import RecoQuery, recommend
from store import feeds as feed_store
from store import library as lib
from store import utcnow
from store.papers import Paper, PaperFilter, list_papers, window_start
from web import db, services

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

bp = Blueprint("feeds", __name__)
FEED_SIZE = 50
RECO_WINDOW = "month"            # recommendation feeds rank papers of the last month
FORMATS = {"atom": "application/atom+xml; charset=utf-8", "rss": "application/rss+xml; charset=utf-8"}
_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?")


@dataclass(frozen=True)
class FeedItem:
    paper: Paper
    note: str = ""               # e.g. why it was recommended


@dataclass(frozen=True)
class Feed:
    title: str
    subtitle: str
    page_path: str               # the site page showing the same list
    items: Sequence[FeedItem]


def site_url(path: str) -> str:
    """An absolute URL on the public site (PAPERSIFT_BASE_URL), for feed and email links."""
    return current_app.config["SETTINGS"].base_url.rstrip("/") + path


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _entry(fg: FeedGenerator, item: FeedItem) -> None:
    paper = item.paper
    link = site_url(url_for("paper.show", paper_id=paper.id))
    fe = fg.add_entry(order="append")
    fe.id(link)
    fe.title(paper.title)
    # one link only: feedgen 1.0 drops the rel of entry links, so a second one would read as
    # another "alternate" (the PDF goes in the summary instead)
    fe.link(href=link, rel="alternate")
    fe.author([{"name": a} for a in paper.authors] or [{"name": "unknown"}])
    text = f"{', '.join(paper.authors)}\n\n{paper.abstract}\n\nPDF: {paper.pdf_url}"
    fe.summary(f"{text}\n\n{item.note}" if item.note else text)
    for cat in paper.categories:
        fe.category(term=cat)
    fe.published(_aware(paper.published))
    fe.updated(_aware(paper.updated or paper.published))


def render(feed: Feed, fmt: str) -> Response:
    """The feed as Atom or RSS 2.0 bytes in a response with the right content type."""
    from feedgen.feed import FeedGenerator  # here: lxml is slow to import, feeds are rare

    fg = FeedGenerator()
    self_url = site_url(request.full_path.rstrip("?"))
    fg.id(self_url)
    fg.title(feed.title)
    fg.subtitle(feed.subtitle)          # the RSS description too
    fg.link(href=self_url, rel="self")
    fg.link(href=site_url(feed.page_path), rel="alternate")     # last: feedgen's RSS <link>
    fg.language("en")
    fg.generator("papersift")
    dates = [i.paper.updated or i.paper.published for i in feed.items]
    fg.updated(_aware(max(dates) if dates else utcnow()))
    for item in feed.items:
        _entry(fg, item)
    body = fg.rss_str(pretty=True) if fmt == "rss" else fg.atom_str(pretty=True)
    return Response(body, content_type=FORMATS[fmt])


def split_format(name: str) -> tuple[str, str]:
    """('cs.CV', 'rss') from 'cs.CV.rss' or '?format=rss'; Atom otherwise; 404 for other formats."""
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return name[: -len(fmt) - 1], fmt
    fmt = request.args.get("format", "atom").strip().lower() or "atom"
    if fmt not in FORMATS:
        abort(404, description="Feeds come as atom or rss.")
    return name, fmt


def _cached(response: Response, private: bool) -> Response:
    response.cache_control.max_age = 600
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    return response


# -- public -----------------------------------------------------------------------


def category_feed(cat: str) -> Feed:
    _, papers = list_papers(db.get_db(), PaperFilter(category=cat, revisions=False), limit=FEED_SIZE,
                            count_cap=FEED_SIZE)      # a feed shows no total: count no further
    return Feed(f"papersift: new in {cat}", f"The newest papers listed in {cat}.",
                url_for("browse.index", cat=cat, show="new"), [FeedItem(p) for p in papers])


@bp.get("/feed/category/<name>")
def category(name: str):
    cat, fmt = split_format(name)
    if not _CATEGORY.fullmatch(cat):
        abort(404, description=f"Not an arXiv category: {cat[:40]!r}.")
    return _cached(render(category_feed(cat), fmt), private=False)


# -- per user ---------------------------------------------------------------------


def _ident(text: str) -> int | None:
    """A row id from a URL part, None for anything else (including absurdly long numbers)."""
    return int(text) if text.isdigit() and len(text) <= 12 else None


def _owner(token: str) -> tuple[int, str]:
    owner = feed_store.user_for_feed_token(db.get_db(), token)
    if owner is None:
        abort(404, description="No such feed: the link may have been revoked or regenerated.")
    return owner


def reco_items(user_id: int, tags: tuple[str, ...] = ()) -> list[FeedItem]:
    """Recommendations for a feed: the cached ranking (or the centroid one while it trains)."""
    from web.recommend import reco_runtime

    conn = db.get_db()
    cache, trainer = reco_runtime(current_app)
    query = RecoQuery(tags=tags, since=window_start(conn, RECO_WINDOW), k=FEED_SIZE)
    result = recommend(conn, services.current_index(), user_id, query,
                       current_app.config["SETTINGS"], cache, trainer)
    return [FeedItem(r.paper, ("Why: " + ", ".join(r.reasons)) if r.reasons else "")
            for r in result.items]


@bp.get("/feed/u/<token>/<name>")
def recommendations(token: str, name: str):
    name, fmt = split_format(name)
    if name != "recommendations":
        abort(404)
    user_id, username = _owner(token)
    feed = Feed(f"papersift: recommended for {username}",
                f"Papers of the last {RECO_WINDOW} ranked by {username}'s library.",
                url_for("recommend.index", window=RECO_WINDOW), reco_items(user_id))
    return _cached(render(feed, fmt), private=True)


@bp.get("/feed/u/<token>/tag/<name>")
def tag(token: str, name: str):
    ident, fmt = split_format(name)
    user_id, username = _owner(token)
    tag_id = _ident(ident)
    found = lib.get_tag(db.get_db(), user_id, tag_id) if tag_id is not None else None
    if found is None:
        abort(404, description="No such tag.")
    feed = Feed(f"papersift: {found.name} ({username})",
                f"Papers of the last {RECO_WINDOW} ranked by {username}'s tag {found.name}.",
                url_for("recommend.index", tag=found.name, window=RECO_WINDOW),
                reco_items(user_id, (found.name,)))
    return _cached(render(feed, fmt), private=True)


def search_items(saved: feed_store.SavedSearch) -> list[FeedItem]:
    """The saved search run as the search page runs it, newest matching papers first."""
    from services.search import SearchRequest, run_search

    req = SearchRequest(q=saved.query, category=saved.category, window=saved.window, sort="date",
                        per_page=FEED_SIZE, all_words=True)
    try:
        page = run_search(db.get_db(), services.current_index(), req)
    except QueryError:
        return []
    return [FeedItem(h.paper) for h in page.hits]


@bp.get("/feed/u/<token>/search/<name>")
def search(token: str, name: str):
    ident, fmt = split_format(name)
    user_id, _ = _owner(token)
    search_id = _ident(ident)
    saved = feed_store.get_saved_search(db.get_db(), user_id, search_id) if search_id is not None else None
    if saved is None:
        abort(404, description="No such saved search.")
    feed = Feed(f"papersift: {saved.name}", f"Newest papers matching the search {saved.query}.",
                url_for("search.results", **{**saved.args(), "sort": "date"}), search_items(saved))
    return _cached(render(feed, fmt), private=True)
