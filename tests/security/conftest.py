"""The security tests reuse the account helpers (CSRF on, tokens read from pages)."""

from __future__ import annotations

from tests.helpers.accounts import logged_in, user  # noqa: F401 - fixtures

