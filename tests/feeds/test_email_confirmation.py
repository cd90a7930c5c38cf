"""Digest addresses are confirmed by a signed, expiring link before anything is mailed to them
(issue 15, item 5)."""

from __future__ import annotations

import dataclasses
import email
import re
from datetime import timedelta
from email import policy

import pytest
from bs4 import BeautifulSoup

from services import mail
from services.digest import run_digests
from services.mail import confirmation_token
from store import feeds as feed_store
from store.users import email_confirmed, find_user, set_email
from tests.helpers.accounts import post
from tests.helpers.feeds import engine_of, subscribe


@pytest.fixture
def mail_app(feeds_app, smtp_server):
    """The feeds app with email switched on, through the test SMTP server."""
    feeds_app.config["SETTINGS"] = dataclasses.replace(
        feeds_app.config["SETTINGS"], smtp_host="127.0.0.1", smtp_port=smtp_server.port)
    return feeds_app


def _inbox(server) -> list[tuple[list[str], email.message.EmailMessage]]:
    return [(to, email.message_from_bytes(raw, policy=policy.default)) for to, raw in server.inbox.messages]


def _digests_to(server, address: str) -> int:
    return sum(1 for to, msg in _inbox(server) if address in to and " digest: " in msg["Subject"])


def _state(app, name: str = "ada") -> feed_store.DigestSettings:
    with engine_of(app).connect() as conn:
        return feed_store.get_digest_settings(conn, find_user(conn, name).id)


def _link_path(msg) -> str:
    text = msg.get_body(("plain",)).get_content()
    url = re.search(r"https://papers\.example\.org(/account/email/confirm/\S+)", text)
    assert url, text
    return url[1]


def _confirm(client, path: str):
    """Open the link and press the button, as the owner of the address does."""
    page = client.get(path)
    assert page.status_code == 200
    token = BeautifulSoup(page.data, "html.parser").select_one("input[name=csrf_token]")["value"]
    return client.post(path, data={"csrf_token": token})


def test_no_digest_goes_to_an_unconfirmed_address(mail_app, smtp_server):
    subscribe(mail_app, "eve", "victim@example.org", confirmed=False)
    settings = mail_app.config["SETTINGS"]
    for kwargs in ({}, {"force": True}, {"username": "eve"}):
        run = run_digests(engine_of(mail_app), settings, **kwargs)
        assert not run.sent, kwargs
    assert smtp_server.inbox.messages == []
    with engine_of(mail_app).connect() as conn:
        assert feed_store.digest_subscribers(conn) == []


def test_a_new_address_gets_a_link_and_digests_only_after_it_is_opened(mail_app, smtp_server, ada):
    response = post(ada, "/account/digest", {"frequency": "weekly", "email": "new@example.org",
                                             "library": "1"})
    assert response.status_code == 302
    [(to, msg)] = _inbox(smtp_server)
    assert to == ["new@example.org"] and "confirm" in msg["Subject"]
    assert not _state(mail_app).email_confirmed
    page = BeautifulSoup(ada.get("/account").data, "html.parser")
    assert "not confirmed" in page.select_one(".email-unconfirmed").get_text()

    run_digests(engine_of(mail_app), mail_app.config["SETTINGS"], force=True)
    assert _digests_to(smtp_server, "new@example.org") == 0

    path = _link_path(msg)
    stranger = mail_app.test_client()              # the link works without logging in
    assert stranger.get(path).status_code == 200
    assert not _state(mail_app).email_confirmed     # opening (a mail scanner) confirms nothing
    response = _confirm(stranger, path)
    assert response.status_code == 200 and b"is confirmed" in response.data
    assert _state(mail_app).email_confirmed

    run = run_digests(engine_of(mail_app), mail_app.config["SETTINGS"], force=True)
    assert run.sent == {"ada": run.sent["ada"]} and _digests_to(smtp_server, "new@example.org") == 1


