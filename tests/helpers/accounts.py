"""Accounts in tests: making users, logging in, and posting forms and JSON with the CSRF token."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from store.users import create_user

PASSWORD = "correct horse battery"


def csrf_token(client) -> str:
    """This session's CSRF token, read where a browser finds it.

    Logged in, every page hands it to JavaScript in its csrf-token meta tag (the 404 page
    is the cheapest); logged out, pages carry none (so they can be cached) and the login
    form has it.
    """
    soup = BeautifulSoup(client.get("/healthz-page").data, "html.parser")
    meta = soup.select_one("meta[name=csrf-token]")
    if meta is not None:
        return meta["content"]
    soup = BeautifulSoup(client.get("/login").data, "html.parser")
    return soup.select_one("form input[name=csrf_token]")["value"]


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
