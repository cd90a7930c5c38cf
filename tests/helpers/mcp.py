"""The MCP server in tests: the sample users' papers, clients over stdio and HTTP, and the read tools."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from tests.helpers.e2e import papersift_command, server_env

ALICE_PAPERS = ("2604.10791", "2505.21535", "2505.22195")     # attention and transformers
BOB_PAPERS = ("2601.16220", "2504.04787")
BOB_TAG = "bobs-private-tag"
RATE = 30                                # tool calls one user may make a minute over HTTP


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
        "hot": await client.call_tool("hot_terms", {"limit": 3}),
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
