"""Fixtures for the fetcher, harvester and scheduler tests: the loopback fake arXiv, settings
pointing at it, a sleep that records instead of waiting, and a real redis-server."""

from __future__ import annotations

import pytest

import config
from ingest.arxiv_client import PoliteClient, client_from_settings
from tests.helpers.ingest import Sleeper, settings_for
from tests.ingest.fakearxiv import FakeArxiv, real_entries
from tests.redis_fixture import redis_server  # noqa: F401 - re-exported fixture


@pytest.fixture
def fake():
    with FakeArxiv(real_entries(40)) as server:
        yield server


@pytest.fixture
def sleeper() -> Sleeper:
    return Sleeper()


@pytest.fixture
def fetch_settings(data_dir, fake) -> config.Settings:
    return settings_for(data_dir, fake)


@pytest.fixture
def client(fetch_settings, sleeper) -> PoliteClient:
    """A client whose backoff waits are recorded, not slept (spacing is 0 s locally)."""
    return client_from_settings(fetch_settings, sleep=sleeper)
