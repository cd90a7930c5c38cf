from bs4 import BeautifulSoup
from sqlalchemy import select

from store.schema import users
from store.users import find_user
from tests.helpers.accounts import PASSWORD, csrf_token, login, make_user, post


def _user_rows(app):
    with app.extensions["papersift.engine"].connect() as conn:
        return conn.execute(select(users)).all()


def _nav_user(client) -> str | None:
    link = BeautifulSoup(client.get("/").data, "html.parser").select_one(".site-nav .user-link")
    return link.get_text() if link else None


def test_register_logs_in_and_stores_a_scrypt_hash(app, client):
    response = post(client, "/register", {"username": "grace", "password": PASSWORD,
                                          "confirm": PASSWORD})
    assert response.status_code == 302 and response.location == "/"
    assert _nav_user(client) == "grace"
    [row] = _user_rows(app)
    assert row.username == "grace"
    assert row.password_hash.startswith("scrypt:") and PASSWORD not in row.password_hash


def test_register_rejects_bad_and_taken_usernames(app, client):
    make_user(app, "Ada")
    for name in ("ada", "a", "<script>", "has space", "x" * 40):
        response = post(client, "/register", {"username": name, "password": PASSWORD,
                                              "confirm": PASSWORD})
        assert response.status_code == 400, name
        assert BeautifulSoup(response.data, "html.parser").select_one(".field-error")
    assert len(_user_rows(app)) == 1


def test_register_rejects_short_and_mismatched_passwords(app, client):
    for pw, confirm in (("short", "short"), (PASSWORD, PASSWORD + "x")):
        response = post(client, "/register", {"username": "grace", "password": pw, "confirm": confirm})
        assert response.status_code == 400
    assert _user_rows(app) == []


def test_login_and_logout(app, client, user):
    response = login(client, "ADA")                   # names ignore case
    assert response.status_code == 302 and response.location == "/"
    assert _nav_user(client) == "ada"
    assert client.get("/account").status_code == 200
    response = post(client, "/logout")
    assert response.status_code == 302
    assert _nav_user(client) is None
    response = client.get("/account")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_wrong_password_is_refused(app, client, user):
    response = login(client, "ada", "not the password")
    assert response.status_code == 401
    assert "Wrong username or password" in BeautifulSoup(response.data, "html.parser").get_text()
    assert _nav_user(client) is None
    assert login(client, "nobody", PASSWORD).status_code == 401


def test_posts_without_a_csrf_token_are_rejected(app, client, user):
    response = client.post("/login", data={"username": "ada", "password": PASSWORD})
    assert response.status_code == 400
    assert _nav_user(client) is None
    login(client, "ada")
    assert client.post("/logout").status_code == 400
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 400
    assert len(_user_rows(app)) == 1
    assert _nav_user(client) == "ada"
    # a token from another session is no good either
    other = app.test_client()
    stolen = csrf_token(other)
    assert client.post("/logout", data={"csrf_token": stolen}).status_code == 400


def test_next_goes_only_to_local_paths(app, client, user):
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                 "http:/evil.example", " //evil.example"):
        client.get("/")
        response = post(client, "/login", {"username": "ada", "password": PASSWORD, "next": evil})
        assert response.status_code == 302
        assert response.location == "/", evil
        post(client, "/logout")
    response = post(client, "/login", {"username": "ada", "password": PASSWORD,
                                       "next": "/paper/2401.00001?x=1"})
    assert response.location == "/paper/2401.00001?x=1"


def test_login_page_carries_next_into_the_form(client, user):
    soup = BeautifulSoup(client.get("/login?next=/account").data, "html.parser")
    assert soup.select_one("input[name=next]")["value"] == "/account"


def test_rate_limit_trips_after_five_failures_for_one_account_from_one_address(app, client, user):
    for _ in range(5):
        assert login(client, "ada", "wrong password").status_code == 401
    # this address is refused even the right password now...
    assert login(client, "ada").status_code == 429
    # ...but the owner, from another address, still gets in: no lockout by a stranger
    other = app.test_client()
    response = other.post("/login", data={"username": "ada", "password": PASSWORD,
                                          "csrf_token": csrf_token(other)},
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302
    # another account is unaffected
    make_user(app, "grace")
    assert login(client, "grace").status_code == 302


def test_rate_limit_per_address(app, client, user):
    for i in range(20):
        assert login(client, f"user{i}", "wrong password").status_code == 401
    assert login(client, "ada").status_code == 429


def test_successful_logins_do_not_count(app, client, user):
    for _ in range(8):
        assert login(client, "ada").status_code == 302
        post(client, "/logout")


def test_change_password_ends_other_sessions(app, client, user):
    other = app.test_client()
    login(other, "ada")
    login(client, "ada")
    response = post(client, "/account/password", {"current": PASSWORD, "password": "a new password",
                                                  "confirm": "a new password"})
    assert response.status_code == 302 and response.location == "/account"
    assert client.get("/account").status_code == 200          # this session goes on
    assert other.get("/account").status_code == 302           # the other one is logged out
    post(client, "/logout")
    assert login(client, "ada", PASSWORD).status_code == 401
    assert login(client, "ada", "a new password").status_code == 302


def test_change_password_needs_the_current_one(app, client, user):
    login(client, "ada")
    response = post(client, "/account/password", {"current": "wrong one!", "password": "a new password",
                                                  "confirm": "a new password"})
    assert response.status_code == 401
    post(client, "/logout")
    assert login(client, "ada").status_code == 302


def test_delete_account_removes_user_and_data(app, client, user):
    from tests.factories import add_papers, record
    from tests.helpers.accounts import post_json

    add_papers(app.extensions["papersift.engine"], record(id="2401.00001"))
    login(client, "ada")
    assert post_json(client, "/library/papers/2401.00001/add").status_code == 200
    assert post(client, "/account/delete", {"password": "wrong one!"}).status_code == 401
    response = post(client, "/account/delete", {"password": PASSWORD})
    assert response.status_code == 302 and response.location == "/"
    assert _user_rows(app) == []
    with app.extensions["papersift.engine"].connect() as conn:
        assert find_user(conn, "ada") is None
        assert conn.exec_driver_sql("select count(*) from library").scalar() == 0
    assert _nav_user(client) is None


def test_session_cookie_flags(app, client, user):
    response = login(client, "ada")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_secure_over_https(make_app):
    secure_app = make_app(base_url="https://papers.example.org")
    assert secure_app.config["SESSION_COOKIE_SECURE"] is True
    assert secure_app.config["REMEMBER_COOKIE_SECURE"] is True


def test_api_asks_for_login_with_json_401(client):
    response = client.get("/api/library")
    assert response.status_code == 401
    assert response.get_json()["status"] == 401


def test_logout_also_ends_a_remembered_login(app, client, user):
    token = csrf_token(client)
    response = client.post("/login", data={"username": "ada", "password": PASSWORD, "remember": "y",
                                           "csrf_token": token})
    assert response.status_code == 302 and client.get_cookie("remember_token") is not None
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get_cookie("remember_token") is None
    assert client.get("/account").status_code == 302                 # to the login page
    client.delete_cookie("session")                                   # a browser restart
    assert client.get("/account").status_code == 302
