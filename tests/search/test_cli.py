"""`papersift search QUERY [-n N] [--json]`."""

from __future__ import annotations

import json

from recommend.search_query import MAX_QUERY_CHARS


def test_search_prints_ranked_lines(sample_app, sample_records):
    record = sample_records[10]
    result = sample_app.test_cli_runner().invoke(args=["search", record["title"], "-n", "3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "papers match" in lines[0] and "1 with every word" in lines[0]
    assert lines[1].split()[1] == record["id"]
    assert len(lines) == 1 + min(3, int(lines[0].split()[0]))
    result = sample_app.test_cli_runner().invoke(args=["search", "diffusion", "-n", "3"])
    assert "papers match" in result.output and len(result.output.splitlines()) == 4


def test_search_json(sample_app):
    result = sample_app.test_cli_runner().invoke(
        args=["search", "reinforcement", "learning", "-n", "5", "--json", "--cat", "cs.CV"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["query"] == "reinforcement learning" and body["total"] > 5
    assert len(body["results"]) == 5
    assert all("cs.CV" in r["categories"] for r in body["results"])
    assert all("reinforcement" in r["snippet"].lower() for r in body["results"])


def test_bad_query_is_a_usage_error(sample_app):
    runner = sample_app.test_cli_runner()
    result = runner.invoke(args=["search", "year:abcd"])
    assert result.exit_code == 2 and "year:abcd" in result.output
    result = runner.invoke(args=["search", "x" * (MAX_QUERY_CHARS + 1)])
    assert result.exit_code == 2 and "too long" in result.output


def test_without_an_index(runner):
    result = runner.invoke(args=["search", "graph"])
    assert result.exit_code == 1 and "papersift index" in result.output
