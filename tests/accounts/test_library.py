from datetime import datetime, timedelta

import bibtexparser
from bs4 import BeautifulSoup
from sqlalchemy import select

from store.schema import library, not_interested, paper_tags, tags
from tests.factories import add_papers, record
from tests.helpers.accounts import csrf_token, login, make_user, post, post_json

XSS_TITLE = '<script>alert("t")</script> Attention <img src=x onerror=alert(1)>'
XSS_TAG = '<img src=x onerror=alert("tag")>'


def _engine(app):
    return app.extensions["papersift.engine"]


def _rows(app, table):
    with _engine(app).connect() as conn:
        return conn.execute(select(table)).all()


def _papers(app, n=3, **kw):
    recs = [record(id=f"2402.{i:05d}", published=datetime(2024, 2, 1 + i % 27), **kw)
            for i in range(1, n + 1)]
    add_papers(_engine(app), *recs)
    return [r.id for r in recs]


def _soup(response):
    return BeautifulSoup(response.data, "html.parser")


def test_add_and_remove_with_json_and_the_csrf_header(app, logged_in):
    [pid, *_] = _papers(app)
    response = post_json(logged_in, f"/library/papers/{pid}/add")
    assert response.status_code == 200
    assert response.get_json()["saved"] is True
    assert [r.paper_id for r in _rows(app, library)] == [pid]
    response = post_json(logged_in, f"/library/papers/{pid}/remove")
    assert response.get_json()["saved"] is False
    assert _rows(app, library) == []


