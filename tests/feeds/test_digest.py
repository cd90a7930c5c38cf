"""Digests sent through a real SMTP server on 127.0.0.1: parts, papers, unsubscribe, retries."""

from __future__ import annotations

import dataclasses
import email
from email import policy
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from sqlalchemy import select

from services.digest import run_digests
from store.schema import digest_sent
from store.users import confirm_email, find_user
from tests.helpers.accounts import make_user
from tests.helpers.feeds import LIBRARY, REFUSED, engine_of, smtp_settings, subscribe


def sent_rows(app, name: str) -> set[str]:
    with engine_of(app).connect() as conn:
        user = find_user(conn, name)
        return set(conn.execute(select(digest_sent.c.paper_id)
                                .where(digest_sent.c.user_id == user.id)).scalars())


def messages(server) -> list:
    return [(to, email.message_from_bytes(raw, policy=policy.default)) for to, raw in server.inbox.messages]


def html_ids(msg) -> list[str]:
    soup = BeautifulSoup(msg.get_body(("html",)).get_content(), "html.parser")
    return [li["data-paper-id"] for li in soup.select("li.digest-paper")]


def test_digest_has_both_parts_the_right_papers_and_a_working_unsubscribe(feeds_app, smtp_server):
    subscribe(feeds_app, "ada", "ada@example.org", tags=("rl",), searches=("segmentation|cs.CV",))
    run = run_digests(engine_of(feeds_app), smtp_settings(feeds_app, smtp_server))
    assert run.sent and run.ok, run.failed
    ((to, msg),) = messages(smtp_server)
    assert to == ["ada@example.org"] and msg["To"] == "ada@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    ids = html_ids(msg)
    assert len(ids) == len(set(ids)) > 0                        # each paper once
    assert not set(ids) & set(LIBRARY)                          # never the library itself
    assert set(ids) == sent_rows(feeds_app, "ada") and run.sent["ada"] == len(ids)
    rl = {f"2405.0{i:04d}" for i in range(3, 10)}
    seg = {f"2405.1{i:04d}" for i in range(10)}
    assert rl <= set(ids)                                       # the rest of the rl topic is recommended
    assert seg <= set(ids)                                      # the saved search's papers
    soup = BeautifulSoup(html, "html.parser")
    assert [h.get_text(strip=True) for h in soup.select("h2")][-1] == "New for your search “segmentation”"
    for pid in ids:
        assert f"https://papers.example.org/paper/{pid}" in text
    assert "Hello ada" in text and "Hello ada" in html
    unsubscribe = soup.select_one("a.unsubscribe")["href"]
    assert unsubscribe in text and msg["List-Unsubscribe"] == f"<{unsubscribe}>"

    client = feeds_app.test_client()                            # no login
    response = client.get(urlsplit(unsubscribe).path)
    assert response.status_code == 200
    assert "ada will get no more digest emails" in " ".join(BeautifulSoup(
        response.data, "html.parser").select_one("p.unsubscribed").get_text().split())
    again = run_digests(engine_of(feeds_app), smtp_settings(feeds_app, smtp_server), force=True)
    assert not again.sent and len(smtp_server.inbox.messages) == 1


def test_a_forged_unsubscribe_token_changes_nothing(feeds_app, smtp_server):
    subscribe(feeds_app, "ada", "ada@example.org")
    client = feeds_app.test_client()
    assert client.get("/digest/unsubscribe/WzEsImFkYSJd.forged").status_code == 404
    assert run_digests(engine_of(feeds_app), smtp_settings(feeds_app, smtp_server)).sent == {"ada": 10}


def test_a_second_run_sends_nothing_new(feeds_app, smtp_server):
    subscribe(feeds_app, "ada", "ada@example.org")
    settings = smtp_settings(feeds_app, smtp_server)
    first = run_digests(engine_of(feeds_app), settings)
    assert first.sent == {"ada": 10}
    second = run_digests(engine_of(feeds_app), settings)        # not due yet
    assert second.not_due == ["ada"] and len(smtp_server.inbox.messages) == 1
    forced = run_digests(engine_of(feeds_app), settings, force=True)   # sent anyway: only new papers
    assert forced.sent == {"ada": 10}
    first_ids, second_ids = (set(html_ids(m)) for _, m in messages(smtp_server))
    assert len(first_ids) == len(second_ids) == 10 and not first_ids & second_ids
    assert sent_rows(feeds_app, "ada") == first_ids | second_ids


