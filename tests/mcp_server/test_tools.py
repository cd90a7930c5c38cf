"""The MCP tools in-process (the SDK's client on the server object): the same answers as the
JSON API, the API's validation, size caps and the write switch."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from mcp_server.adapter import user_id_by_name
from mcp_server.server import build_server
from mcp_server.tools import MAX_RESULT_CHARS, Identity, capped
from tests.helpers.mcp import ALICE_PAPERS, BOB_PAPERS, library_of, run_client

HOSTILE = ["\x00", "a\x00b", "\u202e\u0000evil", "' OR 1=1 --", "<script>alert(1)</script>",
           "%00%2e%2e/", "\ud7ff" * 50, "author:" + "x" * 900, '"' * 999, "cat:../../etc", "id:;rm -rf"]


def call(app, name: str, args: dict, *, user: str | None = "alice", writes: bool = False):
    with app.app_context():
        user_id = user_id_by_name(user) if user else None
    server = build_server(app, Identity(stdio_user_id=user_id), writes=writes)

    async def script(client):
        return await client.call_tool(name, args)
    return run_client(lambda: Client(server), script)


def ok(result) -> dict:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def refused(result) -> str:
    assert result.is_error, result.content[0].text[:300]
    return result.content[0].text


def test_search_answers_as_the_json_api_does(mcp_app):
    api = mcp_app.test_client().get("/api/search?q=diffusion+model&cat=cs.CV&per_page=7").get_json()
    tool = ok(call(mcp_app, "search_papers", {"query": "diffusion model", "category": "cs.CV",
                                              "limit": 7}))
    assert tool["total"] == api["total"] > 7
    assert [r["id"] for r in tool["results"]] == [r["paper"]["id"] for r in api["results"]]
    assert (tool["semantic"], tool["score_kind"]) == (api["semantic"], api["score_kind"])


def test_similar_papers_are_the_api_s(mcp_app):
    api = mcp_app.test_client().get(f"/api/papers/{ALICE_PAPERS[1]}").get_json()
    tool = ok(call(mcp_app, "similar_papers", {"paper_id": f"arXiv:{ALICE_PAPERS[1]}v1", "limit": 10}))
    assert [s["id"] for s in tool["similar"]] == [s["id"] for s in api["similar"]]


def test_trends_and_hot_terms_are_the_api_s(mcp_app):
    client = mcp_app.test_client()
    api = client.get("/api/trends?q=diffusion,graph+neural&cat=cs.LG&smooth=3").get_json()
    tool = ok(call(mcp_app, "keyword_trends", {"terms": "diffusion, graph neural", "category": "cs.LG",
                                               "smooth": 3}))
    assert tool == api
    hot_api = client.get("/api/hot?n=7").get_json()
    assert ok(call(mcp_app, "hot_terms", {"limit": 7})) == hot_api


def test_get_paper_gives_the_api_s_metadata_and_a_capped_full_text(mcp_app):
    from store.fulltext import record_result
    from web import db

    paper_id = BOB_PAPERS[1]
    with db.transaction(mcp_app.extensions["papersift.engine"]) as conn:
        record_result(conn, paper_id, 1, status="ok", text="Introduction. " * 5000)
    api = mcp_app.test_client().get(f"/api/papers/{paper_id}").get_json()["paper"]
    tool = ok(call(mcp_app, "get_paper", {"paper_id": paper_id, "fulltext_chars": 300}))
    assert {k: tool[k] for k in api} == api
    assert tool["fulltext"] == ("Introduction. " * 5000)[:300] and tool["fulltext_chars"] == 14 * 5000
    assert "fulltext" not in ok(call(mcp_app, "get_paper", {"paper_id": paper_id}))
    assert "less than or equal to 20000" in refused(
        call(mcp_app, "get_paper", {"paper_id": paper_id, "fulltext_chars": 10**7}))


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_search_strings_get_an_answer_or_a_clear_error(mcp_app, query):
    result = call(mcp_app, "search_papers", {"query": query})
    text = result.content[0].text
    if result.is_error:
        assert "Error executing tool search_papers" in text and "Traceback" not in text
        assert text != "Error executing tool search_papers"      # a crash would say only this
    else:
        assert json.loads(text)["query"] == query


@pytest.mark.parametrize("paper_id", HOSTILE + ["2604.1079", "9999.99999", "hep-th/9913001"])
def test_bad_paper_ids_are_refused_with_a_message(mcp_app, paper_id):
    for tool in ("get_paper", "similar_papers"):
        message = refused(call(mcp_app, tool, {"paper_id": paper_id}))
        assert "not an arXiv id" in message or "No paper" in message or "at most 200" in message


@pytest.mark.parametrize(("tool", "args", "message"), [
    ("search_papers", {"query": "x", "limit": 0}, "greater than or equal to 1"),
    ("search_papers", {"query": "x", "limit": 201}, "less than or equal to 200"),
    ("search_papers", {"query": "x", "page": -1}, "greater than or equal to 1"),
    ("search_papers", {"query": "x", "limit": "ten"}, "valid integer"),
    ("search_papers", {"query": "x", "sort": "random"}, "'relevance' or 'date'"),
    ("search_papers", {"query": "year:20x0"}, "year"),
    ("search_papers", {"query": "x", "category": "c" * 41}, "at most 40"),
    ("search_papers", {"query": ""}, "at least 1"),
    ("similar_papers", {"paper_id": ALICE_PAPERS[0], "limit": 51}, "less than or equal to 50"),
    ("recommend_for_user", {"limit": 10**6}, "less than or equal to 100"),
    ("recommend_for_user", {"tags": [str(i) for i in range(21)]}, "at most 20"),
    ("recommend_for_user", {"category": "not a category"}, "not an arXiv category"),
    ("keyword_trends", {"terms": "x" * 501}, "at most 500"),
    ("keyword_trends", {"terms": "attention", "since": "2026-01", "until": "2025-01"}, "after"),
    ("keyword_trends", {"terms": " , "}, "at least one keyword"),
    ("hot_terms", {"limit": 101}, "less than or equal to 100"),
    ("hot_terms", {"month": "1999-01"}, ""),
    ("library_add", {"paper_ids": []}, "at least 1"),
    ("get_paper", {}, "paper_id"),
    ("get_paper", {"paper_id": ALICE_PAPERS[0], "user_id": 2}, "no argument 'user_id'"),
])
def test_arguments_out_of_bounds_are_refused_with_the_rule(mcp_app, tool, args, message):
    assert message in refused(call(mcp_app, tool, args, writes=True))


def test_recommendations_use_only_the_server_s_user(mcp_app):
    alice = ok(call(mcp_app, "recommend_for_user", {"limit": 50}, user="alice"))
    bob = ok(call(mcp_app, "recommend_for_user", {"limit": 50}, user="bob"))
    assert alice["library_papers_used"] == len(ALICE_PAPERS)
    assert bob["library_papers_used"] == len(BOB_PAPERS)
    assert not {p["id"] for p in alice["papers"]} & set(ALICE_PAPERS)
    assert not {p["id"] for p in bob["papers"]} & set(BOB_PAPERS)
    assert [p["id"] for p in alice["papers"]] != [p["id"] for p in bob["papers"]]
    empty = ok(call(mcp_app, "recommend_for_user", {}, user="dave"))
    assert empty["papers"] == [] and "library is empty" in empty["note"]


def test_writes_off_change_nothing(mcp_app):
    before = library_of(mcp_app, "alice")
    message = refused(call(mcp_app, "library_add", {"paper_ids": [BOB_PAPERS[0]]}, writes=False))
    assert "off" in message and "PAPERSIFT_MCP_WRITES" in message
    assert library_of(mcp_app, "alice") == before


def test_results_are_capped_in_size(mcp_app):
    result = ok(call(mcp_app, "search_papers", {"query": "learning", "limit": 200}))
    assert result["total"] > 200
    assert result.get("truncated") is True and 0 < len(result["results"]) < 200
    assert len(json.dumps(result, ensure_ascii=False)) <= MAX_RESULT_CHARS


def test_capped_refuses_what_it_cannot_trim():
    from mcp.server.mcpserver.exceptions import ToolError

    with pytest.raises(ToolError, match="fewer terms"):
        capped({"terms": {"x": "y" * (MAX_RESULT_CHARS + 1)}})
    small = {"results": [1, 2, 3]}
    assert capped(small) == {"results": [1, 2, 3]}


def test_paper_resource_reads_and_unknown_ids_are_errors(mcp_app):
    from mcp import MCPError

    server = build_server(mcp_app, Identity(), writes=False)

    async def script(client):
        found = await client.read_resource(f"papersift://paper/{ALICE_PAPERS[0]}")
        with pytest.raises(MCPError, match="No paper"):
            await client.read_resource("papersift://paper/2604.99999")
        with pytest.raises(MCPError, match="not an arXiv id"):
            await client.read_resource("papersift://paper/DROP TABLE")
        with pytest.raises(MCPError, match="Unknown resource"):      # the SDK's own traversal guard
            await client.read_resource("papersift://paper/..%2F..%2Fsecret")
        return found

    found = run_client(lambda: Client(server), script)
    assert json.loads(found.contents[0].text)["id"] == ALICE_PAPERS[0]


def test_before_the_first_index_the_tools_say_what_to_run(app):
    """A fresh papersift (no papers, no index): errors that name the command, not crashes."""
    assert "papersift index" in refused(call(app, "search_papers", {"query": "diffusion"}, user=None))
    assert "papersift index" in refused(call(app, "keyword_trends", {"terms": "diffusion"}, user=None))
    assert "papersift index" in refused(call(app, "hot_terms", {}, user=None))
    assert "No paper" in refused(call(app, "similar_papers", {"paper_id": ALICE_PAPERS[0]}, user=None))
