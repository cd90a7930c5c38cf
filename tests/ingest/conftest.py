"""Fixtures for the fetcher, harvester and scheduler tests: the loopback fake arXiv, settings
pointing at it, a sleep that records instead of waiting, and a real redis-server."""

from __future__ import annotations

from datetime import datetime

import pytest

import config
from ingest.arxiv_client import PoliteClient, client_from_settings
from tests.ingest.fakearxiv import FakeArxiv, real_entries
from tests.redis_fixture import redis_server  # noqa: F401 - re-exported fixture

# the fake catalog's entries are one hour apart from 2026-04-01 12:00; "now" is just after
NOW = datetime(2026, 4, 5, 12, 0)


class Sleeper:
    """Stands in for time.sleep: records each wait and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def fake():
    with FakeArxiv(real_entries(40)) as server:
        yield server


@pytest.fixture
def sleeper() -> Sleeper:
    return Sleeper()


def settings_for(data_dir, fake: FakeArxiv, **overrides) -> config.Settings:
    values = dict(data_dir=str(data_dir), scheduler_enabled=False, arxiv_api_url=fake.api_url,
                  oai_url=fake.oai_url, arxiv_delay=0.0, arxiv_page_size=10, arxiv_timeout=2.0,
                  arxiv_retries=4, categories=("cs.CV",), contact="ops@example.org")
    values.update(overrides)
    return config.load_settings({}, **values)


@pytest.fixture
def fetch_settings(data_dir, fake) -> config.Settings:
    return settings_for(data_dir, fake)


@pytest.fixture
def client(fetch_settings, sleeper) -> PoliteClient:
    """A client whose backoff waits are recorded, not slept (spacing is 0 s locally)."""
    return client_from_settings(fetch_settings, sleep=sleeper)
