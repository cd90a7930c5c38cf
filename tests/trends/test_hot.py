"""Hot and cooling terms: the exact ratio, the support threshold, the reference month."""

from __future__ import annotations

import numpy as np
import pytest

from recommend.trend_hot import category_totals, hot_report, trends_report
from recommend.trend_query import TrendQueryError, parse_month
from tests.trends.corpus import HOT_PAPERS, hot_docs, small_docs, table_of


@pytest.fixture(scope="module")
def table():
    return table_of(hot_docs())


def terms(items):
    return [(i["term"], i["ratio"]) for i in items]


def test_ratio_of_recent_max_to_earlier_max(table):
    report = hot_report(table, min_support=5)
    assert report["month"] == "2023-12" and report["window_start"] == "2023-01"
    assert terms(report["hot"]) == [("diffusion", 5.0), ("spike", pytest.approx(0.8 / 0.6, abs=1e-4))]
    assert terms(report["cooling"]) == [("fading", 0.0), ("lstm", 0.25)]
    diffusion = report["hot"][0]
    assert diffusion["recent_max"] == 0.5 and diffusion["before_max"] == 0.0
    assert diffusion["recent_papers"] == 60 and diffusion["before_papers"] == 0


def test_support_threshold_keeps_rare_terms_out(table):
    assert "rare" not in [i["term"] for i in hot_report(table, min_support=5)["hot"]]
    low = hot_report(table, min_support=2)
    assert terms(low["hot"])[:2] == [("diffusion", 5.0), ("rare", 2.0)]
    high = hot_report(table, min_support=9)
    assert terms(high["hot"]) == [("diffusion", 5.0)]  # spike has 8 recent papers


def test_n_limits_each_list(table):
    report = hot_report(table, min_support=1, n=1)
    assert len(report["hot"]) == 1 and len(report["cooling"]) == 1


def test_sparklines_are_monthly_fractions_up_to_the_reference_month(table):
    report = hot_report(table, min_support=5, spark_months=24)
    assert report["months"][0] == "2022-01" and report["months"][-1] == "2023-12"
    lstm = next(i for i in report["cooling"] if i["term"] == "lstm")
    assert lstm["series"] == [0.4] * 12 + [0.1] * 12


def test_reference_month_is_selectable(table):
    report = hot_report(table, month=parse_month("2023-06"), min_support=5)
    assert report["month"] == "2023-06" and report["window_start"] == "2022-07"
    assert terms(report["hot"]) == [("diffusion", 5.0)]
    assert terms(report["cooling"]) == [("spike", 0.0)]


def test_no_history_before_the_window_is_a_notice(table):
    report = hot_report(table, month=parse_month("2022-12"))
    assert report["hot"] == [] and report["cooling"] == []
    assert "before" in report["notice"]


def test_month_outside_the_table_is_an_error(table):
    with pytest.raises(TrendQueryError, match="no papers in 2030-01"):
        hot_report(table, month=parse_month("2030-01"))


def test_trends_report_has_the_documented_shape():
    table = table_of(small_docs())
    texts = {d.id: d.text for d in small_docs()}
    report = trends_report(table, "transformer, transfomer, graph neural network",
                           fetch=lambda ids: {i: texts[i] for i in ids})
    assert list(report["terms"]) == ["transformer", "transfomer", "graph neural network"]
    first = report["terms"]["transformer"][0]
    assert first == {"month": "2023-11", "papers": 2, "count": 1, "fraction": 0.5}
    assert report["suggestions"] == {"transfomer": ["transformer"]}
    assert len(report["notices"]) == 2  # the unknown term and the phrase scan
    assert all(0 <= r["fraction"] <= 1 for rows in report["terms"].values() for r in rows
               if r["fraction"] is not None)


@pytest.mark.parametrize("kw, message", [
    ({"smooth": 0}, "smoothing"), ({"smooth": 25}, "smoothing"),
    ({"since": parse_month("2024-02"), "until": parse_month("2024-01")}, "after"),
])
def test_trends_report_rejects_bad_options(kw, message):
    with pytest.raises(TrendQueryError, match=message):
        trends_report(table_of(small_docs()), "transformer", **kw)


def test_category_totals_add_up_to_the_monthly_totals():
    table = table_of(small_docs())
    totals = category_totals(table, top=2)
    assert totals["months"][0] == "2023-11" and totals["total"] == [2, 3, 3, 0, 1]
    assert list(totals["categories"]) == ["cs.CL", "cs.LG", "other"]  # 3 primary papers each
    summed = np.sum([v for v in totals["categories"].values()], axis=0)
    assert list(summed) == totals["total"]
    assert totals["categories"]["other"] == [1, 0, 1, 0, 1]  # cs.CV a1, c1 and stat.ML d1


def test_every_hot_paper_count_matches_the_corpus(table):
    row = table.row("diffus")   # the table's terms are stems
    assert int(table.df[row]) == 12 * 5
    assert list(table.totals) == [HOT_PAPERS] * 24


def test_figures_stored_with_the_index_match_computing_them(table):
    from dataclasses import replace

    assert table.heat is not None  # the newest month was computed when the table was built
    stored = hot_report(table, min_support=2)
    computed = hot_report(replace(table, heat=None), min_support=2)
    assert stored == computed
