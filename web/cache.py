"""The app's shared cache (services.cache: Redis or in-process), static files' cache
headers, and the rate limiter's settings for a Redis that goes away.

`get_cache()` is the app's instance, created in `init_app`; pages (web.page_cache) and
trend reports (services.trends) keep their entries in it. `init_app` also makes
Flask-Limiter survive Redis loss (in-memory fallback, errors swallowed), since the
limiter shares the same Redis.
"""

from __future__ import annotations

from flask import Flask, current_app

from config import Settings
from services.cache import EXTENSION_KEY, Cache, make_cache, shared_cache
from services.redis_client import SOCKET_TIMEOUT

VENDOR_MAX_AGE = 365 * 24 * 3600     # static/vendor/<lib>-<version>/: the path changes with the file
STATIC_MAX_AGE = 300                 # site.css, site.js: short, then revalidated by ETag


def get_cache() -> Cache:
    """The app's cache (created on first use)."""
    return shared_cache(current_app.extensions, current_app.config["SETTINGS"])


def static_max_age(filename: str | None) -> int | None:
    """Browser cache lifetime of a static file: long for versioned vendor paths."""
    if filename and filename.replace("\\", "/").startswith("vendor/"):
        return VENDOR_MAX_AGE
    return STATIC_MAX_AGE


def init_app(app: Flask) -> None:
    """Create the cache, set static files' cache headers, and make the rate limiter keep
    working (in memory) when Redis is down."""
    settings: Settings = app.config["SETTINGS"]
    app.extensions[EXTENSION_KEY] = make_cache(settings)
    app.get_send_file_max_age = static_max_age  # type: ignore[method-assign]
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if settings.redis_url:
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
            "socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": SOCKET_TIMEOUT})
