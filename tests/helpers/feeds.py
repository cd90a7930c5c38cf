"""Feeds and digests in tests: users subscribed to digests, and the SMTP settings and digests they get."""

from __future__ import annotations

import dataclasses

from store import feeds as feed_store
from store import library as lib
from store.users import confirm_email, find_user
from tests.helpers.accounts import make_user

LIBRARY = ["2405.00000", "2405.00001", "2405.00002"]      # three rl papers, tagged "rl"
REFUSED = "refused@example.org"


def engine_of(app):
    return app.extensions["papersift.engine"]


def subscribe(app, name: str, email: str, *, frequency: str = "weekly", library: bool = True,
              tags: tuple[str, ...] = (), searches: tuple[str, ...] = (), confirmed: bool = True):
    """Create a user with the rl library, saved searches and digest settings, whose address
    is confirmed (as after following the confirmation link) unless `confirmed` is False."""
    user = make_user(app, name)
    with engine_of(app).begin() as conn:
        lib.add_to_library(conn, user.id, LIBRARY)
        for pid in LIBRARY:
            lib.tag_paper(conn, user.id, pid, "rl")
        tag_ids = [t.id for t in lib.user_tags(conn, user.id) if t.name in tags]
        search_ids = [feed_store.save_search(conn, user.id, q, category=cat)[0].id
                      for q, cat in (s.split("|") for s in searches)]
        feed_store.set_digest_settings(conn, user.id, frequency=frequency, email=email, library=library,
                                       tag_ids=tag_ids, search_ids=search_ids)
        if confirmed:
            confirm_email(conn, user.id, email)
    return user


def digest_of(app, name: str = "ada"):
    with engine_of(app).connect() as conn:
        return feed_store.get_digest_settings(conn, find_user(conn, name).id)


def smtp_settings(app, server):
    return dataclasses.replace(app.config["SETTINGS"], smtp_host="127.0.0.1", smtp_port=server.port)
