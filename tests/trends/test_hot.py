"""Hot, cooling and emerging terms: windows, scores with evidence, folded variants,
emerging terms with their first month, the category filter and the generic-term list."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from recommend.index import Doc
from recommend.trend_fold import fold_words
from recommend.trend_hot import category_totals, hot_report, trends_report
from recommend.trend_query import TrendQueryError, parse_month
from recommend.trend_windows import Windows, choose_windows, movement
from tests.trends.corpus import HOT_PAPERS, hot_docs, planted_docs, small_docs, table_of


@pytest.fixture(scope="module")
def table():
    return table_of(hot_docs())


def terms(items):
    return [i["term"] for i in items]


# -- windows ----------------------------------------------------------------------------

@pytest.mark.parametrize("ref, expected", [
    (119, Windows(102, 114, 119)),   # ten years: the last 6 months against the 12 before
    (23, Windows(6, 18, 23)),
    (13, Windows(0, 11, 13)),        # fourteen months: the last 3 against the 11 before
    (8, Windows(0, 6, 8)),
    (4, Windows(0, 4, 4)),           # five months: the last one against the 4 before
    (2, Windows(0, 2, 2)),
])
def test_windows_fit_the_span_held(ref, expected):
    assert choose_windows(ref) == expected


def test_too_few_months_have_no_windows_and_lengths_can_be_asked_for():
    assert choose_windows(1) is None and choose_windows(0) is None
    assert choose_windows(23, recent=3, baseline=6) == Windows(15, 21, 23)
    assert choose_windows(5, recent=3, baseline=12) == Windows(0, 3, 5)  # baseline cut to fit
    assert choose_windows(2, recent=3) is None


def test_report_says_which_windows_it_compared(table):
    report = hot_report(table, min_support=5)
    assert report["month"] == "2023-12"
    assert report["windows"] == {
        "recent": {"start": "2023-07", "end": "2023-12", "months": 6, "papers": 240},
        "baseline": {"start": "2022-07", "end": "2023-06", "months": 12, "papers": 480}}


# -- scores -----------------------------------------------------------------------------

def test_llr_is_the_signed_g_test_of_the_two_windows():
    a, b = np.array([30.0, 10.0, 75.0]), np.array([20.0, 40.0, 100.0])
    fig = movement(a, b, 300, 400)
    for k in range(3):
        g2 = chi2_contingency([[a[k], 300 - a[k]], [b[k], 400 - b[k]]], correction=False,
                              lambda_="log-likelihood")[0]
        assert abs(fig["llr"][k]) == pytest.approx(g2, rel=1e-9)
    assert fig["llr"][0] > 0 and fig["llr"][1] < 0
    assert fig["llr"][2] == pytest.approx(0.0, abs=1e-9) and fig["score"][2] == 0.0  # same share
    assert fig["ratio"][0] == pytest.approx((30.5 / 300) / (20.5 / 400))


def test_score_needs_evidence_a_small_count_cannot_outrank_a_large_one():
    # the same fourfold rise in 4 papers and in 400
    fig = movement(np.array([4.0, 400.0]), np.array([1.0, 100.0]), 1000, 1000)
    assert 0.0 <= fig["score"][0] < fig["score"][1] < 2.0
    assert fig["score"][1] > 1.5  # close to log2(4) with that much evidence
    # a frequent word whose share moved from 50% to 52% scores far below a rare topic's rise
    flat, topic = movement(np.array([5200.0, 60.0]), np.array([5000.0, 10.0]), 10_000, 10_000)["score"]
    assert flat < 0.1 < topic


def test_planted_terms_head_their_lists(table):
    report = hot_report(table, min_support=5)
    assert terms(report["hot"]) == ["vision transformer", "gaussian splatting", "transformer"]
    assert terms(report["cooling"]) == ["fractalnet"]
    assert terms(report["emerging"]) == ["mamba"]
    fractalnet = report["cooling"][0]
    assert fractalnet["recent_papers"] == 24 and fractalnet["baseline_papers"] == 240
    assert fractalnet["recent_share"] == 0.1 and fractalnet["baseline_share"] == 0.5
    assert fractalnet["llr"] < -10.83 and fractalnet["score"] < 0 and fractalnet["ratio"] < 0.25
    assert all(i["llr"] >= 10.83 and i["score"] > 0 for i in report["hot"])
    assert "filler words" not in str(report)  # its share never moved


# -- one topic, one entry ------------------------------------------------------------------

def test_variants_that_move_with_their_term_are_folded_into_it(table):
    report = hot_report(table, min_support=5)
    assert report["cooling"][0]["variants"] == ["based", "fractalnet based", "propose",
                                                "propose fractalnet"]
    splatting = report["hot"][1]
    assert sorted(splatting["variants"]) == ["gaussian", "splatting"]


def test_a_bigram_that_moves_on_its_own_stays_beside_its_word(table):
    report = hot_report(table, min_support=5)
    hot = {i["term"]: i for i in report["hot"]}
    assert {"vision transformer", "transformer"} <= set(hot)
    assert hot["vision transformer"]["variants"] == ["vision"]
    assert hot["transformer"]["variants"] == []


def test_no_list_holds_two_variants_of_one_term(table):
    report = hot_report(table, min_support=1)
    for key in ("hot", "cooling", "emerging"):
        shown = [w for i in report[key] for w in [i["term"], *i["variants"]]]
        assert len(shown) == len(set(shown)), key


def test_explanation_terms_fold_like_the_lists():
    assert fold_words(["graph", "graph neural", "neural networks", "networks", "neural"]) == [
        ("graph neural networks", ["graph", "graph neural", "neural networks", "networks", "neural"])]
    assert fold_words(["deep learning", "reinforcement learning", "learning", "policy"]) == [
        ("deep learning", ["learning"]), ("reinforcement learning", []), ("policy", [])]


# -- emerging --------------------------------------------------------------------------------

def test_emerging_terms_carry_their_first_month_and_are_not_repeated_as_hot(table):
    report = hot_report(table, min_support=5)
    [mamba] = report["emerging"]
    assert mamba["first_month"] == "2023-08" and mamba["baseline_papers"] == 0
    assert mamba["recent_papers"] == 30 and "mamba" not in terms(report["hot"])
    assert mamba["series"][-6:] == [0.0] + [0.15] * 5


def test_emerging_needs_the_minimum_count(table):
    assert hot_report(table, min_support=31)["emerging"] == []


# -- the reference month, limits, sparklines ------------------------------------------------------

def test_n_limits_each_list(table):
    report = hot_report(table, min_support=1, n=1)
    assert len(report["hot"]) == 1 and len(report["cooling"]) == 1


def test_sparklines_are_monthly_fractions_up_to_the_reference_month(table):
    report = hot_report(table, min_support=5, spark_months=24)
    assert report["months"][0] == "2022-01" and report["months"][-1] == "2023-12"
    fractalnet = report["cooling"][0]
    assert fractalnet["series"] == [0.5] * 18 + [0.1] * 6


def test_reference_month_is_selectable(table):
    report = hot_report(table, month=parse_month("2023-06"), min_support=5)
    assert report["month"] == "2023-06"
    assert report["windows"]["recent"] == {"start": "2023-01", "end": "2023-06", "months": 6,
                                           "papers": 240}
    assert report["hot"] == [] and report["cooling"] == [] and report["emerging"] == []


def test_no_history_before_the_window_is_a_notice(table):
    report = hot_report(table, month=parse_month("2022-02"))
    assert report["hot"] == [] and report["cooling"] == [] and report["windows"] is None
    assert "Too few months" in report["notice"]


def test_month_outside_the_table_is_an_error(table):
    with pytest.raises(TrendQueryError, match="no papers in 2030-01"):
        hot_report(table, month=parse_month("2030-01"))


# -- per category ----------------------------------------------------------------------------

def _by_category():
    # even papers are cs.CV, odd ones cs.CL: segmentation rises in cs.CV, parsing in cs.CL
    def rises_in(parity):
        return lambda i: 12 if i >= 18 else 2
    docs = planted_docs({"segmentation": rises_in(0), "parsing": rises_in(1)},
                        categories=lambda j: ("cs.CV",) if j % 2 == 0 else ("cs.CL",))
    keep = []
    for d in docs:
        even = int(d.id[-2:]) % 2 == 0
        text = d.text.replace("parsing.", "") if even else d.text.replace("segmentation.", "")
        keep.append(Doc(d.id, d.published, d.categories, text))
    return table_of(keep)


def test_category_filter_counts_only_that_categorys_papers():
    table = _by_category()
    everyone = hot_report(table, min_support=5)
    assert set(terms(everyone["hot"])) == {"segmentation", "parsing"}
    cv = hot_report(table, min_support=5, category="cs.CV")
    assert cv["category"] == "cs.CV" and terms(cv["hot"]) == ["segmentation"]
    assert cv["windows"]["recent"]["papers"] == 120 and cv["windows"]["baseline"]["papers"] == 240
    seg = cv["hot"][0]
    assert seg["recent_papers"] == 36 and seg["baseline_papers"] == 12
    assert seg["series"][-1] == 0.3  # 6 of the month's 20 cs.CV papers


def test_unknown_category_is_a_notice():
    report = hot_report(_by_category(), category="math.AG")
    assert report["hot"] == [] and "math.AG" in report["notice"]


# -- generic terms ----------------------------------------------------------------------------------

def test_generic_words_spread_over_every_category_are_left_out():
    # "various" falls in every category alike; "fractalnet" falls in cs.CV only
    cats = ["cs.CV", "cs.CL", "cs.LG", "cs.RO", "cs.AI"]
    docs = planted_docs({"various": lambda i: 20 if i < 18 else 5,
                         "fractalnet": lambda i: 40 if i < 18 else 5},
                        categories=lambda j: (cats[j % 5],))
    keep = [Doc(d.id, d.published, d.categories,
                d.text if d.categories == ("cs.CV",) else d.text.replace("fractalnet.", ""))
            for d in docs]
    table = table_of(keep)
    assert table.generic[table.row("various")] and not table.generic[table.row("fractalnet")]
    assert terms(hot_report(table, min_support=5)["cooling"]) == ["fractalnet"]


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
    row = table.row("mamba")
    assert int(table.df[row]) == 5 * 6
    assert list(table.totals) == [HOT_PAPERS] * 24


def test_category_counts_from_papers_terms_match_the_posting_scan():
    from dataclasses import replace

    table = _by_category()
    assert table.doc_terms is not None  # built with the table
    scanned = replace(table, doc_terms=None, doc_terms_ptr=None)
    for cat in ("cs.CV", "cs.CL"):
        assert hot_report(table, min_support=1, category=cat) == \
            hot_report(scanned, min_support=1, category=cat)


def test_chained_bigrams_that_move_alike_are_one_topic():
    from recommend.trend_fold import fold_ranked

    counts = {"large language": (240, 1200), "language models": (250, 1300),
              "deep learning": (300, 300), "learning rate": (100, 200), "policy": (50, 50)}
    folded = fold_ranked(list(counts), counts.get, 1000, 2000, -1)
    assert folded == [("large language", ["language models"]), ("deep learning", []),
                      ("learning rate", []), ("policy", [])]


def test_an_index_of_one_category_has_no_generic_terms(table):
    assert not table.generic.any()  # every hot_docs paper is cs.LG: spread says nothing
