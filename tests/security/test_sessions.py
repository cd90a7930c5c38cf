"""Logging out ends a login on the server: copied cookies stop working (issue 15, item 1)."""

from __future__ import annotations

from datetime import timedelta

from store import sessions
from store.users import find_user
from tests.helpers.accounts import PASSWORD, csrf_token, login, make_user, post


def _copy_cookies(source, target) -> None:
    """What a thief does with cookies read from the victim's browser."""
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def _remembered_login(client) -> None:
    response = client.post("/login", data={"username": "ada", "password": PASSWORD, "remember": "y",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and client.get_cookie("remember_token") is not None


def test_a_session_cookie_copied_before_logout_is_refused_after(app, client, user):
    login(client, "ada")
    thief = app.test_client()
    _copy_cookies(client, thief)
    assert thief.get("/api/library").status_code == 200              # the copy works while logged in
    post(client, "/logout")
    assert thief.get("/api/library").status_code == 401
    response = thief.get("/account")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_remember_me_cookie_copied_before_logout_is_refused_after(app, client, user):
    _remembered_login(client)
    thief = app.test_client()
    thief.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert thief.get("/api/library").status_code == 200
    post(client, "/logout")
    thief.delete_cookie("session")
    assert thief.get("/api/library").status_code == 401


def test_log_out_everywhere_ends_every_login(app, client, user):
    phone, laptop = app.test_client(), app.test_client()
    _remembered_login(phone)
    login(laptop, "ada")
    login(client, "ada")
    response = post(client, "/account/logout-everywhere")
    assert response.status_code == 302 and response.location.startswith("/login")
    for other in (phone, laptop, client):
        assert other.get("/api/library").status_code == 401
    phone.delete_cookie("session")
    assert phone.get("/api/library").status_code == 401               # the remember-me cookie too


def test_logging_out_one_device_keeps_the_others(app, client, user):
    laptop = app.test_client()
    login(laptop, "ada")
    login(client, "ada")
    post(client, "/logout")
    assert laptop.get("/api/library").status_code == 200


def test_a_password_change_ends_remembered_logins_elsewhere(app, client, user):
    phone = app.test_client()
    _remembered_login(phone)
    login(client, "ada")
    post(client, "/account/password", {"current": PASSWORD, "password": "a brand new secret",
                                       "confirm": "a brand new secret"})
    phone.delete_cookie("session")
    assert phone.get("/api/library").status_code == 401
    assert client.get("/api/library").status_code == 200


def test_deleting_the_account_ends_its_logins(app, client, user):
    thief = app.test_client()
    login(client, "ada")
    _copy_cookies(client, thief)
    post(client, "/account/delete", {"password": PASSWORD})
    make_user(app, "ada")                                                # same name, new account
    assert thief.get("/api/library").status_code == 401


def test_remember_me_lasts_the_configured_days(make_app):
    app = make_app(remember_days=7)
    make_user(app, "ada")
    client = app.test_client()
    _remembered_login(client)
    cookie = client.get_cookie("remember_token")
    assert cookie.expires is not None
    with app.extensions["papersift.engine"].connect() as conn:
        [row] = conn.exec_driver_sql("select created, expires from user_sessions").all()
    assert _as_delta(row) == timedelta(days=7)


def test_remember_me_defaults_to_thirty_days(app, client, user):
    _remembered_login(client)
    with app.extensions["papersift.engine"].connect() as conn:
        [row] = conn.exec_driver_sql("select created, expires from user_sessions").all()
    assert _as_delta(row) == timedelta(days=30)


def _as_delta(row) -> timedelta:
    from datetime import datetime

    created, expires = (v if isinstance(v, datetime) else datetime.fromisoformat(v) for v in row)
    return expires - created


def test_an_expired_login_is_refused(app, user):
    engine = app.extensions["papersift.engine"]
    with engine.begin() as conn:
        ada = find_user(conn, "ada")
        live = sessions.start_session(conn, ada.id, timedelta(hours=1))
        dead = sessions.start_session(conn, ada.id, timedelta(seconds=-1))
    with engine.connect() as conn:
        assert sessions.session_user(conn, live).username == "ada"
        assert sessions.session_user(conn, dead) is None
        assert sessions.session_user(conn, "made-up") is None
        assert sessions.count_sessions(conn, ada.id) == 1
