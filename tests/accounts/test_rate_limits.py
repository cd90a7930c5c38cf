"""Rate limits come from settings; behind a trusted proxy they count the visitor's address
from X-Forwarded-For, and without one that header cannot be used to dodge them."""

from __future__ import annotations

import logging

from tests.helpers.accounts import PASSWORD, csrf_token, make_user


def _failed_login(client, name: str = "ada", address: str | None = None) -> int:
    headers = {"X-Forwarded-For": address} if address else {}
    data = {"username": name, "password": "wrong password", "csrf_token": csrf_token(client)}
    return client.post("/login", data=data, headers=headers).status_code


def test_queries_share_one_budget_per_address_with_a_clear_429(make_app):
    from ingest import indexing
    from tests.factories import add_papers, record

    app = make_app(query_rate_limit="3 per minute")
    add_papers(app.extensions["papersift.engine"], *[record() for _ in range(5)])
    indexing.build(app.extensions["papersift.engine"], app.config["SETTINGS"])
    client = app.test_client()
    assert client.get("/search?q=graph").status_code == 200
    assert client.get("/api/search?q=graph").status_code == 200
    assert client.get("/api/trends?q=graph").status_code == 200
    page = client.get("/search?q=graph")
    assert page.status_code == 429 and b"3 per 1 minute" in page.data
    api = client.get("/api/search?q=graph")
    assert api.status_code == 429 and api.get_json()["status"] == 429
    assert app.test_client().get("/", environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == 200
    other = app.test_client().get("/search?q=graph", environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert other.status_code == 200                                          # another address


def test_login_limits_come_from_the_settings(make_app):
    app = make_app(login_rate_limit="2 per 15 minutes")
    make_user(app, "ada")
    client = app.test_client()
    assert [_failed_login(client) for _ in range(3)] == [401, 401, 429]


def test_behind_a_trusted_proxy_each_visitor_has_their_own_budget(make_app, caplog):
    app = make_app(trusted_proxies=1, address_rate_limit="2 per 15 minutes")
    client = app.test_client()
    caplog.set_level(logging.INFO, logger="papersift.request")
    assert [_failed_login(client, "nobody", "203.0.113.5") for _ in range(3)] == [401, 401, 429]
    assert _failed_login(client, "nobody", "198.51.100.7") == 401             # a different visitor
    assert any(getattr(r, "remote", None) == "198.51.100.7" or "198.51.100.7" in r.getMessage()
               for r in caplog.records)


def test_without_a_trusted_proxy_a_forged_header_does_not_reset_the_budget(make_app):
    app = make_app(address_rate_limit="2 per 15 minutes")
    client = app.test_client()
    statuses = [_failed_login(client, "nobody", f"203.0.113.{i}") for i in range(3)]
    assert statuses == [401, 401, 429]


def test_a_right_password_is_not_counted(make_app):
    app = make_app(login_rate_limit="2 per 15 minutes")
    make_user(app, "ada")
    client = app.test_client()
    for _ in range(3):
        response = client.post("/login", data={"username": "ada", "password": PASSWORD,
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client)})
