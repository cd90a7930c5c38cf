"""Building the search parts of an index version (see `recommend.search` for querying).

The recommendation features prune their vocabulary (max_df, max_features); search must
not, or rare words and most phrases find nothing. `build_search_parts` therefore counts
every unigram and bigram of every document (same analyser) into its own matrices, saved
in the index version as parts:

- search_text: papers x terms, each paper's BM25 weight of the term (idf included),
  float32 CSC; search_text_max: each column's largest weight
- search_title: papers x terms, 1 where the title has the term (CSC)
- search_authors / search_cats: papers x author-name tokens / categories (CSC)
- search_acronyms: acronyms learned from the texts (`recommend.acronyms`), one line each
- search_title_key: a 64-bit hash of each normalised title (exact-title boost)
- search_words / search_words_df: words as written (not stems) in two or more papers
  (did-you-mean)
- the term, author-token and category tables as sorted UTF-8 blobs with offsets
  (`TermTable`), memory-mapped and binary-searched, so a multi-million-term vocabulary
  costs no start-up time and no per-worker copy
- the state an incremental update reads instead of the kept papers' texts (term counts,
  lengths, every written word, acronym definitions: `recommend.search_state`)

Terms are stems (`recommend.text.analyze`), so every form of a word is one term.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from recommend import acronyms as acronym_rules
from recommend.search_query import author_tokens
from recommend.search_state import SurfaceWords, common_words_parts, state_parts
from recommend.search_terms import PREFIX, TermTable
from recommend.text import ANALYZER, analyze, analyze_words, words

BM25_K1 = 1.2
BM25_B = 0.75


def title_key(text: str) -> int:
    """64-bit key of a title's words (case, punctuation and spacing ignored)."""
    normal = " ".join(w for w in words(text) if w)
    return int.from_bytes(hashlib.blake2b(normal.encode(), digest_size=8).digest(), "little",
                          signed=True)


def _csc(matrix) -> sparse.csc_matrix:
    """CSC with each column's rows sorted (queries binary-search them)."""
    out = sparse.csc_matrix(matrix)
    out.sort_indices()
    return out


def bm25_idf(df: np.ndarray, n: int) -> np.ndarray:
    """BM25's idf (the Lucene form, never negative): ln(1 + (n - df + 0.5) / (df + 0.5))."""
    df = np.asarray(df, dtype=np.float64)
    return np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)


def bm25_weights(counts: sparse.csr_matrix, df: np.ndarray) -> sparse.csr_matrix:
    """Each (paper, term) count as its BM25 weight: idf * tf (k1 + 1) / (tf + k1 (1 - b +
    b dl / avgdl)), dl counting a paper's terms (unigrams and bigrams)."""
    counts = counts.tocsr().astype(np.float32)
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(float(lengths.mean()), 1.0))
    tf = counts.data
    row_norm = np.repeat(norm, np.diff(counts.indptr)).astype(np.float32)
    counts.data = tf * np.float32(BM25_K1 + 1) / (tf + row_norm) * bm25_idf(df, counts.shape[0])[
        counts.indices]
    return counts


def _column_max(matrix: sparse.csc_matrix) -> np.ndarray:
    out = np.zeros(matrix.shape[1], dtype=np.float32)
    filled = np.flatnonzero(np.diff(matrix.indptr))
    if len(filled):
        out[filled] = np.maximum.reduceat(matrix.data, matrix.indptr[filled])
    return out


def _binary_counts(values: Sequence, analyzer) -> tuple[sparse.csc_matrix, list[str]]:
    from sklearn.feature_extraction.text import CountVectorizer  # building only: slow to import

    if not any(values):
        return sparse.csc_matrix((len(values), 0), dtype=np.float32), []
    vec = CountVectorizer(analyzer=analyzer, binary=True, dtype=np.float32)
    matrix = _csc(vec.fit_transform(values))
    return matrix, list(vec.get_feature_names_out())


def build_search_parts(index, docs: Sequence) -> dict[str, np.ndarray | sparse.spmatrix]:
    """Index builder (see recommend.index.build_index): the complete search term index.

    Needs only docs' text, title, authors and categories; `index` is unused but part of
    the builder signature.
    """
    from sklearn.feature_extraction.text import CountVectorizer  # building only: slow to import

    n = len(docs)
    surface = SurfaceWords()

    def analyzer(text: str) -> list[str]:
        seq = words(text)
        surface.add(seq)   # the words as written, for did-you-mean
        return analyze_words(seq)

    vec = CountVectorizer(analyzer=analyzer, dtype=np.float32)
    counts = vec.fit_transform(d.text for d in docs).tocsr() if n else None
    if counts is None or counts.shape[1] == 0:
        return {}
    vocab = list(vec.get_feature_names_out())
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    text = _csc(bm25_weights(counts, df))
    titles = CountVectorizer(analyzer=analyze, vocabulary=vec.vocabulary_, binary=True,
                             dtype=np.float32).transform(d.title for d in docs)
    titles = _csc(titles)
    authors, author_vocab = _binary_counts(
        [tuple(getattr(d, "authors", ())) for d in docs],
        lambda names: [t for name in names for t in author_tokens(name)])
    cats, cat_vocab = _binary_counts([tuple(d.categories) for d in docs],
                                     lambda cs: [c.lower() for c in cs])
    evidence = [acronym_rules.paper_evidence(d.text) for d in docs]
    state = state_parts(counts, surface, evidence)
    del vec, counts
    parts: dict[str, np.ndarray | sparse.spmatrix] = {
        f"{PREFIX}analyzer": np.array([ANALYZER]),
        f"{PREFIX}text": text, f"{PREFIX}text_max": _column_max(text),
        f"{PREFIX}title": titles, f"{PREFIX}authors": authors, f"{PREFIX}cats": cats,
        f"{PREFIX}title_key": np.array([title_key(getattr(d, "title", "")) for d in docs],
                                       dtype=np.int64),
    }
    learned = acronym_rules.pack(acronym_rules.learn_evidence(evidence))
    parts[f"{PREFIX}acronyms"] = np.array(learned, dtype=str) if learned else np.array([], "<U1")
    parts.update(TermTable.pack(vocab).parts("terms"))
    parts.update(common_words_parts(state))
    parts.update(TermTable.pack(author_vocab).parts("author_terms"))
    parts.update(TermTable.pack(cat_vocab).parts("cat_terms"))
    parts.update(state)   # what an incremental update needs (recommend.search_state)
    return parts
