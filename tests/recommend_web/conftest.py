"""An app with a small topical corpus, an index, and a logged-in user (CSRF switched on)."""

from __future__ import annotations

import pytest

from tests.factories import add_papers
from tests.helpers.accounts import login, make_user
from tests.helpers.recommend_web import corpus, rebuild


@pytest.fixture
def reco_app(make_app):
    application = make_app(RECOMMEND_SYNC=True)
    add_papers(application.extensions["papersift.engine"], *corpus())
    rebuild(application)
    make_user(application, "ada")
    return application


@pytest.fixture
def ada(reco_app):
    client = reco_app.test_client()
    assert login(client, "ada").status_code == 302
    return client
