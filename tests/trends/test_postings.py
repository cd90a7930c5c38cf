"""The trend postings (term -> papers and paper -> terms) list exactly the papers whose
text has each term at least min_df times over the corpus, with one pass or the hashed
two passes, including papers left with no term and papers with only rare terms."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from recommend import trend_build
from recommend.index import Doc
from recommend.text import analyze

TEXTS = ["sparse attention for long documents", "", "the of a",   # no term at all
         "sparse attention in graphs", "zyzzyva quokka",            # only rare terms
         "graph neural networks and sparse attention", "long documents, graph networks",
         "attention"]


def _docs() -> list[Doc]:
    return [Doc(f"p{i}", date(2024, 1 + i % 12, 1), ("cs.LG",), text)
            for i, text in enumerate(TEXTS)]


def _expected(min_df: int) -> dict[str, list[int]]:
    by_term: dict[str, set[int]] = {}
    for row, text in enumerate(TEXTS):
        for term in analyze(text):
            by_term.setdefault(term, set()).add(row)
    return {t: sorted(rows) for t, rows in sorted(by_term.items()) if len(rows) >= min_df}


@pytest.mark.parametrize("two_pass", [False, True])
@pytest.mark.parametrize("min_df", [1, 2, 3])
def test_postings_list_each_kept_terms_papers(two_pass: bool, min_df: int) -> None:
    terms, presence = trend_build._postings(_docs(), min_df, two_pass=two_pass, buckets=8)
    expected = _expected(min_df)
    assert terms == list(expected)
    got = {t: presence.indices[presence.indptr[i]:presence.indptr[i + 1]].tolist()
           for i, t in enumerate(terms)}
    assert got == expected
    assert presence.shape == (len(expected), len(TEXTS))
    assert presence.data.dtype == np.bool_ and presence.data.all()
