"""Browser tests: the live server's papersift command and environment, and an account with
recommendations."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest


def papersift_command() -> list[str]:
    """The `papersift` console script of the interpreter running the tests."""
    script = Path(sys.executable).with_name("papersift")
    if script.exists():
        return [str(script)]
    found = shutil.which("papersift")
    if found is None:
        pytest.fail("the papersift command is not installed (pip install -e '.[dev]')")
    return [found]


def server_env(data_dir: Path) -> dict[str, str]:
    """The test process's environment with papersift pointed at `data_dir` and nothing shared."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PAPERSIFT_") and k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update(PAPERSIFT_DATA_DIR=str(data_dir), PAPERSIFT_SCHEDULER="0", PYTHONUNBUFFERED="1")
    return env


PASSWORD = "correct horse battery"
TRAINED_WITHIN_SECONDS = 60


def register(visit, username: str) -> None:
    page = visit.page
    page.goto("/")
    with page.expect_navigation():
        page.locator("nav.site-nav a", has_text="Log in").click()
    assert "/login" in page.url
    visit.shot("login")
    with page.expect_navigation():
        page.locator("main a", has_text="Register").click()
    visit.shot("register")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    with page.expect_navigation():
        page.locator("form.auth-form button[type=submit]").click()
    assert urlsplit(page.url).path == "/", "registering should land on the browse page"
    assert f"Welcome, {username}" in page.locator(".flashes").inner_text()
    assert page.locator("nav.site-nav a.user-link").inner_text() == username
    visit.shot("registered")


def reco_ids(page) -> list[str]:
    return page.locator(".reco-cards article.paper-card").evaluate_all(
        "els => els.map(e => e.dataset.paperId)")


def trained_recommendations(visit, path: str, name: str) -> list[str]:
    """Load `path` until the SVM ranking replaces the provisional centroid one."""
    page = visit.page
    deadline = time.monotonic() + TRAINED_WITHIN_SECONDS
    page.goto(path)
    while page.locator(".reco-cards").get_attribute("data-model") != "svm":
        assert time.monotonic() < deadline, f"{path}: the SVM ranking never replaced the centroid one"
        assert page.locator(".reco-provisional").is_visible()
        time.sleep(0.5)
        page.reload()
    visit.shot(name)
    return reco_ids(page)
