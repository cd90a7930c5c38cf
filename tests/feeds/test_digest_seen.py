"""Digests and seen marks: a mailed paper is marked seen (PAPERSIFT_MARK_SEEN_AUTO), a paper
seen on the site is not mailed, and followed authors get their own section."""

from __future__ import annotations

import dataclasses
import email
from datetime import datetime
from email import policy

from bs4 import BeautifulSoup

from services.digest import run_digests
from store import seen as seen_store
from store.users import find_user
from tests.factories import add_papers, record
from tests.helpers.feeds import engine_of, subscribe


def _settings(app, server, **changes):
    return dataclasses.replace(app.config["SETTINGS"], smtp_host="127.0.0.1", smtp_port=server.port,
                               **changes)


def _sections(server) -> dict[str, list[str]]:
    _, raw = server.inbox.messages[-1]
    html = email.message_from_bytes(raw, policy=policy.default).get_body(("html",)).get_content()
    soup = BeautifulSoup(html, "html.parser")
    out = {}
    for h2 in soup.select("h2"):
        ul = h2.find_next("ul")
        out[h2.get_text(strip=True)] = [li["data-paper-id"] for li in ul.select("li.digest-paper")]
    return out


def _user_id(app, name: str) -> int:
    with engine_of(app).connect() as conn:
        return find_user(conn, name).id


def test_mailed_papers_become_seen_and_seen_papers_are_not_mailed(feeds_app, smtp_server):
    subscribe(feeds_app, "ada", "ada@example.org")
    ada = _user_id(feeds_app, "ada")
    with engine_of(feeds_app).begin() as conn:
        seen_store.mark_seen(conn, ada, ["2405.00003"])          # the top rl recommendation
    run = run_digests(engine_of(feeds_app), _settings(feeds_app, smtp_server))
    assert run.sent == {"ada": 10}
    mailed = [pid for ids in _sections(smtp_server).values() for pid in ids]
    assert "2405.00003" not in mailed
    with engine_of(feeds_app).connect() as conn:
        assert seen_store.seen_ids(conn, ada) == set(mailed) | {"2405.00003"}


def test_without_the_setting_mailed_papers_stay_unseen(feeds_app, smtp_server):
    subscribe(feeds_app, "ada", "ada@example.org")
    run_digests(engine_of(feeds_app), _settings(feeds_app, smtp_server, mark_seen_auto=False))
    with engine_of(feeds_app).connect() as conn:
        assert seen_store.seen_ids(conn, _user_id(feeds_app, "ada")) == set()


def test_followed_authors_get_a_section(feeds_app, smtp_server):
    from store import follows as follow_store

    add_papers(engine_of(feeds_app), record(id="2405.50001", authors=["Grace Hopper"],
                                            title="Compilers for everyone", published=datetime(2024, 5, 20)))
    subscribe(feeds_app, "ada", "ada@example.org", library=False)
    with engine_of(feeds_app).begin() as conn:
        follow_store.follow(conn, _user_id(feeds_app, "ada"), "Grace Hopper", "grace hopper")
    run_digests(engine_of(feeds_app), _settings(feeds_app, smtp_server))
    assert _sections(smtp_server)["New from authors you follow"] == ["2405.50001"]
