"""`papersift trends` and `papersift hot`: tables, CSV, JSON in the documented shapes, errors."""

from __future__ import annotations

import csv
import io
import json


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_trends_table(small_app):
    result = run(small_app, "trends", "transformer", "batch normalization")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["month", "papers", "transformer", "batch"]
    assert lines[1].split() == ["2023-11", "2", "1", "50.00%", "1", "50.00%"]
    assert lines[4].split() == ["2024-02", "0", "-", "-"]


def test_trends_json_shape(small_app):
    result = run(small_app, "trends", "transformer,graph neural network", "--category", "cs.CV",
                 "--since", "2024-01", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["terms"]["transformer"] == [
        {"month": "2024-01", "papers": 2, "count": 2, "fraction": 1.0},
        {"month": "2024-02", "papers": 0, "count": 0, "fraction": None},
        {"month": "2024-03", "papers": 0, "count": 0, "fraction": None}]
    assert [r["count"] for r in body["terms"]["graph neural network"]] == [1, 0, 0]
    assert body["category"] == "cs.CV" and any("scanning" in n for n in body["notices"])


def test_trends_csv(small_app):
    result = run(small_app, "trends", "transformer", "--csv", "--smooth", "2")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["fraction"] for r in rows] == ["0.500000", "0.600000", "0.833333", "1.000000", "0.000000"]


def test_trends_unknown_term_suggests(small_app):
    result = run(small_app, "trends", "transfomer")
    assert result.exit_code == 0
    assert "did you mean for 'transfomer': transformer" in result.output


def test_trends_bad_input_exits_2(small_app):
    for args in (["trends", "of the"], ["trends", "transformer", "--since", "May"],
                 ["hot", "--month", "2019-01"]):
        result = run(small_app, *args)
        assert result.exit_code == 2, args
        assert "Error:" in result.output


def test_hot_without_enough_history_says_so(small_app):
    # two months of papers up to 2023-12: too few to compare a recent window with
    result = run(small_app, "hot", "--json", "--month", "2023-12")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["month"] == "2023-12" and body["hot"] == [] and body["emerging"] == []
    assert body["windows"] is None and "Too few months" in body["notice"]
    text = run(small_app, "hot", "--month", "2023-12")
    assert text.exit_code == 0 and "(none)" in text.output and "no windows" in text.output


def test_hot_says_which_windows_it_compared(small_app):
    body = json.loads(run(small_app, "hot", "--json", "--min-support", "1").output)
    assert body["windows"]["recent"] == {"start": "2024-03", "end": "2024-03", "months": 1, "papers": 1}
    assert body["windows"]["baseline"]["start"] == "2023-11"
    text = run(small_app, "hot", "--recent", "2", "--category", "cs.CV")
    assert text.exit_code == 0, text.output
    assert text.output.startswith("2024-02 .. 2024-03 (2 months, 0 papers) against 2023-11 .. 2024-01")
    assert "in cs.CV" in text.output and "Emerging:" in text.output


def test_without_an_index_the_commands_say_what_to_run(runner):
    for args in (["trends", "transformer"], ["hot"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "papersift index" in result.output


def test_hot_command_defaults_are_the_reports():
    import cli.trends
    from recommend import trend_hot

    assert (cli.trends.TOP, cli.trends.MIN_SUPPORT) == (trend_hot.TOP, trend_hot.MIN_SUPPORT)
