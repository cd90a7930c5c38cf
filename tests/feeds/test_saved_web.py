"""Saving searches from the search page; saved searches, feed links and digest settings on the account."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup

from store import feeds as feed_store
from store.users import find_user
from tests.helpers.accounts import login, make_user, post
from tests.helpers.feeds import digest_of, engine_of


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def saved_of(app, name: str = "ada") -> list:
    with engine_of(app).connect() as conn:
        return feed_store.list_saved_searches(conn, find_user(conn, name).id)


def test_search_page_offers_saving_only_to_logged_in_users(feeds_app, ada):
    form = soup_of(ada.get("/search?q=segmentation&cat=cs.CV")).select_one("form.save-search")
    assert form is not None and form["action"] == "/saved-searches"
    fields = {i["name"]: i.get("value") for i in form.select("input[type=hidden]")}
    assert fields["q"] == "segmentation" and fields["cat"] == "cs.CV" and fields["csrf_token"]
    assert soup_of(ada.get("/search")).select_one("form.save-search") is None        # no query
    anonymous = feeds_app.test_client()
    assert soup_of(anonymous.get("/search?q=segmentation")).select_one("form.save-search") is None


def test_saving_a_search_stores_it_once_and_returns_to_it(feeds_app, ada):
    data = {"q": "semantic  segmentation", "cat": "cs.CV", "window": "month", "sort": "date", "name": ""}
    response = post(ada, "/saved-searches", data)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/search" and parse_qs(target.query) == {
        "q": ["semantic segmentation"], "cat": ["cs.CV"], "window": ["month"], "sort": ["date"]}
    assert post(ada, "/saved-searches", data).status_code == 302                      # same again
    (saved,) = saved_of(feeds_app)
    assert (saved.query, saved.name, saved.category, saved.window, saved.sort, saved.in_digest) == (
        "semantic segmentation", "semantic segmentation", "cs.CV", "month", "date", True)
    page = ada.get(response.headers["Location"], follow_redirects=True)
    assert "You had saved this search" in page.get_data(as_text=True)


def test_bad_saves_are_refused_with_a_message(feeds_app, ada):
    for data, message in (({"q": "x", "window": "fortnight"}, "window must be one of"),
                          ({"q": "   "}, "The query is empty.")):
        response = post(ada, "/saved-searches", data)
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/search"
        page = ada.get(response.headers["Location"])
        assert page.status_code == 200
        assert message in soup_of(page).select_one(".flash-error").get_text()
    assert saved_of(feeds_app) == []
    assert ada.post("/saved-searches", data={"q": "segmentation"}).status_code == 400    # no CSRF token
    anonymous = feeds_app.test_client()
    response = post(anonymous, "/saved-searches", {"q": "segmentation"})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert saved_of(feeds_app) == []


def test_account_page_lists_searches_with_feed_links_and_deletes_them(feeds_app, ada):
    post(ada, "/saved-searches", {"q": "segmentation", "name": "Seg <b>masks</b>"})
    (saved,) = saved_of(feeds_app)
    section = soup_of(ada.get("/account")).select_one("#feeds")
    item = section.select_one(f"li.saved-search[data-search-id='{saved.id}']")
    assert item.a.get_text() == "Seg <b>masks</b>" and item.select_one("b") is None   # escaped
    assert item.select("a.feed-link") == []                        # no feed links before a token
    post(ada, "/account/feeds/token")
    section = soup_of(ada.get("/account")).select_one("#feeds")
    links = [a["href"] for a in section.select("a.feed-link")]
    with engine_of(feeds_app).connect() as conn:
        token = feed_store.feed_token(conn, find_user(conn, "ada").id)
    assert f"https://papers.example.org/feed/u/{token}/search/{saved.id}" in links
    assert f"https://papers.example.org/feed/u/{token}/recommendations" in links
    assert feeds_app.test_client().get(urlsplit(links[0]).path).status_code == 200

    make_user(feeds_app, "bob")
    bob = feeds_app.test_client()
    login(bob, "bob")
    assert post(bob, f"/saved-searches/{saved.id}/delete").status_code == 302
    assert len(saved_of(feeds_app)) == 1                            # not bob's to delete
    response = post(ada, f"/saved-searches/{saved.id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account#feeds")
    assert saved_of(feeds_app) == []


def test_digest_settings_form(feeds_app, ada):
    post(ada, "/saved-searches", {"q": "segmentation"})
    (saved,) = saved_of(feeds_app)
    rl = digest_of(feeds_app)
    form = soup_of(ada.get("/account")).select_one("form.digest-form")
    tag_id = int(form.select_one("input[name=tag]")["value"])
    response = post(ada, "/account/digest", {"frequency": "weekly", "email": "ada@example.org",
                                              "tag": [str(tag_id), "999"], "search": []})
    assert response.status_code == 302
    got = digest_of(feeds_app)
    assert (got.frequency, got.email, got.library, got.tag_ids) == ("weekly", "ada@example.org", False,
                                                                      frozenset({tag_id}))
    assert saved_of(feeds_app)[0].in_digest is False and rl.frequency == "off"

    for bad, message in (({"frequency": "daily", "email": ""}, "Give an email address"),
                         ({"frequency": "daily", "email": "not an address"}, "is not an email address"),
                         ({"frequency": "hourly", "email": "ada@example.org"}, "How often must be")):
        response = post(ada, "/account/digest", bad)
        assert response.status_code == 302
        assert message in soup_of(ada.get(response.headers["Location"])).select_one(".flash-error").get_text()
        assert digest_of(feeds_app).frequency == "weekly"           # unchanged
    assert post(ada, "/account/digest", {"frequency": "off", "email": "", "search": [str(saved.id)]}
                ).status_code == 302
    assert digest_of(feeds_app).frequency == "off" and saved_of(feeds_app)[0].in_digest
