"""Terms judged within their fields: a shift in the mix of categories between the two
windows does not make a category's everyday words hot, and a topic that fills its own
category stays hot; listing terms needs more evidence when many terms are tested."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from recommend.index import Doc
from recommend.trend_hot import hot_report
from recommend.trend_windows import SIGNIFICANT_LLR, movement, significance_threshold
from tests.trends.corpus import table_of

MONTHS, RECENT_FROM = 24, 18     # recent window: the last 6 months, baseline the 12 before


def mixed_docs(*, it_papers, vision_papers, planted) -> list[Doc]:
    """Months 2022-01 .. 2023-12. Month i has vision_papers(i) cs.CV papers and
    it_papers(i) cs.IT papers; an information-theory paper says "channel capacity" in 3
    of 5 papers, whatever the month. `planted`: sentence -> (category, papers of month i
    of that category holding it)."""
    docs = []
    for i in range(MONTHS):
        year, month = 2022 + i // 12, 1 + i % 12
        for cat, count in (("cs.CV", vision_papers(i)), ("cs.IT", it_papers(i))):
            for j in range(count):
                sentences = ["Opening words"]
                if cat == "cs.IT" and j % 5 < 3:
                    sentences.append("Channel capacity")
                sentences += [s for s, (c, f) in planted.items() if c == cat and j < f(i)]
                docs.append(Doc(f"{cat}-{i:02d}-{j:03d}", date(year, month, 1 + j % 28),
                                (cat, "cs.LG"), ". ".join(sentences) + "."))
    return docs


def recent(before: int, after: int):
    return lambda i: after if i >= RECENT_FROM else before


def listed(report, key):
    return [t for i in report[key] for t in (i["term"], *i["variants"])]


@pytest.fixture(scope="module")
def growing_it():
    """cs.IT grows from 10 to 60 papers a month in the recent window; cs.CV stays at 60,
    where "diffusion policy" rises from 2 to 12 papers a month."""
    return table_of(mixed_docs(it_papers=recent(10, 60), vision_papers=lambda i: 60,
                               planted={"diffusion policy": ("cs.CV", recent(2, 12))}))


def test_a_growing_category_does_not_make_its_everyday_words_hot(growing_it):
    report = hot_report(growing_it)
    assert report["within_categories"] is True
    assert "channel capacity" not in listed(report, "hot")
    assert "channel" not in listed(report, "hot") and "capacity" not in listed(report, "hot")
    assert report["hot"][0]["term"] == "diffusion policy"
    # its papers are still counted as they are: the share of papers did rise
    assert all(i["term"] != "channel capacity" for i in report["emerging"])


def test_without_the_category_of_each_paper_the_mix_shift_shows_as_hot(growing_it):
    # a table from an index built before papers' primary categories were stored
    report = hot_report(replace(growing_it, doc_primary=None))
    assert report["within_categories"] is False
    assert "channel capacity" in listed(report, "hot")


def test_within_a_category_filter_the_mix_is_still_taken_into_account(growing_it):
    report = hot_report(growing_it, category="cs.LG")   # every paper is cross-listed there
    assert report["category"] == "cs.LG" and report["within_categories"] is True
    assert "channel capacity" not in listed(report, "hot")
    assert report["hot"][0]["term"] == "diffusion policy"


def test_a_topic_that_fills_its_category_stays_hot():
    # every cs.IT paper of the recent window is a "polar codes" paper (half of them were
    # before): the category grew because of the topic, so the topic is the trend
    table = table_of(mixed_docs(it_papers=recent(20, 60), vision_papers=lambda i: 60,
                                planted={"polar codes": ("cs.IT", recent(10, 60))}))
    report = hot_report(table)
    assert report["hot"] and report["hot"][0]["term"] == "polar codes"
    assert "polar codes" not in listed(report, "emerging")     # it was in 120 papers before
    assert "channel capacity" not in listed(report, "hot")


def test_a_cooling_category_does_not_make_its_words_cool():
    table = table_of(mixed_docs(it_papers=recent(60, 10), vision_papers=lambda i: 60,
                                planted={"diffusion policy": ("cs.CV", recent(12, 2))}))
    report = hot_report(table)
    assert "channel capacity" not in listed(report, "cooling")
    assert report["cooling"][0]["term"] == "diffusion policy"


def test_more_terms_tested_need_more_evidence():
    rng = np.random.default_rng(0)
    noise = np.sign(rng.standard_normal(20_000)) * rng.chisquare(1, 20_000)  # no term moved
    tested = np.ones(len(noise), dtype=bool)
    assert significance_threshold(noise, tested) > SIGNIFICANT_LLR
    assert significance_threshold(noise[:5], tested[:5]) == SIGNIFICANT_LLR
    # a few strong movements among the noise are still listed
    strong = np.concatenate([noise, [80.0, -60.0, 45.0]])
    assert significance_threshold(strong, np.ones(len(strong), dtype=bool)) <= 45.0


def test_an_estimated_baseline_worth_fewer_papers_is_weaker_evidence():
    a, b = np.array([60.0]), np.array([20.0])
    counted = movement(a, b, 1000, 1000)
    estimated = movement(a, b, 1000, 1000, effective=np.array([5.0]))
    assert estimated["ratio"][0] == counted["ratio"][0]               # same shares
    assert 0 < estimated["llr"][0] < counted["llr"][0]
    assert 0 <= estimated["score"][0] < counted["score"][0]



def test_the_threshold_is_the_one_scipy_stats_chi2_gives():
    from scipy.stats import chi2

    from recommend.trend_windows import FALSE_DISCOVERY

    def with_chi2(llr: np.ndarray) -> float:   # the threshold as computed with scipy.stats
        g2 = np.sort(np.abs(llr))[::-1]
        p = chi2.sf(g2, 1)
        passing = np.flatnonzero(p <= FALSE_DISCOVERY * np.arange(1, len(p) + 1) / len(p))
        return max(SIGNIFICANT_LLR, float(g2[passing[-1]])) if len(passing) else \
            max(SIGNIFICANT_LLR, float(g2[0]) + 1.0)

    rng = np.random.default_rng(1)
    g2 = np.concatenate([[0.0, 1e-300, 3.84, 10.83, 700.0, 1e6, np.inf],
                         rng.chisquare(1, 5000) * 8])
    from scipy.special import chdtrc
    np.testing.assert_array_equal(chdtrc(1, g2), chi2.sf(g2, 1))    # bit for bit
    for scale in (1.0, 3.0, 8.0):
        llr = np.sign(rng.standard_normal(3000)) * rng.chisquare(1, 3000) * scale
        assert significance_threshold(llr, np.ones(len(llr), dtype=bool)) == with_chi2(llr)
