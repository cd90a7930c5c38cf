"""`papersift mcp` over stdio, as a desktop assistant starts it, driven by the SDK's client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_server.catalog import PAPER_URI, TOOLS
from recommend.search_query import MAX_QUERY_CHARS
from tests.helpers.mcp import (
    ALICE_PAPERS,
    BOB_PAPERS,
    BOB_TAG,
    call_every_read_tool,
    library_of,
    run_client,
    stdio_client_factory,
)

pytestmark = pytest.mark.slow


def body(result) -> dict:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def error_text(result) -> str:
    assert result.is_error, f"expected an error result, got {result.content[0].text[:300]}"
    return result.content[0].text


@pytest.fixture
def errlog(tmp_path: Path) -> Path:
    return tmp_path / "mcp-stderr.log"


def test_alice_lists_tools_and_calls_each_read_tool(mcp_sample, errlog):
    async def script(client):
        tools = (await client.list_tools()).tools
        templates = (await client.list_resource_templates()).resource_templates
        return tools, templates, await call_every_read_tool(client)

    factory = stdio_client_factory(mcp_sample, "--user", "alice", errlog=errlog)
    tools, templates, calls = run_client(factory, script)

    assert {t.name for t in tools} == set(TOOLS)
    for t in tools:
        assert t.description and t.input_schema["type"] == "object" and t.input_schema["properties"]
    assert [t.uri_template for t in templates] == [PAPER_URI]

    search = body(calls["search"])
    assert search["total"] > 5 and len(search["results"]) == 5
    assert all("attention" in (r["title"] + r["snippet"]).lower() or "transformer" in
               (r["title"] + r["snippet"]).lower() for r in search["results"])

    paper = body(calls["paper"])
    assert paper["id"] == ALICE_PAPERS[0] and "attention" in paper["abstract"].lower()
    assert "fulltext" in paper     # the sample has no full texts: null, said so, not left out

    similar = body(calls["similar"])
    scores = [s["score"] for s in similar["similar"]]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)
    assert ALICE_PAPERS[0] not in {s["id"] for s in similar["similar"]}

    recommend = body(calls["recommend"])
    assert recommend["library_papers_used"] == len(ALICE_PAPERS)
    assert len(recommend["papers"]) == 10
    assert not {p["id"] for p in recommend["papers"]} & set(ALICE_PAPERS)   # saved ones never

    trends = body(calls["trends"])
    assert list(trends["terms"]) == ["diffusion", "transformer"]
    assert any(row["count"] > 0 for row in trends["terms"]["diffusion"])

    hot = body(calls["hot"])
    assert len(hot["hot"]) == 3 and all(item["term"] for item in hot["hot"])   # of 4 on the sample

    resource = json.loads(calls["resource"].contents[0].text)
    assert resource["id"] == ALICE_PAPERS[0] and resource["title"] == paper["title"]


def test_bad_input_gets_error_results_and_the_server_keeps_answering(mcp_sample, errlog):
    bad_calls = [
        ("search_papers", {"query": "x", "limit": 10**9}),
        ("search_papers", {"query": "x", "category": "'; DROP TABLE papers; --"}),
        ("search_papers", {"query": "a" * (MAX_QUERY_CHARS + 1)}),
        ("search_papers", {"query": "x", "window": "forever"}),
        ("get_paper", {"paper_id": "../../etc/passwd"}),
        ("get_paper", {"paper_id": "2604.99999"}),
        ("get_paper", {"paper_id": "\x00\x01"}),
        ("similar_papers", {"paper_id": "not an id", "limit": 5}),
        ("keyword_trends", {"terms": "transformer", "since": "2025-13"}),
        ("hot_terms", {"month": "yesterday"}),
        ("recommend_for_user", {"user": "bob"}),
        ("no_such_tool", {}),
    ]

    async def script(client):
        results = [await client.call_tool(name, args) for name, args in bad_calls]
        after = await client.call_tool("search_papers", {"query": "diffusion", "limit": 1})
        return results, after

    results, after = run_client(stdio_client_factory(mcp_sample, "--user", "alice", errlog=errlog), script)
    messages = [error_text(r) for r in results]
    assert "less than or equal to 200" in messages[0]
    assert "not an arXiv category" in messages[1]
    assert "not an arXiv id" in messages[4] and "No paper '2604.99999'" in messages[5]
    assert "YYYY-MM" in messages[8]
    assert "has no argument 'user'" in messages[10]
    assert body(after)["total"] > 0


def test_writes_are_refused_unless_enabled(mcp_sample, mcp_app, errlog):
    before = library_of(mcp_app, "alice")

    async def script(client):
        return (await client.call_tool("library_add", {"paper_ids": [BOB_PAPERS[0]]}),
                await client.call_tool("library_tags", {"paper_id": ALICE_PAPERS[0], "add": ["x"]}))

    add, tag = run_client(stdio_client_factory(mcp_sample, "--user", "alice", errlog=errlog), script)
    assert "PAPERSIFT_MCP_WRITES" in error_text(add) and "PAPERSIFT_MCP_WRITES" in error_text(tag)
    assert library_of(mcp_app, "alice") == before


def test_enabled_writes_change_only_the_configured_users_library(mcp_sample, mcp_app, errlog):
    bob_before = library_of(mcp_app, "bob")

    async def script(client):
        added = await client.call_tool("library_add", {"paper_ids": [BOB_PAPERS[0], "2604.99999"],
                                                       "tag": "to read"})
        tagged = await client.call_tool("library_tags", {"paper_id": BOB_PAPERS[0], "add": ["mamba"],
                                                         "remove": ["to read", BOB_TAG]})
        hostile = await client.call_tool("library_tags", {"paper_id": BOB_PAPERS[0], "add": ["a\x00b"]})
        return added, tagged, hostile

    factory = stdio_client_factory(mcp_sample, "--user", "carol", errlog=errlog, PAPERSIFT_MCP_WRITES="1")
    added, tagged, hostile = run_client(factory, script)
    assert body(added)["added"] == [BOB_PAPERS[0]] and body(added)["unknown"] == ["2604.99999"]
    assert body(tagged)["tags"] == ["mamba"]
    assert body(tagged)["not_tagged"] == [BOB_TAG]        # bob's tag is not carol's to remove
    assert "control characters" in error_text(hostile)
    assert library_of(mcp_app, "carol") == {BOB_PAPERS[0]: ["mamba"]}
    assert library_of(mcp_app, "bob") == bob_before


def test_without_a_user_the_personal_tools_say_how_to_configure_one(mcp_sample, errlog):
    async def script(client):
        return (await client.call_tool("recommend_for_user", {}),
                await client.call_tool("search_papers", {"query": "diffusion", "limit": 1}))

    reco, search = run_client(stdio_client_factory(mcp_sample, errlog=errlog), script)
    assert "--user" in error_text(reco)
    assert body(search)["total"] > 0


def test_an_unknown_user_stops_the_server_with_a_message(mcp_app):
    done = mcp_app.test_cli_runner().invoke(args=["mcp", "--user", "mallory"])
    assert done.exit_code != 0 and "No account 'mallory'" in done.output


def test_help_lists_every_tool(mcp_app):
    done = mcp_app.test_cli_runner().invoke(args=["mcp", "--help"])
    assert done.exit_code == 0
    for name in TOOLS:
        assert f"  {name} " in done.output
    assert "papersift://paper/" in done.output


def test_the_user_can_come_from_the_setting(mcp_sample, errlog):
    async def script(client):
        return await client.call_tool("recommend_for_user", {"limit": 5})

    reco = body(run_client(stdio_client_factory(mcp_sample, errlog=errlog, PAPERSIFT_MCP_USER="bob"), script))
    assert reco["library_papers_used"] == len(BOB_PAPERS)
    assert not {p["id"] for p in reco["papers"]} & set(BOB_PAPERS)
