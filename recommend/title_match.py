"""Match titles of cited works to papers in the search index: exact, then fuzzy.

Exact means the same words once case, punctuation, spacing and stop words are ignored
(the search index's title key). Fuzzy candidates are the papers whose titles share the
most informative words with the wanted title (a walk over the title term columns, as in
search); each candidate is then scored with rapidfuzz's token-sort ratio (0-100) on the
normalised titles, and only a score at or above the caller's threshold is a match.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recommend.search import SearchIndex, title_key
from recommend.text import words

CANDIDATES = 5
RAREST_WORDS = 6


def normal_title(text: str) -> str:
    """Lowercase terms of a title, accents kept, everything else dropped."""
    return " ".join(w for w in words(text) if w)


def exact_rows(si: SearchIndex, titles: Sequence[str]) -> list[int | None]:
    """For each title, the row of a paper with exactly the same normalised title, or None."""
    if not len(si):
        return [None] * len(titles)
    keys = np.asarray(si.title_keys)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    out: list[int | None] = []
    for title in titles:
        if not normal_title(title):
            out.append(None)
            continue
        k = title_key(title)
        i = int(np.searchsorted(sorted_keys, k))
        out.append(int(order[i]) if i < len(sorted_keys) and sorted_keys[i] == k else None)
    return out


def candidate_rows(si: SearchIndex, title: str, k: int = CANDIDATES) -> list[int]:
    """Rows whose titles share the most idf weight with `title`'s rarest words, best first."""
    columns = [c for c in (si.terms.find(w) for w in dict.fromkeys(w for w in words(title) if w))
               if c is not None and c < si.title.shape[1]]
    # the rarest words decide; common ones ("learning") would only cost time
    columns = sorted(columns, key=si.idf, reverse=True)[:RAREST_WORDS]
    if not columns:
        return []
    spans = [(si.title.indptr[c], si.title.indptr[c + 1]) for c in columns]
    rows = np.concatenate([si.title.indices[a:b] for a, b in spans])
    if not len(rows):
        return []
    weights = np.repeat([si.idf(c) for c in columns], [b - a for a, b in spans])
    unique, inverse = np.unique(rows, return_inverse=True)
    sums = np.bincount(inverse, weights=weights)
    best = np.lexsort((unique, -sums))[:k]
    return [int(unique[i]) for i in best]


def similarity(a: str, b: str) -> float:
    """0-100: how alike two titles are once normalised (word order ignored)."""
    from rapidfuzz import fuzz

    return float(fuzz.token_sort_ratio(normal_title(a), normal_title(b)))
