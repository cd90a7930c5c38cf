"""A tiny search index built from a few texts, for search tests that need no corpus."""

from __future__ import annotations

from datetime import date

import numpy as np

from recommend.index import Doc
from recommend.search import build_search_parts, search_index
from recommend.text import document


def tiny_index(texts: list[tuple[str, str]], *, authors=None, categories=None, dates=None):
    """A SearchIndex over (title, abstract) pairs with ids t0, t1, ... (no store, no files)."""
    n = len(texts)
    authors = authors or [("Ada Lovelace",)] * n
    categories = categories or [("cs.LG",)] * n
    dates = dates or [date(2024, 1 + i % 12, 1) for i in range(n)]
    docs = [Doc(f"t{i}", dates[i], tuple(categories[i]), document(title, abstract), False, title,
                tuple(authors[i])) for i, (title, abstract) in enumerate(texts)]
    index = _Index(np.array([d.id for d in docs]), np.array(dates, dtype="datetime64[D]"))
    index.parts = build_search_parts(index, docs)
    return search_index(index)


class _Index:
    """The few attributes of recommend.index.Index that search_index reads."""

    def __init__(self, ids: np.ndarray, published: np.ndarray) -> None:
        self.ids, self.published, self.parts = ids, published, {}
