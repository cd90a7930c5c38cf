"""Fetching in tests: the fixed clock, a sleeper that records pauses, and settings for the fake arXiv."""

from __future__ import annotations

from datetime import datetime

import config
from tests.ingest.fakearxiv import FakeArxiv

# the fake catalog's entries are one hour apart from 2026-04-01 12:00; "now" is just after
NOW = datetime(2026, 4, 5, 12, 0)


class Sleeper:
    """Stands in for time.sleep: records each wait and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def settings_for(data_dir, fake: FakeArxiv, **overrides) -> config.Settings:
    values = dict(data_dir=str(data_dir), scheduler_enabled=False, arxiv_api_url=fake.api_url,
                  oai_url=fake.oai_url, arxiv_delay=0.0, arxiv_page_size=10, arxiv_timeout=2.0,
                  arxiv_retries=4, categories=("cs.CV",), contact="ops@example.org")
    values.update(overrides)
    return config.load_settings({}, **values)
