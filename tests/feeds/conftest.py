"""A small topical corpus from one week, an index, users, and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from ingest import indexing
from tests.factories import add_papers, record
from tests.helpers.accounts import login
from tests.helpers.feeds import REFUSED, engine_of, subscribe
from tests.helpers.recommend_web import TOPICS
from tests.procs import free_port


def corpus() -> list:
    """Ten papers per topic (ids 2405.<topic><n>), all published within one week."""
    recs = []
    for t, phrases in enumerate(TOPICS.values()):
        for i in range(10):
            words = ", ".join(phrases[(i + j) % 4] for j in range(3))
            recs.append(record(
                id=f"2405.{t}{i:04d}", title=f"Study {i} of {phrases[i % 4]}",
                abstract=f"We study {words} with method m{t}x{i}. Results on {phrases[0]}.",
                categories=["cs.LG" if t % 2 == 0 else "cs.CV"],
                published=datetime(2024, 5, 14) + timedelta(days=i % 7)))
    return recs


@pytest.fixture
def feeds_app(make_app):
    application = make_app(RECOMMEND_SYNC=True, base_url="https://papers.example.org/")
    add_papers(engine_of(application), *corpus())
    indexing.build(engine_of(application), application.config["SETTINGS"], force=True)
    return application


@pytest.fixture
def ada(feeds_app):
    """Logged-in client of ada, whose library is three rl papers tagged "rl"."""
    subscribe(feeds_app, "ada", "ada@example.org", frequency="off")
    client = feeds_app.test_client()
    assert login(client, "ada").status_code == 302
    return client


class Inbox:
    """aiosmtpd handler keeping every accepted message; refuses one address."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


class SMTPServer:
    """A real SMTP server on 127.0.0.1 that a test can stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     loop=asyncio.new_event_loop())
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller.loop.close()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()
