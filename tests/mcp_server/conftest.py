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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.conftest import SAMPLE_CORPUS
from tests.e2e.conftest import papersift_command, server_env
from tests.procs import free_port, stop

PASSWORD = "correct horse battery"
ALICE_PAPERS = ("2604.10791", "2505.21535", "2505.22195")     # attention and transformers
BOB_PAPERS = ("2601.16220", "2504.04787")
BOB_TAG = "bobs-private-tag"
SERVER_START_SECONDS = 60
RATE = 30                                # tool calls one user may make a minute over HTTP
SITE = "https://papers.example.org"      # PAPERSIFT_BASE_URL of the HTTP server under test


@dataclass(frozen=True)
class Sample:
    data_dir: Path
    root: Path

    def env(self, **settings: str) -> dict[str, str]:
        env = server_env(self.data_dir)
        env.update(settings)
        return env

    def papersift(self, *args: str, **settings: str) -> subprocess.CompletedProcess:
        return subprocess.run([*papersift_command(), *args], env=self.env(**settings), cwd=self.root,
                              capture_output=True, text=True, timeout=600)


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


def library_of(app, username: str) -> dict[str, list[str]]:
    """{paper id: its tags} in the user's library, read straight from the store."""
    from store import library as lib
    from store.users import find_user

    with app.app_context(), app.extensions["papersift.engine"].connect() as conn:
        user = find_user(conn, username)
        assert user is not None
        ids = lib.library_ids(conn, user.id)
        return {pid: lib.paper_tag_names(conn, user.id, [pid]).get(pid, []) for pid in ids}


async def call_every_read_tool(client) -> dict[str, Any]:
    """Each read tool, and the paper resource, called once as alice would."""
    return {
        "search": await client.call_tool("search_papers", {"query": "transformer attention", "limit": 5}),
        "paper": await client.call_tool("get_paper", {"paper_id": ALICE_PAPERS[0], "fulltext_chars": 500}),
        "similar": await client.call_tool("similar_papers", {"paper_id": ALICE_PAPERS[0], "limit": 5}),
        "recommend": await client.call_tool("recommend_for_user", {"limit": 10}),
        "trends": await client.call_tool("keyword_trends", {"terms": "diffusion, transformer"}),
        "hot": await client.call_tool("hot_terms", {"limit": 5}),
        "resource": await client.read_resource(f"papersift://paper/{ALICE_PAPERS[0]}"),
    }


def run_client(client_factory: Callable[[], Any], script: Callable[[Any], Any]) -> Any:
    """Open an SDK Client, run `await script(client)`, return what it returns."""
    async def main():
        async with client_factory() as client:
            return await script(client)

    # in a thread of its own: the browser tests of the same run keep an event loop running in
    # the main thread (Playwright's sync API), where anyio.run would refuse to start
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, main).result()


def stdio_client_factory(sample: Sample, *args: str, errlog: Path, **settings: str):
    """A factory of SDK Clients that start `papersift mcp ARGS` and talk to it over stdio
    (the server's stderr appended to `errlog`)."""
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=papersift_command()[0], args=["mcp", *args],
                                   env=sample.env(**settings), cwd=str(sample.root))

    @asynccontextmanager
    async def factory():
        with errlog.open("a") as err:
            async with Client(stdio_client(params, errlog=err), read_timeout_seconds=120) as client:
                yield client
    return factory


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