def test_json_post_without_the_csrf_header_is_rejected(app, logged_in):
    [pid, *_] = _papers(app)
    response = logged_in.post(f"/library/papers/{pid}/add", json={}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert _rows(app, library) == []
    response = logged_in.post(f"/library/papers/{pid}/add", json={},
                              headers={"X-CSRFToken": "forged", "Accept": "application/json"})
    assert response.status_code == 400
    assert _rows(app, library) == []


def test_form_fallback_saves_and_redirects_back(app, logged_in):
    [pid, *_] = _papers(app)
    response = post(logged_in, f"/library/papers/{pid}/add", {"next": f"/paper/{pid}"})
    assert response.status_code == 302 and response.location == f"/paper/{pid}"
    soup = _soup(logged_in.get(f"/paper/{pid}"))
    button = soup.select_one(".paper-links .lib-toggle button")
    assert button.get_text() == "Saved" and button["aria-pressed"] == "true"
    assert soup.select_one(".paper-links .lib-toggle")["action"] == f"/library/papers/{pid}/remove"
    # one library is too few to show (min_library_count), so the page does not tell
    assert "in fewer than 3 libraries" in soup.select_one(".lib-holders").get_text()
    assert _rows(app, library)[0].paper_id == pid
    # an evil next is ignored
    response = post(logged_in, f"/library/papers/{pid}/remove", {"next": "https://evil.example/"})
    assert response.location == "/library"


def test_cards_show_save_buttons_only_when_logged_in(app, client, user):
    _papers(app, 2)
    soup = _soup(client.get("/"))
    assert not soup.select(".paper-card .lib-toggle")
    assert soup.select(".paper-card a.lib-login")
    login(client, "ada")
    soup = _soup(client.get("/"))
    assert len(soup.select(".paper-card .lib-toggle")) == 2
    assert len(soup.select('script[src$="js/library.js"]')) == 1


def test_unknown_paper_is_404(app, logged_in):
    assert post_json(logged_in, "/library/papers/2412.99999/add").status_code == 404
    assert post(logged_in, "/library/papers/2412.99999/add").status_code == 404


def test_library_needs_login(client):
    response = client.get("/library")
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    assert client.post("/library/papers/2402.00001/add", data={"csrf_token": csrf_token(client)}
                       ).status_code == 302


def test_tags_add_remove_rename_delete(app, logged_in):
    a, b, _ = _papers(app)
    assert post(logged_in, f"/library/papers/{a}/tag", {"tag": "  graphs  "}).status_code == 302
    post(logged_in, f"/library/papers/{b}/tag", {"tag": "graphs"})
    # tagging saves to the library
    assert {r.paper_id for r in _rows(app, library)} == {a, b}
    [tag] = _rows(app, tags)
    assert tag.name == "graphs" and len(_rows(app, paper_tags)) == 2
    soup = _soup(logged_in.get("/library"))
    assert [li.select_one("a").get_text() for li in soup.select(".tag-list li[data-tag-id]")] == ["graphs"]
    assert soup.select_one(".tag-list li[data-tag-id] .count").get_text() == "2"
    post(logged_in, f"/library/papers/{a}/untag/{tag.id}")
    assert [r.paper_id for r in _rows(app, paper_tags)] == [b]
    post(logged_in, f"/library/tags/{tag.id}/rename", {"name": "GNNs"})
    assert _rows(app, tags)[0].name == "GNNs"
    post(logged_in, f"/library/papers/{a}/tag", {"tag": "other"})
    response = post(logged_in, f"/library/tags/{tag.id}/rename", {"name": "other"})
    assert response.status_code == 302
    assert sorted(r.name for r in _rows(app, tags)) == ["GNNs", "other"]    # no clash made
    post(logged_in, f"/library/tags/{tag.id}/delete")
    assert [r.name for r in _rows(app, tags)] == ["other"]
    assert {r.paper_id for r in _rows(app, library)} == {a, b}               # papers stay


def test_empty_tag_name_is_refused(app, logged_in):
    [a, *_] = _papers(app)
    response = post_json(logged_in, f"/library/papers/{a}/tag", {"tag": "   "})
    assert response.status_code == 400 and "needs a name" in response.get_json()["message"]
    assert _rows(app, tags) == []


def test_library_page_lists_newest_added_first_with_paging(app, logged_in):
    ids = _papers(app, 30)
    with _engine(app).begin() as conn:
        conn.execute(library.insert(), [
            {"user_id": 1, "paper_id": pid, "added": datetime(2025, 1, 1) + timedelta(hours=i)}
            for i, pid in enumerate(ids)])
    soup = _soup(logged_in.get("/library"))
    cards = [c["data-paper-id"] for c in soup.select(".paper-card")]
    assert len(cards) == 25 and cards[0] == ids[29]
    assert "30 papers" in soup.select_one(".library-count").get_text()
    soup = _soup(logged_in.get("/library?page=2"))
    assert len(soup.select(".paper-card")) == 5
    soup = _soup(logged_in.get("/library?sort=date"))
    assert soup.select(".paper-card")[0]["data-paper-id"] == ids[25]      # 27 Feb is the newest date
    assert logged_in.get("/library?sort=bogus").status_code == 400


def test_empty_library_explains_itself(logged_in):
    soup = _soup(logged_in.get("/library"))
    assert "Your library is empty" in soup.select_one(".empty").get_text()


def test_one_user_cannot_see_or_change_anothers_library(app, client):
    a, b, _ = _papers(app)
    make_user(app, "ada")
    make_user(app, "eve")
    login(client, "ada")
    post(client, f"/library/papers/{a}/tag", {"tag": "secret plans"})
    post(client, "/logout")
    [tag] = _rows(app, tags)
    login(client, "eve")
    soup = _soup(client.get("/library"))
    assert not soup.select(".paper-card") and "secret plans" not in soup.get_text()
    assert client.get(f"/library?tag={tag.id}").status_code == 404
    assert client.get(f"/library/export.bib?tag={tag.id}").status_code == 404
    assert client.get("/library/export.json").get_json()["count"] == 0
    assert client.get("/api/library").get_json() == {"count": 0, "papers": [], "tags": []}
    assert post(client, f"/library/tags/{tag.id}/rename", {"name": "mine"}).status_code == 404
    assert post(client, f"/library/tags/{tag.id}/delete").status_code == 404
    assert post(client, f"/library/papers/{a}/untag/{tag.id}").status_code == 404
    post(client, f"/library/papers/{a}/remove")                  # removes from eve's (empty) library
    assert [(r.name, r.user_id) for r in _rows(app, tags)] == [("secret plans", 1)]
    assert [(r.user_id, r.paper_id) for r in _rows(app, library)] == [(1, a)]
    assert len(_rows(app, paper_tags)) == 1
    from store.library import holders

    with _engine(app).connect() as conn:
        assert holders(conn, a) == 1                             # ada's copy is still there


def test_html_in_titles_and_tag_names_is_escaped(app, logged_in):
    add_papers(_engine(app), record(id="2403.00001", title=XSS_TITLE))
    post(logged_in, "/library/papers/2403.00001/tag", {"tag": XSS_TAG})
    for path in ("/library", "/paper/2403.00001", "/library?tag=1"):
        response = logged_in.get(path)
        soup = _soup(response)
        assert not [s for s in soup.select("script") if "alert" in s.get_text()], path
        assert not soup.select("img[onerror]"), path
        assert b'<img src=x onerror' not in response.data, path
    soup = _soup(logged_in.get("/library"))
    assert XSS_TITLE in soup.select_one(".card-title").get_text()
    assert soup.select_one(".tag-list li[data-tag-id] a").get_text() == XSS_TAG
    data = logged_in.get("/api/library").get_json()
    assert data["tags"][0]["name"] == XSS_TAG        # JSON carries the raw text, served as JSON


def test_not_interested_marks_and_unmarks(app, logged_in):
    a, b, _ = _papers(app)
    response = post_json(logged_in, f"/library/papers/{a}/not-interested")
    assert response.get_json()["not_interested"] is True
    assert [r.paper_id for r in _rows(app, not_interested)] == [a]
    soup = _soup(logged_in.get("/"))
    card = soup.select_one(f'.paper-card[data-paper-id="{a}"]')
    assert "undo" in card.select_one(".lib-dismiss button").get_text()
    post_json(logged_in, f"/library/papers/{a}/not-interested", {"undo": "1"})
    assert _rows(app, not_interested) == []
    post_json(logged_in, f"/library/papers/{b}/not-interested")
    post_json(logged_in, f"/library/papers/{b}/add")              # saving clears the mark
    assert _rows(app, not_interested) == []


def test_bibtex_export_parses_and_holds_the_right_ids(app, logged_in):
    ids = _papers(app, 3)
    add_papers(_engine(app), record(id="2403.00009", title="Unbalanced {brace & 100% $x_1$ # test",
                                    authors=["Émile Zola", "Q. Li"]))
    for pid in ids[:2]:
        post(logged_in, f"/library/papers/{pid}/tag", {"tag": "t1"})
    post(logged_in, f"/library/papers/{ids[2]}/add")
    post(logged_in, "/library/papers/2403.00009/add")
    response = logged_in.get("/library/export.bib")
    assert response.status_code == 200 and response.mimetype == "application/x-bibtex"
    assert "attachment" in response.headers["Content-Disposition"]
    parsed = bibtexparser.parse_string(response.get_data(as_text=True))
    assert not parsed.failed_blocks
    assert sorted(e.fields_dict["eprint"].value for e in parsed.entries) == sorted([*ids, "2403.00009"])
    assert len({e.key for e in parsed.entries}) == 4
    assert all(e.fields_dict["archivePrefix"].value == "arXiv" for e in parsed.entries)
    response = logged_in.get("/library/export.bib?tag=1")
    parsed = bibtexparser.parse_string(response.get_data(as_text=True))
    assert sorted(e.fields_dict["eprint"].value for e in parsed.entries) == sorted(ids[:2])


def test_json_export(app, logged_in):
    ids = _papers(app, 2)
    post(logged_in, f"/library/papers/{ids[0]}/tag", {"tag": "t1"})
    post(logged_in, f"/library/papers/{ids[1]}/add")
    data = logged_in.get("/library/export.json").get_json()
    assert data["user"] == "ada" and data["count"] == 2
    assert {p["id"]: p["tags"] for p in data["papers"]} == {ids[0]: ["t1"], ids[1]: []}
    data = logged_in.get("/library/export.json?tag=1").get_json()
    assert data["tag"] == "t1" and [p["id"] for p in data["papers"]] == [ids[0]]


def test_import_page_adds_known_ids_and_reports_the_rest(app, logged_in):
    ids = _papers(app, 2)
    text = f"{ids[0]}v2\nhttps://arxiv.org/abs/{ids[1]}, 2412.99999 not-an-id"
    response = post(logged_in, "/library/import", {"ids": text, "tag": "imported"})
    assert response.status_code == 200
    result = _soup(response).select_one(".import-result").get_text()
    assert "2 of 3 papers added" in result and "2412.99999" in result and "not-an-id" in result
    assert {r.paper_id for r in _rows(app, library)} == set(ids)
    assert [r.name for r in _rows(app, tags)] == ["imported"]


def test_library_add_cli(app, runner):
    ids = _papers(app, 2)
    make_user(app, "ada")
    result = runner.invoke(args=["library", "add", "--user", "ada", "--tag", "cli", ids[0],
                                 f"arXiv:{ids[1]}", "2412.99999"])
    assert result.exit_code == 0, result.output
    assert "Added 2 of 3 papers to ada's library (tag cli)" in result.output
    assert {r.paper_id for r in _rows(app, library)} == set(ids)
    result = runner.invoke(args=["library", "add", "--user", "nobody", ids[0]])
    assert result.exit_code == 1 and "No account" in result.output
