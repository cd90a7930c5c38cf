"""The search parts as built before postings were counted in runs: scikit-learn's
CountVectorizer over every text at once. Kept as the reference the bounded build must
equal byte for byte (tests/search/test_search_runs.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from recommend import acronyms as acronym_rules
from recommend.search_build import _column_max, _csc, bm25_weights, title_key
from recommend.search_query import author_tokens
from recommend.search_terms import PREFIX, TermTable
from recommend.text import ANALYZER, analyze, analyze_words, words


def _binary_counts(values: Sequence, analyzer) -> tuple[sparse.csc_matrix, list[str]]:
    if not any(values):
        return sparse.csc_matrix((len(values), 0), dtype=np.float32), []
    vec = CountVectorizer(analyzer=analyzer, binary=True, dtype=np.float32)
    return _csc(vec.fit_transform(values)), list(vec.get_feature_names_out())


def reference_search_parts(docs: Sequence) -> dict:
    surface_df: Counter[str] = Counter()

    def analyzer(text: str) -> list[str]:
        seq = words(text)
        surface_df.update({w for w in seq if w})
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
    learned = acronym_rules.pack(acronym_rules.learn(d.text for d in docs))
    parts[f"{PREFIX}acronyms"] = np.array(learned, dtype=str) if learned else np.array([], "<U1")
    parts.update(TermTable.pack(vocab).parts("terms"))
    common = sorted(w for w, k in surface_df.items() if k >= 2)
    parts.update(TermTable.pack(common).parts("words"))
    parts[f"{PREFIX}words_df"] = np.array([surface_df[w] for w in common], dtype=np.int32)
    parts.update(TermTable.pack(author_vocab).parts("author_terms"))
    parts.update(TermTable.pack(cat_vocab).parts("cat_terms"))
    return parts


def part_bytes(parts: dict) -> dict[str, tuple]:
    """Each part as the bytes (and dtypes, shape) the index would save."""
    out = {}
    for name, value in parts.items():
        if sparse.issparse(value):
            out[name] = (value.format, value.shape, value.data.dtype.str, value.data.tobytes(),
                         value.indices.dtype.str, value.indices.tobytes(),
                         value.indptr.dtype.str, value.indptr.tobytes())
        else:
            value = np.asarray(value)
            out[name] = (value.dtype.str, value.shape, value.tobytes())
    return out
