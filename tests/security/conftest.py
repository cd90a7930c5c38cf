"""The security tests reuse the account helpers (CSRF on, tokens read from pages)."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import logged_in, user  # noqa: F401 - fixtures


@pytest.fixture
def make_app(data_dir, database_url):
    """Apps over one data dir with chosen settings (lowercase) or Flask config (uppercase)."""
    apps = []

    def build(**settings):
        from app import create_app

        application = create_app({"data_dir": str(data_dir), "scheduler_enabled": False,
                                  "database_url": database_url, "TESTING": True, **settings})
        apps.append(application)
        return application

    yield build
    for application in apps:
        application.extensions["papersift.engine"].dispose()
