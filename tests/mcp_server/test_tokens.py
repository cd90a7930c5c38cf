"""MCP access tokens: a login kept on the server, signed; they age out and end with the login."""

from __future__ import annotations

import time
from dataclasses import replace

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from mcp_server.adapter import login_identity
from mcp_server.tokens import DAY, SALT, issue_token, token_user_id


def token_from_days_ago(key: str, identity: str, days: int) -> str:
    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - days * DAY

    return URLSafeTimedSerializer(key, salt=SALT, signer=Then).dumps(identity)


def check(app, token: str, **settings) -> int | None:
    with app.app_context():
        chosen = replace(app.config["SETTINGS"], **settings)
        return token_user_id(app.config["SECRET_KEY"], chosen, token)


def bob_id(app) -> int:
    from store.users import find_user
    from web import db

    with app.app_context():
        return find_user(db.get_db(), "bob").id


def test_a_token_names_its_user_until_it_is_too_old(mcp_app):
    key = mcp_app.config["SECRET_KEY"]
    with mcp_app.app_context():
        identity = login_identity("bob", 0)                          # 0: the login lasts ten years
    assert identity is not None
    assert check(mcp_app, issue_token(key, identity)) == bob_id(mcp_app)
    old = token_from_days_ago(key, identity, 100)
    assert check(mcp_app, old, mcp_token_days=90) is None
    assert check(mcp_app, old, mcp_token_days=101) == bob_id(mcp_app)
    assert check(mcp_app, old, mcp_token_days=0) == bob_id(mcp_app)   # 0: no age limit


def test_the_login_behind_a_token_ends_as_the_sites_do(mcp_app):
    from store.sessions import end_user_sessions, session_user
    from store.users import find_user
    from web import db

    key = mcp_app.config["SECRET_KEY"]
    with mcp_app.app_context():
        identity = login_identity("bob", 30)
        assert session_user(db.get_db(), identity).username == "bob"     # a login like the site's
    token = issue_token(key, identity)
    assert check(mcp_app, token) == bob_id(mcp_app)
    with db.transaction(mcp_app.extensions["papersift.engine"]) as conn:
        end_user_sessions(conn, find_user(conn, "bob").id)                # "log out everywhere"
    assert check(mcp_app, token) is None


def test_tokens_that_do_not_name_a_current_login_are_refused(mcp_app):
    key = mcp_app.config["SECRET_KEY"]
    with mcp_app.app_context():
        identity = login_identity("bob", 30)
        assert login_identity("nobody", 30) is None
    user_id = bob_id(mcp_app)
    for payload in (12, ["x"], f"{user_id}:0000000000000000", identity + "x", "99999:x", ""):
        assert check(mcp_app, issue_token(key, payload)) is None, payload   # type: ignore[arg-type]
    assert check(mcp_app, issue_token(key + "x", identity)) is None
    assert check(mcp_app, "not a token at all") is None
