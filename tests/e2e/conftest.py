"""A real papersift over the sample corpus, driven by Debian's headless Chromium via Playwright.

The live server is a `papersift run` subprocess on a free 127.0.0.1 port over a temporary
data dir that `papersift bootstrap` filled with the bundled sample corpus and indexed, so
the browser meets exactly what a user of `make run` meets. The browser is the system
Chromium (`apt-get install chromium`, done by .ci/run); Playwright never downloads one.
When Chromium is missing the tests fail with a message saying how to install it: a
silently skipped browser test proves nothing.

Every page a test visits is saved as a screenshot under tests/artifacts/e2e/ (ignored by git).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.e2e import papersift_command, server_env
from tests.helpers.paths import ROOT
from tests.procs import free_port, stop

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
ARTIFACTS = ROOT / "tests" / "artifacts" / "e2e"
SERVER_START_SECONDS = 60
VIEWPORT = {"width": 1200, "height": 900}


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"papersift run exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"papersift run did not answer /healthz within {SERVER_START_SECONDS} s:\n"
                f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of `papersift run` over a bootstrapped sample-corpus data dir."""
    root = tmp_path_factory.mktemp("e2e")
    data_dir = root / "data"
    env = server_env(data_dir)
    boot = subprocess.run([*papersift_command(), "bootstrap"], env=env, cwd=root,
                          capture_output=True, text=True, timeout=600)
    assert boot.returncode == 0, f"papersift bootstrap failed:\n{boot.stdout}\n{boot.stderr}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([*papersift_command(), "run", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(url, proc, log)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """Debian's Chromium, headless, launched by Playwright; fails loudly when absent."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)       # screenshots of this run only
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: the browser tests need it. "
                    "Install it with `sudo apt-get install -y chromium` (.ci/run does this).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[dev]'")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """One browser tab for a test: records script errors and saves a screenshot per page."""

    def __init__(self, page, test_name: str) -> None:
        self.page = page
        self.prefix = re.sub(r"[^A-Za-z0-9_-]+", "_", test_name)
        self.shots = 0
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message) -> None:
        # failed loads are reported by _response with their URL
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"{self.page.url}: console error: {message.text}")

    def _response(self, response) -> None:
        """A failed script, stylesheet, image, icon or fetch; pages' own statuses are the tests'
        business."""
        if response.request.resource_type == "document":
            return
        if response.status >= 400:
            self.errors.append(f"{self.page.url}: {response.status} for {response.url}")

    def shot(self, name: str) -> Path:
        """Save the whole page as tests/artifacts/e2e/<test>-<n>-<name>.png."""
        self.shots += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.prefix}-{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def open_visit(chromium, live_server: str, name: str, **options) -> Iterator[Visit]:
    context = chromium.new_context(base_url=live_server, viewport=VIEWPORT, **options)
    context.set_default_timeout(15_000)
    v = Visit(context.new_page(), name)
    try:
        yield v
    finally:
        context.close()
    assert not v.errors, "script errors in the browser:\n" + "\n".join(v.errors)


@pytest.fixture
def visit(chromium, live_server: str, request: pytest.FixtureRequest) -> Iterator[Visit]:
    """A fresh browser context (no cookies) on the live server; no script errors allowed."""
    yield from open_visit(chromium, live_server, request.node.name)


@pytest.fixture
def nojs_visit(chromium, live_server: str, request: pytest.FixtureRequest) -> Iterator[Visit]:
    """The same with JavaScript switched off: the plain-form fallbacks must work."""
    yield from open_visit(chromium, live_server, request.node.name, java_script_enabled=False)


@pytest.fixture(scope="session")
def math_paper() -> dict:
    """A sample-corpus paper whose abstract has inline $...$ math (KaTeX must render it)."""
    import gzip
    import json

    with gzip.open(ROOT / "data" / "sample" / "arxiv_cs_sample.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            paper = json.loads(line)
            if re.search(r"\$\\[a-z]+[^$]*\$", paper["summary"]):   # a TeX command between dollars
                return paper
    pytest.fail("no paper with $\\command$ math in the sample corpus")
