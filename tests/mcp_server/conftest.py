"""A papersift with the sample corpus and five accounts, and ways to reach its MCP server.

The sample is imported and indexed into a data dir once per test run (as `papersift
bootstrap` does); alice and bob get libraries of their own, carol, dave and erin empty
ones (the stdio write tests fill carol's, the HTTP ones erin's; dave's password changes).
The server is reached with the SDK's own client: in-process, over stdio (a `papersift mcp`
subprocess), or over streamable HTTP (a `papersift mcp --transport http` subprocess).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers.e2e import papersift_command
from tests.helpers.mcp import (
    ALICE_PAPERS,
    BOB_PAPERS,
    BOB_TAG,
    RATE,
    Sample,
)
from tests.helpers.paths import SAMPLE_CORPUS
from tests.procs import free_port, stop

PASSWORD = "correct horse battery"
SERVER_START_SECONDS = 60
SITE = "https://papers.example.org"      # PAPERSIFT_BASE_URL of the HTTP server under test


@pytest.fixture(scope="session")
def mcp_app(tmp_path_factory: pytest.TempPathFactory):
    """The sample imported and indexed (what `papersift bootstrap` does) into a data dir of
    its own, with the four accounts; the app over it reads the store for the tests."""
    from app import create_app
    from ingest import indexing
    from ingest.pipeline import import_files
    from store import library as lib
    from store.users import create_user
    from web import db

    data_dir = tmp_path_factory.mktemp("mcp") / "data"
    application = create_app({"data_dir": str(data_dir), "scheduler_enabled": False,
                              "TESTING": True, "RECOMMEND_SYNC": True})
    engine = application.extensions["papersift.engine"]
    import_files(engine, [SAMPLE_CORPUS], progress=False)
    indexing.build(engine, application.config["SETTINGS"], force=True)
    with db.transaction(engine) as conn:
        users = {name: create_user(conn, name, PASSWORD)
                 for name in ("alice", "bob", "carol", "dave", "erin")}
        lib.add_to_library(conn, users["alice"].id, list(ALICE_PAPERS))
        lib.add_to_library(conn, users["bob"].id, list(BOB_PAPERS), tag=BOB_TAG)
    yield application
    engine.dispose()


@pytest.fixture(scope="session")
def mcp_sample(mcp_app) -> Sample:
    data_dir = mcp_app.config["SETTINGS"].data_path
    return Sample(data_dir, data_dir.parent)


@dataclass
class HttpServer:
    url: str
    sample: Sample

    app: Any

    def token(self, username: str) -> str:
        """What `papersift mcp-token USERNAME` prints (the same functions, without a process)."""
        from mcp_server.adapter import login_identity
        from mcp_server.tokens import issue_token

        with self.app.app_context():
            identity = login_identity(username, self.app.config["SETTINGS"].mcp_token_days)
        assert identity is not None
        return issue_token(self.app.config["SECRET_KEY"], identity)

    def client(self, token: str | None):
        """A factory of SDK Clients over streamable HTTP, sending `token` as the bearer."""
        import httpx2
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client

        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}

        @asynccontextmanager
        async def factory():
            async with httpx2.AsyncClient(headers=headers, timeout=120) as http, \
                    Client(streamable_http_client(self.url, http_client=http),
                           read_timeout_seconds=120) as client:
                yield client
        return factory


@pytest.fixture(scope="module")
def http_server(mcp_sample: Sample, mcp_app) -> Iterator[HttpServer]:
    """`papersift mcp --transport http` on a free 127.0.0.1 port, with writes enabled, serving
    SITE behind a proxy and allowing each user RATE tool calls a minute."""
    import httpx2

    port = free_port()
    log = mcp_sample.root / f"mcp-http-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([*papersift_command(), "mcp", "--transport", "http", "--port", str(port)],
                                env=mcp_sample.env(PAPERSIFT_MCP_WRITES="1", PAPERSIFT_BASE_URL=SITE,
                                                   PAPERSIFT_QUERY_RATE_LIMIT=f"{RATE} per minute"),
                                cwd=mcp_sample.root,
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"papersift mcp exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                httpx2.post(url, json={}, timeout=2)
                break
            except httpx2.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail(f"papersift mcp did not listen within {SERVER_START_SECONDS} s")
                time.sleep(0.2)
        yield HttpServer(url, mcp_sample, mcp_app)
    finally:
        stop(proc)
