"""Whole pages for logged-out visitors, served from the cache.

Browse, paper, search, trends and top pages look the same to every logged-out visitor,
so one rendering serves them all for `page_cache_seconds` (Redis when configured, shared
by every worker; else a small per-process LRU). Logged-in users always get a fresh page:
theirs carries their library and a CSRF token.

A key is the full URL plus what the page is made of: the loaded index version, the
store's papers and full texts (`change_mark`: a row of meta and one end of an index, the
same cost at 3M papers as at 1,000) and library totals (papers' "in N
libraries"). New papers or a new index therefore show at once; the time limit only
bounds how long other changes (the wall-clock "top" windows) can lag.

Three guards keep a personal page out of the cache: nothing is looked up or stored for
a logged-in user or one with messages waiting (flashes), only 200 HTML responses are
stored, and a rendering that touched the session or put a CSRF token in the page is not.
The request's host is part of the key, and absolute links come from PAPERSIFT_BASE_URL,
so a forged Host header cannot plant links in a page others get. Only URLs made of the
pages' own arguments are stored (PAGE_ARGS), so made-up ones cannot fill the cache.
Logged-in pages are marked `Cache-Control: private` for proxies and CDNs, and logged-in
JSON and exports `private, no-store` (init_app).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_login import current_user

from services.cache import Cache, MemoryCache
from store.library import library_mark
from store.papers import change_mark
from web import services
from web.cache import get_cache
from web.db import get_db

HEADER = "X-Papersift-Cache"
MEMORY_ENTRIES = 256       # per process, without Redis: ~100 KB a page at most
# the query arguments these pages read: a URL with others (or one given twice) is served
# but not stored, so made-up URLs cannot fill the cache
PAGE_ARGS = frozenset({"q", "cat", "window", "show", "page", "per_page", "sort", "since", "until",
                       "smooth", "month", "n", "min_support"})
MAX_QUERY_CHARS = 600


def page_store() -> Cache:
    settings = current_app.config["SETTINGS"]
    if settings.redis_url:
        return get_cache()
    store = current_app.extensions.get("papersift.page_cache")
    if store is None:
        store = current_app.extensions["papersift.page_cache"] = MemoryCache(MEMORY_ENTRIES)
    return store


def page_key() -> str | None:
    """The cache key of this request's page, or None when it must be rendered afresh."""
    if current_app.config["SETTINGS"].page_cache_seconds <= 0 or request.method != "GET":
        return None
    if "_flashes" in session or current_user.is_authenticated:
        return None
    if (len(request.query_string) > MAX_QUERY_CHARS or not PAGE_ARGS.issuperset(request.args)
            or any(len(values) > 1 for values in request.args.listvalues())):
        return None
    conn = get_db()
    from services.semantic import vectors_mark

    # the version's vectors arriving turns search and similar papers hybrid: a new page
    index = services.current_index()      # the index this request's view will render from
    parts = (request.host, request.full_path, index.version if index is not None else "",
             vectors_mark(index, current_app.config["SETTINGS"]), change_mark(conn),
             library_mark(conn))
    return "page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def cached_for_visitors(view: Callable) -> Callable:
    """Serve the view's page to logged-out visitors from the cache (see the module doc)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = page_key()
        if key is None:
            return view(*args, **kwargs)
        store = page_store()
        hit = store.get(key)
        if hit is not None:
            body, content_type = hit
            response = Response(body, 200, content_type=content_type)
            return _mark(response, "hit")
        response = make_response(view(*args, **kwargs))
        if (response.status_code == 200 and response.mimetype == "text/html"
                and not response.direct_passthrough and not _personal()):
            store.set(key, (response.get_data(), response.content_type),
                      ttl=current_app.config["SETTINGS"].page_cache_seconds)
            _mark(response, "miss")
        return response

    return wrapper


def _personal() -> bool:
    """Whether the rendering used this visitor's session: changed it, or put its CSRF token
    in the page (flask-wtf leaves g.csrf_token; an existing token changes no session)."""
    return session.modified or "csrf_token" in g


def _private(response: Response) -> Response:
    """A logged-in user's responses are theirs: no shared cache (a proxy, a CDN) may keep one.
    Their JSON and exports (library, recommendations) are not stored at all, not even by the
    browser: they are data, not pages to go back to."""
    if request.endpoint == "static" or not current_user.is_authenticated:  # no user lookup for files
        return response
    response.cache_control.public = False
    response.cache_control.private = True
    response.vary.add("Cookie")
    if response.mimetype != "text/html":
        response.cache_control.no_store = True
    return response


def init_app(app: Flask) -> None:
    app.after_request(_private)


def _mark(response: Response, state: str) -> Response:
    response.headers[HEADER] = state
    response.vary.add("Cookie")
    return response
