"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, request, url_for

from web.tex import tex_prose


def has_endpoint(name: str) -> bool:
    """Whether a view exists, so shared templates link only to areas that are installed."""
    return name in current_app.view_functions


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (None or '' removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def public_url(endpoint: str, **values) -> str:
    """An absolute URL on the public site (PAPERSIFT_BASE_URL), never built from the
    request's Host header, which a client chooses (and cached pages are shared)."""
    return current_app.config["SETTINGS"].base_url.rstrip("/") + url_for(endpoint, **values)


def date(value: datetime | None, fmt: str = "%d %b %Y") -> str:
    return value.strftime(fmt) if value else ""


def authors(names, limit: int = 8) -> str:
    names = list(names)
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(has_endpoint=has_endpoint, url_with=url_with, public_url=public_url)
    app.jinja_env.filters.update(date=date, authors=authors, tex=tex_prose)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
