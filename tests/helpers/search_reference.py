"""The search parts as built before postings were counted in runs: scikit-learn's
CountVectorizer over every text at once, with the update state of
recommend.search_state. Kept as the reference the bounded build must
equal byte for byte (tests/search/test_search_runs.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from recommend import acronyms as acronym_rules
from recommend.index_stream import StreamedArray, StreamedSparse
from recommend.search_build import _column_max, _csc, bm25_weights, title_key
from recommend.search_query import author_tokens
from recommend.search_state import SurfaceWords, common_words_parts, state_parts
from recommend.search_terms import PREFIX, TermTable
from recommend.text import ANALYZER, analyze, analyze_words, words


def _binary_counts(values: Sequence, analyzer) -> tuple[sparse.csc_matrix, list[str]]:
    if not any(values):
        return sparse.csc_matrix((len(values), 0), dtype=np.float32), []
    vec = CountVectorizer(analyzer=analyzer, binary=True, dtype=np.float32)
    return _csc(vec.fit_transform(values)), list(vec.get_feature_names_out())


def reference_search_parts(docs: Sequence) -> dict:
    surface = SurfaceWords()

    def analyzer(text: str) -> list[str]:
        seq = words(text)
        surface.add(seq)
        return analyze_words(seq)

    vec = CountVectorizer(analyzer=analyzer, dtype=np.float32)
    counts = vec.fit_transform(d.text for d in docs).tocsr()
    vocab = list(vec.get_feature_names_out())
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    text = _csc(bm25_weights(counts, df))
    titles = _csc(CountVectorizer(analyzer=analyze, vocabulary=vec.vocabulary_, binary=True,
                                  dtype=np.float32).transform(d.title for d in docs))
    authors, author_vocab = _binary_counts(
        [tuple(d.authors) for d in docs],
        lambda names: [t for name in names for t in author_tokens(name)])
    cats, cat_vocab = _binary_counts([tuple(d.categories) for d in docs],
                                     lambda cs: [c.lower() for c in cs])
    parts = {
        f"{PREFIX}analyzer": np.array([ANALYZER]),
        f"{PREFIX}text": text, f"{PREFIX}text_max": _column_max(text),
        f"{PREFIX}title": titles, f"{PREFIX}authors": authors, f"{PREFIX}cats": cats,
        f"{PREFIX}title_key": np.array([title_key(d.title) for d in docs], dtype=np.int64),
    }
    evidence = [acronym_rules.paper_evidence(d.text) for d in docs]
    tf = _csc(counts)
    state = state_parts(tf.data, np.asarray(counts.sum(axis=1)).ravel().astype(np.int64),
                        surface.rows(), evidence)
    learned = acronym_rules.pack(acronym_rules.learn_evidence(evidence))
    parts[f"{PREFIX}acronyms"] = np.array(learned, dtype=str) if learned else np.array([], "<U1")
    parts.update(TermTable.pack(vocab).parts("terms"))
    parts.update(common_words_parts(state))
    parts.update(TermTable.pack(author_vocab).parts("author_terms"))
    parts.update(TermTable.pack(cat_vocab).parts("cat_terms"))
    parts.update(state)
    return parts


def part_bytes(parts: dict) -> dict[str, tuple]:
    """Each part as the bytes (and dtypes, shape) the index would save."""
    out = {}
    for name, value in parts.items():
        if isinstance(value, StreamedArray | StreamedSparse):
            value = value.whole()            # what write_part writes block by block
        if sparse.issparse(value):
            out[name] = (value.format, value.shape, value.data.dtype.str, value.data.tobytes(),
                         value.indices.dtype.str, value.indices.tobytes(),
                         value.indptr.dtype.str, value.indptr.tobytes())
        else:
            value = np.asarray(value)
            out[name] = (value.dtype.str, value.shape, value.tobytes())
    return out
