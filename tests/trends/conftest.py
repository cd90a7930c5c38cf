"""Trend fixtures: an app over the small synthetic corpus, and one over the sample corpus,
each imported and indexed once."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.factories import add_papers, record
from tests.trends.corpus import small_docs

# the papers of small_docs() with arXiv ids, in the same order
SMALL_IDS = {"a1": "2311.00001", "a2": "2311.00002", "b1": "2312.00001", "b2": "2312.00002",
             "b3": "2312.00003", "c1": "2401.00001", "c2": "2401.00002", "c3": "2401.00003",
             "d1": "2403.00001"}


def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)


def _app(data_dir):
    from app import create_app

    return create_app({"data_dir": str(data_dir), "scheduler_enabled": False, "TESTING": True})


@pytest.fixture(scope="package")
def small_app(tmp_path_factory):
    """The small corpus in a store (title = the text, no abstract words) and indexed."""
    from ingest import indexing

    application = _app(tmp_path_factory.mktemp("trends-small"))
    engine = application.extensions["papersift.engine"]
    add_papers(engine, *[
        record(id=SMALL_IDS[d.id], title=d.text, abstract="-", categories=list(d.categories),
               published=_as_datetime(d.published))
        for d in small_docs()])
    indexing.build(engine, application.config["SETTINGS"], force=True)
    yield application
    engine.dispose()


@pytest.fixture
def small_client(small_app):
    return small_app.test_client()
