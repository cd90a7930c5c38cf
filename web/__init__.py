"""The Flask layer: thin views, one blueprint per area."""

from __future__ import annotations

from flask import Flask

from config import Settings


def init_web(app: Flask) -> None:
    """Attach extensions, blueprints, error pages and template helpers to the app."""
    from web import api, browse, cache, errors, health, page_cache, paper, search, templating
    from web.extensions import csrf, limiter

    settings: Settings = app.config["SETTINGS"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.redis_url or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    cache.init_app(app)  # before the limiter: Redis-loss fallback settings, static cache headers
    csrf.init_app(app)
    limiter.init_app(app)

    from web import security_headers

    security_headers.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    from web import auth, authors, code_links, library, library_upload, recommend, seen

    auth.init_app(app)
    page_cache.init_app(app)
    from web import worker_memory

    worker_memory.init_app(app)
    from web import admin, feeds, saved, thumbs, trends

    for blueprint in (browse.bp, paper.bp, api.bp, health.bp, auth.bp, library.bp, library.api_bp,
                      library_upload.bp, authors.bp, seen.bp, code_links.bp,
                      recommend.bp, recommend.top_bp,
                      search.bp, thumbs.bp, trends.bp, admin.bp, feeds.bp, saved.bp):
        app.register_blueprint(blueprint)


# Imported where they are used, so that a CLI command does not wait for them (scikit-learn
# alone takes most of a second); `preload` imports them up front for a server.
DEFERRED_IMPORTS = (
    "sklearn.exceptions", "sklearn.svm", "sklearn.preprocessing",   # recommendations
    "sklearn.feature_extraction.text",                              # index builds (scheduler)
    "feedgen.feed", "bibtexparser", "redis",                        # feeds, BibTeX, shared cache
    "scipy.special",                                                # hot lists' p-values
)


def preload() -> None:
    """Import what requests would import on first use and make the dummy password hash.

    A server calls this at start-up, so its first requests do not wait for the imports,
    and gunicorn's workers, forked from a preloaded master, share the modules.
    """
    import importlib

    from store.users import dummy_hash

    for name in DEFERRED_IMPORTS:
        importlib.import_module(name)
    dummy_hash()
