"""MCP access tokens: the site's login identity, signed; they age out and die with the password."""

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


def test_a_token_names_its_user_until_it_is_too_old(mcp_app):
    key = mcp_app.config["SECRET_KEY"]
    with mcp_app.app_context():
        identity = login_identity("bob")
    assert identity is not None
    bob_id = int(identity.split(":")[0])
    assert check(mcp_app, issue_token(key, identity)) == bob_id
    old = token_from_days_ago(key, identity, 100)
    assert check(mcp_app, old, mcp_token_days=90) is None
    assert check(mcp_app, old, mcp_token_days=101) == bob_id
    assert check(mcp_app, old, mcp_token_days=0) == bob_id          # 0: no age limit


def test_tokens_that_do_not_name_a_current_login_are_refused(mcp_app):
    key = mcp_app.config["SECRET_KEY"]
    with mcp_app.app_context():
        identity = login_identity("bob")
        assert login_identity("nobody") is None
    user_id = identity.split(":")[0]
    for payload in (12, ["x"], f"{user_id}:0000000000000000", "abc:def", "99999:x", ""):
        assert check(mcp_app, issue_token(key, payload)) is None, payload   # type: ignore[arg-type]
    assert check(mcp_app, issue_token(key + "x", identity)) is None
    assert check(mcp_app, "not a token at all") is None