def test_smtp_down_marks_nothing_and_the_next_run_sends(feeds_app, smtp_server):
    subscribe(feeds_app, "ada", "ada@example.org")
    settings = smtp_settings(feeds_app, smtp_server)
    smtp_server.stop()
    down = run_digests(engine_of(feeds_app), settings)
    assert "ada" in down.failed and not down.sent
    assert sent_rows(feeds_app, "ada") == set()
    page = feeds_app.test_client()
    from tests.helpers.accounts import login
    login(page, "ada")
    assert "could not be sent" in page.get("/account").get_data(as_text=True)

    smtp_server.start()
    back = run_digests(engine_of(feeds_app), settings)
    assert back.sent == {"ada": 10} and back.ok
    ((_, msg),) = messages(smtp_server)
    assert set(html_ids(msg)) == sent_rows(feeds_app, "ada")


def test_one_users_failure_does_not_stop_the_others(feeds_app, smtp_server):
    subscribe(feeds_app, "ada", REFUSED)
    subscribe(feeds_app, "bob", "bob@example.org")
    run = run_digests(engine_of(feeds_app), smtp_settings(feeds_app, smtp_server))
    assert set(run.failed) == {"ada"} and run.sent == {"bob": 10}
    assert sent_rows(feeds_app, "ada") == set() and len(sent_rows(feeds_app, "bob")) == 10
    assert [to for to, _ in smtp_server.inbox.messages] == [["bob@example.org"]]


def test_dry_run_cli_prints_and_sends_nothing(feeds_app, smtp_server):
    subscribe(feeds_app, "ada", "ada@example.org", searches=("segmentation|",))
    subscribe(feeds_app, "bob", "bob@example.org")
    runner = feeds_app.test_cli_runner()
    result = runner.invoke(args=["digest", "--dry-run", "--user", "ada"])
    assert result.exit_code == 0, result.output
    assert "To: ada@example.org" in result.output and "bob@example.org" not in result.output
    assert "New for your search “segmentation”" in result.output
    assert sent_rows(feeds_app, "ada") == set() and smtp_server.inbox.messages == []
    off = runner.invoke(args=["digest"])                          # no PAPERSIFT_SMTP_HOST in this app
    assert off.exit_code != 0 and "PAPERSIFT_SMTP_HOST" in off.output
    nobody = runner.invoke(args=["digest", "--dry-run", "--user", "carol"])
    assert nobody.exit_code == 1 and "No account 'carol'" in nobody.output


def test_digest_for_a_user_without_a_subscription_says_why_and_fails(feeds_app):
    make_user(feeds_app, "carol")
    runner = feeds_app.test_cli_runner()
    no_email = runner.invoke(args=["digest", "--dry-run", "--user", "carol"])
    assert no_email.exit_code == 1
    assert "carol has no email address" in no_email.output
    assert "papersift users set carol --email ADDRESS --digest weekly" in no_email.output
    assert runner.invoke(args=["users", "set", "carol", "--email", "carol@example.org"]).exit_code == 0
    off = runner.invoke(args=["digest", "--dry-run", "--user", "carol"])
    assert off.exit_code == 1
    assert "carol has no digest subscription (it is off)" in off.output
    assert "papersift users set carol --digest weekly" in off.output
    assert runner.invoke(args=["users", "set", "carol", "--digest", "weekly"]).exit_code == 0
    unconfirmed = runner.invoke(args=["digest", "--dry-run", "--user", "carol"])
    assert unconfirmed.exit_code == 1
    assert "carol has not confirmed carol@example.org yet" in unconfirmed.output
    with engine_of(feeds_app).begin() as conn:
        assert confirm_email(conn, find_user(conn, "carol").id, "carol@example.org")
    on = runner.invoke(args=["digest", "--dry-run", "--user", "carol"])
    assert on.exit_code == 0, on.output
    assert "dry run: would send" in on.output


def test_one_click_post_unsubscribes_without_session_or_csrf(feeds_app):
    from services.mail import unsubscribe_token
    from tests.helpers.feeds import digest_of

    user = subscribe(feeds_app, "ada", "ada@example.org")
    token = unsubscribe_token(feeds_app.config["SETTINGS"], user.id, "ada")
    response = feeds_app.test_client().post(f"/digest/unsubscribe/{token}",
                                            data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and digest_of(feeds_app).frequency == "off"
    other = unsubscribe_token(feeds_app.config["SETTINGS"], user.id, "someone-else")
    assert feeds_app.test_client().get(f"/digest/unsubscribe/{other}").status_code == 404


def test_no_password_in_clear_when_the_server_lacks_starttls(feeds_app, smtp_server):
    subscribe(feeds_app, "ada", "ada@example.org")
    settings = dataclasses.replace(smtp_settings(feeds_app, smtp_server), smtp_user="ada", smtp_password="pw")
    run = run_digests(engine_of(feeds_app), settings)
    assert "STARTTLS" in run.failed["ada"] and smtp_server.inbox.messages == []
    assert sent_rows(feeds_app, "ada") == set()
