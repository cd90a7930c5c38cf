"""`papersift mcp --transport http`: streamable HTTP behind the site's login, per-user tokens."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx2
import pytest

from mcp_server.catalog import TOOLS
from mcp_server.tokens import issue_token
from tests.helpers.mcp import (
    ALICE_PAPERS,
    BOB_PAPERS,
    BOB_TAG,
    RATE,
    call_every_read_tool,
    library_of,
    run_client,
)

pytestmark = pytest.mark.slow
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


def ok(result) -> dict:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def post(url: str, token: str | None, **headers: str) -> httpx2.Response:
    headers = {"Accept": "application/json, text/event-stream", **headers}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx2.post(url, json=INITIALIZE, headers=headers, timeout=30)


def test_requests_without_a_valid_token_are_refused(http_server, mcp_app):
    from store.sessions import end_session, start_session
    from web import db

    alice = _user(mcp_app, "alice")
    with db.transaction(mcp_app.extensions["papersift.engine"]) as conn:
        login = start_session(conn, alice.id, timedelta(days=1))
        other_key = issue_token("not-the-site-key", login)
        ended = start_session(conn, alice.id, timedelta(days=1))
        end_session(conn, ended)
    # the site's key, but a login that ended: what a stolen old token looks like
    old_login = issue_token(mcp_app.config["SECRET_KEY"], ended)
    for token in (None, "garbage", other_key, old_login, http_server.token("alice") + "x"):
        response = post(http_server.url, token)
        assert response.status_code == 401, (token, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert post(http_server.url, http_server.token("alice")).status_code == 200


def test_only_the_site_s_own_host_is_served(http_server):
    """A reverse proxy passing the site's Host works; another name (DNS rebinding) does not."""
    token = http_server.token("alice")
    assert post(http_server.url, token, Host="papers.example.org").status_code == 200
    assert post(http_server.url, token, Host="evil.example").status_code in {400, 403, 421}


def test_each_token_sees_its_own_user_only(http_server, mcp_app):
    async def script(client):
        tools = (await client.list_tools()).tools
        reco = await client.call_tool("recommend_for_user", {"limit": 20})
        search = await client.call_tool("search_papers", {"query": "attention", "limit": 3})
        trends = await client.call_tool("keyword_trends", {"terms": "attention"})
        bad = await client.call_tool("similar_papers", {"paper_id": "1234.nope"})
        return tools, reco, search, trends, bad

    tools, alice, search, trends, bad = run_client(http_server.client(http_server.token("alice")), script)
    assert {t.name for t in tools} == set(TOOLS)
    alice = ok(alice)
    assert alice["library_papers_used"] == len(ALICE_PAPERS)
    assert not {p["id"] for p in alice["papers"]} & set(ALICE_PAPERS)
    assert ok(search)["total"] > 0 and "attention" in ok(trends)["terms"]
    assert bad.is_error and "not an arXiv id" in bad.content[0].text

    _, bob, *_ = run_client(http_server.client(http_server.token("bob")), script)
    bob = ok(bob)
    assert bob["library_papers_used"] == len(BOB_PAPERS)
    assert not {p["id"] for p in bob["papers"]} & set(BOB_PAPERS)


def test_writes_go_to_the_token_s_user_and_never_touch_another_library(http_server, mcp_app):
    bob_before = library_of(mcp_app, "bob")

    async def script(client):
        added = await client.call_tool("library_add", {"paper_ids": [BOB_PAPERS[1]], "tag": "http"})
        untag = await client.call_tool("library_tags", {"paper_id": BOB_PAPERS[0], "remove": [BOB_TAG]})
        spoof = await client.call_tool("library_add", {"paper_ids": [ALICE_PAPERS[0]], "user": "bob"})
        return added, untag, spoof

    added, untag, spoof = run_client(http_server.client(http_server.token("erin")), script)
    assert ok(added)["added"] == [BOB_PAPERS[1]]
    assert ok(untag)["not_tagged"] == [BOB_TAG]
    assert spoof.is_error and "no argument 'user'" in spoof.content[0].text
    assert library_of(mcp_app, "erin")[BOB_PAPERS[1]] == ["http"]
    assert library_of(mcp_app, "bob") == bob_before


def test_each_user_s_calls_are_rate_limited_on_their_own(http_server):
    async def spend(client):
        return [await client.call_tool("get_paper", {"paper_id": ALICE_PAPERS[0]}) for _ in range(RATE + 1)]

    results = run_client(http_server.client(http_server.token("carol")), spend)
    assert not any(r.is_error for r in results[:RATE])
    assert results[RATE].is_error and "Too many requests" in results[RATE].content[0].text

    async def one(client):
        return await client.call_tool("get_paper", {"paper_id": ALICE_PAPERS[0]})
    assert not run_client(http_server.client(http_server.token("alice")), one).is_error


def test_changing_the_password_ends_the_token(http_server, mcp_app):
    from store.sessions import change_password
    from web import db

    token = http_server.token("dave")
    assert post(http_server.url, token).status_code == 200
    with db.transaction(mcp_app.extensions["papersift.engine"]) as conn:
        change_password(conn, _user(mcp_app, "dave").id, "a brand new password")
    assert post(http_server.url, token).status_code == 401
    assert post(http_server.url, http_server.token("dave")).status_code == 200


def test_mcp_token_command_prints_a_working_token(http_server, mcp_app):
    done = mcp_app.test_cli_runner().invoke(args=["mcp-token", "alice"])
    assert done.exit_code == 0
    assert post(http_server.url, done.output.strip()).status_code == 200
    missing = mcp_app.test_cli_runner().invoke(args=["mcp-token", "mallory"])
    assert missing.exit_code != 0 and "No account 'mallory'" in missing.output


def _user(app, username: str):
    from store.users import find_user

    with app.extensions["papersift.engine"].connect() as conn:
        user = find_user(conn, username)
    assert user is not None
    return user


def test_every_read_tool_and_the_paper_resource_answer_over_http(http_server):
    calls = run_client(http_server.client(http_server.token("alice")), call_every_read_tool)
    assert len(ok(calls["search"])["results"]) == 5
    assert ok(calls["paper"])["id"] == ALICE_PAPERS[0]
    assert len(ok(calls["similar"])["similar"]) == 5
    recommend = ok(calls["recommend"])
    assert len(recommend["papers"]) == 10 and not {p["id"] for p in recommend["papers"]} & set(ALICE_PAPERS)
    assert set(ok(calls["trends"])["terms"]) == {"diffusion", "transformer"}
    hot = ok(calls["hot"])
    assert {"hot", "cooling", "emerging"} <= set(hot) and len(hot["hot"]) == 3
    resource = json.loads(calls["resource"].contents[0].text)
    assert resource["id"] == ALICE_PAPERS[0] and resource["title"]
