"""Flask extensions, created unbound and attached in init_app (STYLE.md rule 1)."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def setting_limit(name: str) -> Callable[[], str]:
    """A rate limit read from the app's settings when a request comes (apps differ)."""
    return lambda: getattr(current_app.config["SETTINGS"], name)


# one budget per address for every search and trend query, pages and API alike
query_limit = limiter.shared_limit(setting_limit("query_rate_limit"), scope="query")
