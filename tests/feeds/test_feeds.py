"""Feeds parse back with feedparser, hold the expected papers, and private ones obey their token."""

from __future__ import annotations

import feedparser
import pytest

from store import feeds as feed_store
from store.users import find_user
from tests.factories import add_papers, record
from tests.helpers.accounts import post
from tests.helpers.feeds import LIBRARY, engine_of


def parsed(response):
    assert response.status_code == 200, response.data[:300]
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def entry_ids(feed) -> list[str]:
    return [e.link.rsplit("/paper/", 1)[1] for e in feed.entries]


def token_of(app, name: str = "ada") -> str:
    with engine_of(app).begin() as conn:
        user = find_user(conn, name)
        return feed_store.feed_token(conn, user.id) or feed_store.regenerate_feed_token(conn, user.id)


@pytest.mark.parametrize("suffix, version", [("", "atom10"), (".rss", "rss20"), ("?format=rss", "rss20")])
def test_category_feed_lists_newest_papers_of_the_category(feeds_app, suffix, version):
    feed = parsed(feeds_app.test_client().get(f"/feed/category/cs.CV{suffix}"))
    assert feed.version == version
    ids = entry_ids(feed)
    assert len(ids) == 20 and all(i[5] in "13" for i in ids)     # topics 1 and 3 are cs.CV
    dates = [e.published_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    assert feed.feed.title == "papersift: new in cs.CV"
    assert feed.feed.link == "https://papers.example.org/?cat=cs.CV&show=new"
    assert feed.entries[0].link.startswith("https://papers.example.org/paper/")


def test_category_feed_escapes_markup_and_keeps_it_as_text(feeds_app):
    add_papers(engine_of(feeds_app), record(
        id="2406.00001", title="Bounds for <script>alert(1)</script> & friends", categories=["cs.DS"],
        abstract="When x < y & y > z the <b>bold</b> claim holds."))
    for suffix in ("", ".rss"):
        feed = parsed(feeds_app.test_client().get(f"/feed/category/cs.DS{suffix}"))
        assert [e.title for e in feed.entries] == ["Bounds for <script>alert(1)</script> & friends"]
        assert "x < y & y > z the <b>bold</b>" in feed.entries[0].summary


def test_unknown_category_is_an_empty_feed_and_junk_is_404(feeds_app):
    client = feeds_app.test_client()
    assert parsed(client.get("/feed/category/math.AG")).entries == []
    assert client.get("/feed/category/..%3Cx%3E").status_code == 404
    assert client.get("/feed/category/cs.CV?format=pdf").status_code == 404


def test_recommendation_feed_holds_the_users_recommendations(feeds_app, ada):
    token = token_of(feeds_app)
    client = feeds_app.test_client()                       # a feed reader: no session
    for suffix in ("", ".rss"):
        feed = parsed(client.get(f"/feed/u/{token}/recommendations{suffix}"))
        ids = entry_ids(feed)
        assert ids and not set(ids) & set(LIBRARY)
        assert set(ids[:5]) <= {f"2405.0{i:04d}" for i in range(10)}   # the rest of the rl topic first
        assert "ada" in feed.feed.title


def test_tag_feed_and_other_users_tags(feeds_app, ada):
    token = token_of(feeds_app)
    with engine_of(feeds_app).begin() as conn:
        from store.library import user_tags
        tag = user_tags(conn, find_user(conn, "ada").id)[0]
    client = feeds_app.test_client()
    feed = parsed(client.get(f"/feed/u/{token}/tag/{tag.id}.rss"))
    assert set(entry_ids(feed)[:5]) <= {f"2405.0{i:04d}" for i in range(10)}
    assert client.get(f"/feed/u/{token}/tag/{tag.id + 100}").status_code == 404
    assert client.get(f"/feed/u/{token}/tag/{'9' * 40}").status_code == 404


def test_saved_search_feed_holds_matching_papers_newest_first(feeds_app, ada):
    response = post(ada, "/saved-searches", {"q": "segmentation", "cat": "cs.CV", "name": "Seg"})
    assert response.status_code == 302
    token = token_of(feeds_app)
    with engine_of(feeds_app).begin() as conn:
        (saved,) = feed_store.list_saved_searches(conn, find_user(conn, "ada").id)
    feed = parsed(feeds_app.test_client().get(f"/feed/u/{token}/search/{saved.id}"))
    ids = entry_ids(feed)
    assert sorted(ids) == sorted(f"2405.1{i:04d}" for i in range(10))   # every segmentation paper
    assert all("egmentation" in e.title + e.summary for e in feed.entries)
    dates = [e.published_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    assert feed.feed.title == "papersift: Seg"


def test_unknown_revoked_and_regenerated_tokens(feeds_app, ada):
    client = feeds_app.test_client()
    assert client.get("/feed/u/not-a-token/recommendations").status_code == 404
    old = token_of(feeds_app)
    assert client.get(f"/feed/u/{old}/recommendations").status_code == 200

    assert post(ada, "/account/feeds/token").status_code == 302            # regenerate
    new = token_of(feeds_app)
    assert new != old
    assert client.get(f"/feed/u/{old}/recommendations").status_code == 404
    assert client.get(f"/feed/u/{new}/recommendations.rss").status_code == 200

    assert post(ada, "/account/feeds/revoke").status_code == 302
    with engine_of(feeds_app).begin() as conn:
        assert feed_store.feed_token(conn, find_user(conn, "ada").id) is None
    assert client.get(f"/feed/u/{new}/recommendations").status_code == 404
    assert client.get(f"/feed/u/{new}/search/1").status_code == 404


def test_a_token_does_not_open_another_users_saved_search(feeds_app, ada):
    post(ada, "/saved-searches", {"q": "segmentation"})
    from tests.helpers.accounts import make_user
    bob = make_user(feeds_app, "bob")
    with engine_of(feeds_app).begin() as conn:
        bob_token = feed_store.regenerate_feed_token(conn, bob.id)
        (saved,) = feed_store.list_saved_searches(conn, find_user(conn, "ada").id)
    assert feeds_app.test_client().get(f"/feed/u/{bob_token}/search/{saved.id}").status_code == 404