def test_changing_the_address_resets_the_confirmation(mail_app, smtp_server, ada):
    assert _state(mail_app).email_confirmed                      # ada@example.org, confirmed
    post(ada, "/account/digest", {"frequency": "weekly", "email": "first@example.org", "library": "1"})
    first_link = _link_path(_inbox(smtp_server)[-1][1])
    _confirm(mail_app.test_client(), first_link)
    assert _state(mail_app).email_confirmed
    post(ada, "/account/digest", {"frequency": "weekly", "email": "second@example.org", "library": "1"})
    assert not _state(mail_app).email_confirmed
    # the old link is for an address the account no longer has
    assert _confirm(mail_app.test_client(), first_link).status_code == 404
    assert not _state(mail_app).email_confirmed
    # saving the same address again keeps its state and mails nothing new
    count = len(smtp_server.inbox.messages)
    post(ada, "/account/digest", {"frequency": "daily", "email": "second@example.org", "library": "1"})
    assert len(smtp_server.inbox.messages) == count


def test_a_link_expires(mail_app, ada, monkeypatch):
    with engine_of(mail_app).begin() as conn:
        user = find_user(conn, "ada")
        set_email(conn, user.id, "late@example.org")
    path = "/account/email/confirm/" + confirmation_token(mail_app.config["SETTINGS"], user.id,
                                                          "late@example.org")
    monkeypatch.setattr(mail, "CONFIRM_MAX_AGE", timedelta(seconds=-1))
    assert mail_app.test_client().get(path).status_code == 404
    monkeypatch.undo()
    assert _confirm(mail_app.test_client(), path).status_code == 200


def test_a_forged_or_garbled_link_confirms_nothing(mail_app, ada):
    with engine_of(mail_app).begin() as conn:
        user = find_user(conn, "ada")
        set_email(conn, user.id, "mine@example.org")
    other = dataclasses.replace(mail_app.config["SETTINGS"], secret_key="not the site's key")
    forged = confirmation_token(other, user.id, "mine@example.org")
    client = mail_app.test_client()
    assert client.get(f"/account/email/confirm/{forged}").status_code == 404
    assert client.get("/account/email/confirm/garbage").status_code == 404
    with engine_of(mail_app).connect() as conn:
        assert not email_confirmed(conn, user.id)


def test_send_the_link_again(mail_app, smtp_server, ada):
    with engine_of(mail_app).begin() as conn:
        set_email(conn, find_user(conn, "ada").id, "again@example.org")
    response = post(ada, "/account/email/resend")
    assert response.status_code == 302
    [(to, msg)] = _inbox(smtp_server)
    assert to == ["again@example.org"]
    _confirm(mail_app.test_client(), _link_path(msg))
    assert _state(mail_app).email_confirmed


def test_a_failing_mail_server_is_reported_not_a_crash(mail_app, smtp_server, ada):
    smtp_server.stop()
    response = post(ada, "/account/digest", {"frequency": "weekly", "email": "down@example.org"},
                    follow_redirects=True)
    assert response.status_code == 200 and "could not be sent" in response.get_data(as_text=True)
    assert _state(mail_app).email == "down@example.org" and not _state(mail_app).email_confirmed


def test_users_set_mails_the_confirmation_link_and_the_owner_confirms(mail_app, smtp_server):
    from tests.helpers.accounts import make_user

    make_user(mail_app, "dora")
    runner = mail_app.test_cli_runner()
    result = runner.invoke(args=["users", "set", "dora", "--email", "dora@example.org", "--digest", "daily"])
    assert result.exit_code == 0, result.output
    assert "Sent a confirmation link to dora@example.org" in result.output
    ((to, msg),) = _inbox(smtp_server)
    assert to == ["dora@example.org"]
    assert not _state(mail_app, "dora").enabled
    _confirm(mail_app.test_client(), _link_path(msg))
    assert _state(mail_app, "dora").enabled
    again = runner.invoke(args=["users", "set", "dora", "--digest", "weekly"])    # same address
    assert again.exit_code == 0 and "confirmation" not in again.output
    assert _state(mail_app, "dora").enabled and len(smtp_server.inbox.messages) == 1
