"""Account helpers with CSRF switched on, as in production: tokens are read from pages."""

from __future__ import annotations

from tests.helpers.accounts import logged_in, user  # noqa: F401 - fixtures the tests here request
