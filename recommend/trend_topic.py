"""Topic terms: the words and phrases papers name their subject with, found in the corpus.

A paper's title names what it is about ("Diffusion Models for ...", "Test-Time Scaling
of ..."); its abstract also holds the words it argues with ("weaker", "admits",
"fallback", "evidence", "failure"). So a term names a topic when the papers holding it
put it in their title more often than the average term is put there: its *title lift*,

    lift = (title papers + A * prior) / (papers + A) / prior

where `prior` is the share of all (term, paper) pairs of the table that are in a title
and A = `PRIOR_PAPERS` pulls a term seen in few papers towards 1 (no evidence either
way). A term with a lift under `TOPIC_LIFT` is not listed as hot, cooling or emerging
(it can still be charted). Keyphrase extractors use the same cue within one document
(KEA, Witten et al. 1999, scores a phrase by how early it first appears); here it is read
over the whole corpus. It catches what the category-spread test
(`recommend.trend_generic`) cannot: that test judges only terms in 0.5% of the papers or
more, and a weak word of one field ("stationary", "weaker" in theory papers) is
concentrated in that field's categories, so by spread it looks like a topic.

A model name that abstracts cite as a baseline ("gpt 4o", "qwen3 vl") is rarely in a
title, so it is left out too: it is not a topic the papers are about. A table whose
titles say little (under `MIN_TITLE_SHARE` of its term-paper pairs are in titles, as
with records titled "Paper 123", or an index built before titles were kept, until its
next update refits it in full) has no title evidence, and every term counts as a topic
there.
"""

from __future__ import annotations

import numpy as np

TOPIC_LIFT = 1.5
PRIOR_PAPERS = 5.0
MIN_TITLE_SHARE = 0.02


def title_lift(df: np.ndarray, title_df: np.ndarray) -> np.ndarray | None:
    """Per term, how much more often than the average term its papers hold it in their
    title (1: as often; see the module doc); None when the titles say too little."""
    df = np.asarray(df, dtype=np.float64)
    title_df = np.asarray(title_df, dtype=np.float64)
    pairs = df.sum()
    prior = title_df.sum() / pairs if pairs else 0.0
    if prior < MIN_TITLE_SHARE:
        return None
    return (title_df + PRIOR_PAPERS * prior) / (df + PRIOR_PAPERS) / prior


def topic_terms(df: np.ndarray, title_df: np.ndarray | None) -> np.ndarray:
    """Boolean per term: names a topic (a title lift of at least `TOPIC_LIFT`); all True
    without title evidence."""
    lift = None if title_df is None else title_lift(df, title_df)
    if lift is None:
        return np.ones(len(df), dtype=bool)
    return lift >= TOPIC_LIFT
