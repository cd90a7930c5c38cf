"""Account helpers with CSRF switched on, as in production: tokens are read from pages."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from store.users import create_user

PASSWORD = "correct horse battery"


def csrf_token(client, path: str = "/healthz-page") -> str:
    """The CSRF token every page hands to JavaScript in its csrf-token meta tag.

    Any page works: the 404 page is the cheapest one that renders the base template.
    """
    soup = BeautifulSoup(client.get(path).data, "html.parser")
    return soup.select_one("meta[name=csrf-token]")["content"]


def post(client, path: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def post_json(client, path: str, payload: dict | None = None):
    """POST JSON the way library.js does: token in the X-CSRFToken header."""
    return client.post(path, json=payload or {}, headers={"X-CSRFToken": csrf_token(client),
                                                           "Accept": "application/json"})


def make_user(app, name: str, password: str = PASSWORD):
    with app.extensions["papersift.engine"].begin() as conn:
        return create_user(conn, name, password)


def login(client, name: str, password: str = PASSWORD):
    return post(client, "/login", {"username": name, "password": password})


@pytest.fixture
def user(app):
    return make_user(app, "ada")


@pytest.fixture
def logged_in(app, client, user):
    response = login(client, "ada")
    assert response.status_code == 302
    return client
