"""Hot lists keep to terms that name topics (recommend/trend_topic.py): a word papers argue
with rises as much as a topic but is seldom in a title, so it is not listed."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from recommend.index import Doc
from recommend.trend_hot import hot_report
from recommend.trend_topic import MIN_TITLE_SHARE, TOPIC_LIFT, title_lift, topic_terms
from tests.trends.corpus import table_of

MONTHS, PAPERS = 24, 40
FIELDS = ("graph coloring", "query planning", "packet routing", "speech coding")


def _paper(i: int, j: int, rising: int) -> Doc:
    """Paper j of month i: papers j < `rising` are about diffusion policies and say the
    bound is weaker; every paper has a field of its own, named in its title."""
    field = FIELDS[j % len(FIELDS)]
    about = j < rising
    title = f"Diffusion policies for {field}" if about else f"Methods for {field}"
    abstract = [f"We study {field}.", "Results follow."]
    if about:
        abstract += ["A diffusion policy drives the robot.", "The bound is weaker than before."]
    year, month = 2022 + i // 12, 1 + i % 12
    return Doc(f"t{i:02d}{j:02d}", date(year, month, 1 + j % 28), ("cs.LG",),
               title + " . " + " ".join(abstract), title=title)


@pytest.fixture(scope="module")
def table():
    # both terms in 3 papers a month for 18 months, then in 12 a month for the last 6
    return table_of([_paper(i, j, 12 if i >= 18 else 3) for i in range(MONTHS)
                     for j in range(PAPERS)])


def test_a_topic_is_listed_and_a_weak_word_rising_with_it_is_not(table):
    report = hot_report(table, min_support=5)
    shown = {t for i in report["hot"] for t in [i["term"], *i["variants"]]}
    assert "diffusion" in shown or "diffusion policy" in shown
    assert not shown & {"weaker", "bound", "bound weaker"}
    # the weak word moved exactly as the topic did: only its place in the papers differs
    weaker, diffusion = table.row("weaker"), table.row("diffus")
    assert table.df[weaker] == table.df[diffusion]
    assert table.unlisted[weaker] and not table.unlisted[diffusion]


def test_without_titles_every_term_is_judged_by_its_movement_alone(table):
    untitled = dataclasses.replace(table, title_postings=None, title_postings_ptr=None)
    shown = {t for i in hot_report(untitled, min_support=5)["hot"] for t in [i["term"], *i["variants"]]}
    assert "weaker" in shown                 # what the lists held before the topic rule


def test_title_lift_is_one_for_a_term_in_titles_as_often_as_the_average():
    df, title_df = np.array([100.0, 100.0, 100.0, 3.0]), np.array([20.0, 60.0, 0.0, 0.0])
    lift = title_lift(df, title_df)
    assert lift is not None
    prior = title_df.sum() / df.sum()
    assert lift[0] == pytest.approx((20 + 5 * prior) / 105 / prior)
    assert lift[1] > TOPIC_LIFT > 1.0 > lift[0] > lift[2]
    assert lift[2] < lift[3] < 1.0           # three papers are little evidence either way


def test_titles_that_say_nothing_are_no_evidence():
    df = np.array([100.0, 50.0])
    assert title_lift(df, np.array([1.0, 0.0])) is None          # under MIN_TITLE_SHARE
    assert topic_terms(df, np.array([1.0, 0.0])).all()
    assert topic_terms(df, None).all()
    assert title_lift(df, df * MIN_TITLE_SHARE * 2) is not None
    assert topic_terms(np.zeros(0), np.zeros(0)).shape == (0,)
