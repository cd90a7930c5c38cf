"""Shared fixtures: settings on a temporary data dir, the store, the app, client and runner."""

from __future__ import annotations

from pathlib import Path

import pytest

import config
from store.db import open_store
from tests.helpers.paths import SAMPLE_CORPUS

# `database_url`: '' (SQLite) or a fresh PostgreSQL schema when PAPERSIFT_TEST_DB=postgresql
pytest_plugins = ["tests.pg_fixture"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> config.Settings:
    return config.load_settings({}, data_dir=str(data_dir), scheduler_enabled=False,
                                database_url=database_url)


@pytest.fixture
def engine(settings):
    eng = open_store(settings)
    yield eng
    eng.dispose()


@pytest.fixture
def make_app(data_dir: Path, database_url: str):
    """Build apps on the test's data dir and database (SQLite, or the PostgreSQL pass's schema);
    keyword arguments are settings (lowercase) or Flask config keys (uppercase)."""
    from app import create_app

    made = []

    def make(**overrides):
        values = {"data_dir": str(data_dir), "scheduler_enabled": False, "database_url": database_url,
                  "TESTING": True, **overrides}
        made.append(create_app(values))
        return made[-1]

    yield make
    for application in made:
        application.extensions["papersift.engine"].dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory, session_database_url: str):
    """A read-only app over the bundled sample corpus (4,001 papers), imported and indexed
    once per test run and shared by the many tests that only read it."""
    from app import create_app
    from ingest import indexing
    from ingest.pipeline import import_files

    data = tmp_path_factory.mktemp("sample")
    application = create_app({"data_dir": str(data), "scheduler_enabled": False, "TESTING": True,
                              "database_url": session_database_url})
    engine = application.extensions["papersift.engine"]
    import_files(engine, [SAMPLE_CORPUS], progress=False)
    indexing.build(engine, application.config["SETTINGS"], force=True)
    yield application
    engine.dispose()


@pytest.fixture
def sample_client(sample_app):
    return sample_app.test_client()
