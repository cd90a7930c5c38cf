"""Access tokens for the MCP server over HTTP: the site's login identity, as a bearer token.

A token carries a login kept on the server (store.sessions, as the site's own logins),
signed with the site's SECRET_KEY (itsdangerous, as Flask signs its session cookie) and
checked by the same `web.auth.load_user` a session is. So a token works exactly as long as
that login: "log out everywhere", changing the password or deleting the account ends it,
and so does rotating SECRET_KEY. PAPERSIFT_MCP_TOKEN_DAYS bounds its age.
"""

from __future__ import annotations

from itsdangerous import BadData, URLSafeTimedSerializer

from config import Settings
from mcp_server import adapter

SALT = "papersift.mcp-token"
DAY = 24 * 3600


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def issue_token(secret_key: str, login_identity: str) -> str:
    """A token for the login identity `adapter.login_identity` gives."""
    return _serializer(secret_key).dumps(login_identity)


def token_user_id(secret_key: str, settings: Settings, token: str) -> int | None:
    """The id of the user a valid, current token names; None for anything else.

    Needs an app context: the session identity is checked by the site's own user loader.
    """
    max_age = settings.mcp_token_days * DAY or None
    try:
        session_id = _serializer(secret_key).loads(token, max_age=max_age)
    except BadData:
        return None
    if not isinstance(session_id, str):
        return None
    return adapter.user_id_by_login_identity(session_id)
