"""Following authors, seen marks and the not-interested review, as users meet them: author
pages, follow/unfollow, the Following list and its feed, the digest section, papers leaving
recommendations once seen, and one user's follows and marks invisible to another."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from bs4 import BeautifulSoup

from recommend.index import load_index
from services.digest import compose
from services.recommendations import RecoQuery, TrainingSets, train_ranking, training_sets
from store import feeds as feed_store
from store import seen as seen_store
from store.feeds import DigestSettings
from store.schema import follows, seen
from store.users import delete_user
from tests.factories import add_papers, record
from tests.helpers.accounts import login, make_user, post, post_json
from tests.helpers.recommend_web import rebuild

RL = [f"2405.0{i:04d}" for i in range(10)]
SEG = [f"2405.1{i:04d}" for i in range(10)]
HINTON = {"2406.00001": ("Geoffrey Hinton", "Yann LeCun"), "2406.00002": ("Geoffrey E. Hinton", "Yann LeCun"),
          "2406.00003": ("Ada Lovelace", "Geoffrey Hinton"), "2406.00004": ("Graham Hinton", "Alan Turing"),
          "2406.00005": ("G. E. Hinton", "Yann LeCun"), "2406.00006": ("Jörg Müller",)}


def _soup(response):
    return BeautifulSoup(response.data, "html.parser")


def _engine(app):
    return app.extensions["papersift.engine"]


def _add_authors(app):
    add_papers(_engine(app), *[record(id=pid, authors=list(names), title=f"Capsules part {pid[-1]}",
                                      published=datetime(2024, 5, 20 + int(pid[-1])))
                               for pid, names in HINTON.items()])


def _api(client, query=""):
    response = client.get(f"/api/recommendations{query}")
    assert response.status_code == 200
    return [p["id"] for p in response.get_json()["papers"]]


def _save(client, ids):
    for pid in ids:
        assert post_json(client, f"/library/papers/{pid}/add").status_code == 200


# -- authors ------------------------------------------------------------------------


def test_author_page_lists_papers_newest_first_with_coauthors(reco_app, ada):
    _add_authors(reco_app)
    soup = _soup(ada.get("/author?name=Geoffrey+Hinton"))
    ids = [c["data-paper-id"] for c in soup.select(".paper-card")]
    # Geoffrey and Geoffrey E.; not Graham, and not "G. E." (its initial fits Graham too)
    assert ids == ["2406.00003", "2406.00002", "2406.00001"]
    coauthors = [(li.a.get_text(), li.select_one(".count").get_text()) for li in soup.select(".coauthors li")]
    assert coauthors[0] == ("Yann LeCun", "2")
    data = ada.get("/api/author?name=Hinton,+Geoffrey").get_json()
    assert [p["id"] for p in data["papers"]] == ids and data["ambiguous"] is False


def test_ambiguous_names_are_shown_not_guessed(reco_app, ada):
    _add_authors(reco_app)
    soup = _soup(ada.get("/author?name=G.+Hinton"))
    people = [a.get_text() for a in soup.select(".author-ambiguous a")]
    assert people == ["Geoffrey Hinton", "Graham Hinton"] and not soup.select(".paper-card")
    refused = post(ada, "/author/follow", {"name": "G. Hinton"})
    assert refused.status_code == 302
    with _engine(reco_app).connect() as conn:
        assert conn.execute(follows.select()).all() == []
    # accents and initials: "J. Muller" is Jörg Müller, the only Müller in the store
    assert [p["id"] for p in ada.get("/api/author?name=J.+Müller").get_json()["papers"]] == ["2406.00006"]
    assert ada.get("/author?name=%20").status_code == 400


def test_follow_unfollow_and_the_following_view_are_per_user(reco_app, ada):
    _add_authors(reco_app)
    assert post(ada, "/author/follow", {"name": "Geoffrey Hinton"}).status_code == 302
    assert post(ada, "/author/follow", {"name": "geoffrey hinton"}).status_code == 302   # no duplicate
    soup = _soup(ada.get("/following"))
    assert [a.get_text() for a in soup.select(".follows li > a")] == ["Geoffrey Hinton"]
    ids = [c["data-paper-id"] for c in soup.select(".paper-card")]
    assert ids == ["2406.00003", "2406.00002", "2406.00001"]
    assert "By Geoffrey Hinton" in soup.select_one(".paper-card .card-note").get_text()
    author = _soup(ada.get("/author?name=Geoffrey+Hinton"))
    assert author.select_one(".follow-button")["aria-pressed"] == "true"
    # bob sees none of it
    make_user(reco_app, "bob")
    bob = reco_app.test_client()
    login(bob, "bob")
    assert bob.get("/api/following").get_json()["follows"] == []
    button = _soup(bob.get("/author?name=Geoffrey+Hinton")).select_one(".follow-button")
    assert button["aria-pressed"] == "false"
    post(bob, "/author/unfollow", {"name": "Geoffrey Hinton"})           # cannot touch ada's follow
    assert ada.get("/api/following").get_json()["follows"] == ["Geoffrey Hinton"]
    post(ada, "/author/unfollow", {"name": "Geoffrey Hinton"})
    assert ada.get("/api/following").get_json()["follows"] == []


def test_a_new_paper_by_a_followed_author_shows_at_once(reco_app, ada):
    """Each follow's papers are kept between views, until the store's papers change."""
    _add_authors(reco_app)
    post(ada, "/author/follow", {"name": "Geoffrey Hinton"})
    first = [c["data-paper-id"] for c in _soup(ada.get("/following")).select(".paper-card")]
    assert first == ["2406.00003", "2406.00002", "2406.00001"]
    assert [c["data-paper-id"] for c in _soup(ada.get("/following")).select(".paper-card")] == first
    add_papers(_engine(reco_app), record(id="2406.00009", authors=["Geoffrey Hinton"],
                                         title="Forward-forward", published=datetime(2024, 7, 1)))
    again = [c["data-paper-id"] for c in _soup(ada.get("/following")).select(".paper-card")]
    assert again == ["2406.00009", *first]


def test_an_author_taken_off_a_paper_leaves_the_following_page_at_once(reco_app, ada):
    _add_authors(reco_app)
    post(ada, "/author/follow", {"name": "Geoffrey Hinton"})
    assert "2406.00003" in [c["data-paper-id"] for c in _soup(ada.get("/following")).select(".paper-card")]
    add_papers(_engine(reco_app), record(id="2406.00003", authors=["Ada Lovelace"], title="Capsules part 3",
                                         published=datetime(2024, 5, 23)))        # a corrected list
    cards = [c["data-paper-id"] for c in _soup(ada.get("/following")).select(".paper-card")]
    assert cards == ["2406.00002", "2406.00001"]


def test_following_feed_and_digest_section(reco_app, ada):
    _add_authors(reco_app)
    post(ada, "/author/follow", {"name": "Geoffrey Hinton"})
    engine = _engine(reco_app)
    with engine.begin() as conn:
        token = feed_store.regenerate_feed_token(conn, 1)
    feed = ada.get(f"/feed/u/{token}/following")
    assert feed.status_code == 200 and feed.content_type.startswith("application/atom+xml")
    titles = [t.get_text() for t in BeautifulSoup(feed.data, "xml").select("entry > title")]
    assert titles == ["Capsules part 3", "Capsules part 2", "Capsules part 1"]
    assert reco_app.test_client().get(f"/feed/u/{token}/following.rss").content_type.startswith(
        "application/rss+xml")
    assert reco_app.test_client().get("/feed/u/not-a-token/following").status_code == 404
    settings = reco_app.config["SETTINGS"]
    with engine.begin() as conn:
        seen_store.mark_seen(conn, 1, ["2406.00003"])
        digest = compose(conn, load_index(settings.index_dir), settings,
                         DigestSettings(1, "ada", "ada@example.org", "weekly", library=False))
    [section] = digest.sections
    assert section.title == "New from authors you follow"
    assert [p.id for p in section.papers] == ["2406.00002", "2406.00001"]    # seen one left out


# -- seen ---------------------------------------------------------------------------


def test_opened_papers_leave_recommendations_and_can_be_shown_again(reco_app, ada):
    _save(ada, RL[:3])
    first = _api(ada, "?n=10")[0]
    assert ada.get(f"/paper/{first}").status_code == 200          # opening marks it seen
    assert first not in _api(ada, "?n=40")
    shown = _api(ada, "?n=40&seen=show")
    assert first in shown
    soup = _soup(ada.get("/recommend?seen=show&n=40"))
    card = soup.select_one(f'.paper-card[data-paper-id="{first}"]')
    assert card.select_one(".badge-seen")


def test_mark_all_on_this_page_as_seen(reco_app, ada):
    _save(ada, RL[:3])
    soup = _soup(ada.get("/recommend"))
    form = soup.select_one("form.mark-page-seen")
    on_page = [c["data-paper-id"] for c in soup.select(".reco-cards .paper-card")]
    marked = [i["value"] for i in form.select("input[name=paper_id]")]
    assert marked == on_page and len(on_page) == 25
    response = post(ada, form["action"], {"paper_id": marked, "how": "page", "next": "/recommend"})
    assert response.status_code == 302 and response.location == "/recommend"
    after = _api(ada, "?n=50")
    assert after and not set(after) & set(marked)
    # undo by hand
    post_json(ada, "/seen/unmark", {"ids": marked[:1]})
    assert marked[0] in _api(ada, "?n=50")


def test_seen_marks_are_invisible_to_other_users(reco_app, ada):
    _save(ada, RL[:3])
    make_user(reco_app, "bob")
    bob = reco_app.test_client()
    login(bob, "bob")
    _save(bob, RL[:3])
    top = _api(ada, "?n=5")
    post_json(bob, "/seen/mark", {"ids": top})
    assert _api(ada, "?n=5") == top                                # ada's recommendations unchanged
    assert not set(_api(bob, "?n=5")) & set(top)
    soup = _soup(ada.get("/recommend?n=5"))
    assert not soup.select(".badge-seen")
    with _engine(reco_app).begin() as conn:
        assert seen_store.seen_ids(conn, 1) == set()
        delete_user(conn, 2)
        assert conn.execute(seen.select()).all() == []


def test_opening_papers_marks_nothing_when_the_setting_is_off(make_app):
    app = make_app(mark_seen_auto=False)
    add_papers(_engine(app), record(id="2407.00001"))
    make_user(app, "ada")
    client = app.test_client()
    login(client, "ada")
    client.get("/paper/2407.00001")
    with _engine(app).connect() as conn:
        assert seen_store.seen_ids(conn, 1) == set()
    post(client, "/seen/mark", {"paper_id": ["2407.00001", "9999.99999"]})
    with _engine(app).connect() as conn:
        assert seen_store.seen_ids(conn, 1) == {"2407.00001"}
    _engine(app).dispose()


# -- not interested -----------------------------------------------------------------


def test_not_interested_is_an_svm_negative_and_can_be_reviewed_and_undone(reco_app, ada):
    _save(ada, RL[:3] + SEG[:3])
    post_json(ada, f"/library/papers/{SEG[5]}/not-interested")
    with _engine(reco_app).connect() as conn:
        sets = training_sets(conn, 1, RecoQuery())
    assert sets.hard_negatives == (SEG[5],)
    index = load_index(reco_app.config["SETTINGS"].index_dir)
    settings = reco_app.config["SETTINGS"]
    without = train_ranking(index, TrainingSets(sets.positives, (), sets.excluded), settings, None)
    learned = train_ranking(index, sets, settings, None)
    near = [index.row(p) for p in SEG[6:]]          # papers like the dismissed one score lower
    assert np.all(learned.scores[near] < without.scores[near])
    soup = _soup(ada.get("/library/not-interested"))
    assert [c["data-paper-id"] for c in soup.select(".not-interested-list .paper-card")] == [SEG[5]]
    assert [p["id"] for p in ada.get("/api/not-interested").get_json()["papers"]] == [SEG[5]]
    undo = soup.select_one(".not-interested-list .lib-dismiss")
    assert undo.select_one("input[name=undo]")["value"] == "1"
    post(ada, undo["action"], {"undo": "1"})
    assert not _soup(ada.get("/library/not-interested")).select(".paper-card")
    assert ada.get("/api/not-interested").get_json()["count"] == 0
    rebuild(reco_app)


def test_following_hides_seen_papers_and_marks_a_page_seen(reco_app, ada):
    _add_authors(reco_app)
    post(ada, "/author/follow", {"name": "Geoffrey Hinton"})
    ada.get("/paper/2406.00003")                                    # opened: seen
    soup = _soup(ada.get("/following"))
    assert [c["data-paper-id"] for c in soup.select(".paper-card")] == ["2406.00002", "2406.00001"]
    assert "1 seen and hidden" in soup.select_one(".library-count").get_text()
    form = soup.select_one("form.mark-page-seen")
    post(ada, form["action"], {"paper_id": [i["value"] for i in form.select("input[name=paper_id]")],
                               "how": "page", "next": "/following"})
    assert not _soup(ada.get("/following")).select(".paper-card")
    shown = ada.get("/api/following?seen=show").get_json()
    assert [p["id"] for p in shown["papers"]] == ["2406.00003", "2406.00002", "2406.00001"]
    assert shown["papers"][0]["followed_authors"] == ["Geoffrey Hinton"]


def test_author_pages_escape_hostile_names_and_follow_answers_json(reco_app, ada):
    _add_authors(reco_app)
    hostile = '<script>alert("x")</script> Hinton'
    response = ada.get("/author", query_string={"name": hostile})
    assert response.status_code == 200 and b"<script>alert" not in response.data
    answer = post_json(ada, "/author/follow", {"name": "G. Müller"})
    assert answer.status_code == 400 and "No papers by" in answer.get_json()["error"]
    answer = post_json(ada, "/author/follow", {"name": "J. Müller"})
    assert answer.get_json() == {"following": True, "name": "Jörg Müller"}


def test_code_badges_filter_and_json(reco_app, ada):
    add_papers(_engine(reco_app), record(id="2408.00001", abstract="Code: https://github.com/acme/tool.",
                                         published=datetime(2024, 6, 1)))
    soup = _soup(ada.get("/?code=1"))
    cards = soup.select(".paper-card")
    assert [c["data-paper-id"] for c in cards] == ["2408.00001"]
    assert cards[0].select_one(".badge-code")["href"] == "https://github.com/acme/tool"
    assert soup.select_one("input[name=code]").has_attr("checked")
    page = _soup(ada.get("/paper/2408.00001"))
    assert [a["href"] for a in page.select(".code-links a")] == ["https://github.com/acme/tool"]
    data = ada.get("/api/papers?code=1").get_json()
    assert data["total"] == 1 and data["papers"][0]["code_links"] == ["https://github.com/acme/tool"]
    assert ada.get("/api/papers").get_json()["total"] > 1


def test_paper_page_and_paper_api_also_read_the_full_text_for_code(reco_app, ada):
    from store.fulltext import record_result

    add_papers(_engine(reco_app), record(id="2408.00002", abstract="No link in the abstract."))
    with _engine(reco_app).begin() as conn:
        record_result(conn, "2408.00002", 1, status="ok",
                      text="Section 5. Our implementation is at https://codeberg.org/lab/solver.")
    page = _soup(ada.get("/paper/2408.00002"))
    assert [a["href"] for a in page.select(".code-links a")] == ["https://codeberg.org/lab/solver"]
    assert ada.get("/api/papers/2408.00002").get_json()["paper"]["code_links"] == [
        "https://codeberg.org/lab/solver"]
    assert not _soup(ada.get("/")).select('.paper-card[data-paper-id="2408.00002"] .badge-code')
