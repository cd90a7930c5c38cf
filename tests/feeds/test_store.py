"""Store rules for saved searches, feed tokens and digest records."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from store import feeds as feed_store
from store import utcnow
from store.schema import digest_sent, digest_settings, saved_searches
from store.users import create_user, delete_user
from tests.factories import add_papers, record


def test_deleting_a_user_deletes_their_feeds_state(engine):
    add_papers(engine, record(id="2401.99001"))
    with engine.begin() as conn:
        user = create_user(conn, "ada", "correct horse battery")
        feed_store.save_search(conn, user.id, "graph networks")
        feed_store.set_digest_settings(conn, user.id, frequency="daily", email="ada@example.org",
                                       library=True)
        feed_store.record_sent(conn, user.id, ["2401.99001"], utcnow())
        assert delete_user(conn, user.id)
        for table in (saved_searches, digest_settings, digest_sent):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_saved_search_limits_and_tokens(engine):
    with engine.begin() as conn:
        user = create_user(conn, "ada", "correct horse battery")
        with pytest.raises(feed_store.FeedError, match="at most 1000"):
            feed_store.save_search(conn, user.id, "x" * 1001)
        with pytest.raises(feed_store.FeedError, match="control characters"):
            feed_store.save_search(conn, user.id, "graph", name="bad\x00name")
        for i in range(feed_store.MAX_SAVED):
            feed_store.save_search(conn, user.id, f"query {i}")
        with pytest.raises(feed_store.FeedError, match="at most 100 saved searches"):
            feed_store.save_search(conn, user.id, "one more")
        assert feed_store.user_for_feed_token(conn, "") is None
        token = feed_store.regenerate_feed_token(conn, user.id)
        assert len(token) >= 32 and feed_store.user_for_feed_token(conn, token) == (user.id, "ada")
        feed_store.revoke_feed_token(conn, user.id)
        assert feed_store.user_for_feed_token(conn, token) is None
