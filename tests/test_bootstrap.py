"""What `make run` does before serving: import the sample once, index only when needed."""

import json

from tests.helpers.paths import SAMPLE_DIR


def _status(runner) -> dict:
    result = runner.invoke(args=["status", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_bootstrap_imports_the_sample_once_and_indexes(runner):
    first = runner.invoke(args=["bootstrap"])
    assert first.exit_code == 0, first.output
    assert "importing the sample corpus" in first.output
    status = _status(runner)
    assert status["papers"] == 4001
    assert status["index"]["n_docs"] == 4001 and status["index"]["current"] is True
    version = status["index"]["version"]

    second = runner.invoke(args=["bootstrap"])
    assert second.exit_code == 0, second.output
    assert "importing" not in second.output
    assert "not rebuilt" in second.output
    assert _status(runner)["index"]["version"] == version


def test_index_rebuilds_only_after_the_store_changes(runner):
    assert runner.invoke(args=["bootstrap"]).exit_code == 0
    version = _status(runner)["index"]["version"]
    assert "not rebuilt" in runner.invoke(args=["index"]).output

    extra = SAMPLE_DIR.parent.parent / "tests" / "data" / "one_paper.jsonl"
    result = runner.invoke(args=["import", str(extra)])
    assert result.exit_code == 0, result.output
    status = _status(runner)
    assert status["index"]["current"] is False

    rebuilt = runner.invoke(args=["index"])
    assert rebuilt.exit_code == 0 and "Updated" in rebuilt.output and "+1 new" in rebuilt.output
    status = _status(runner)
    assert status["index"]["version"] != version
    assert status["index"]["n_docs"] == 4002 and status["index"]["current"] is True


def test_status_text_reports_papers_and_categories(runner):
    runner.invoke(args=["bootstrap"])
    result = runner.invoke(args=["status"])
    assert result.exit_code == 0
    assert "papers: 4,001" in result.output
    assert "cs.CV" in result.output
    assert "first-version dates: 2025-03-18 .. 2026-04-30" in result.output
