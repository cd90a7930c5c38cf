"""`count_chunk` as it was written first: every document analysed on its own, token by
token (`words`, a stem per token, a string per bigram), and every field counted with a
Counter per document. Kept as the reference the chunk-at-a-time counting
(recommend/chunk_analysis.py) must equal array for array
(tests/search/test_chunk_counts.py), and as the baseline of bench/count_chunk.py."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import repeat

import numpy as np
from scipy import sparse

from recommend import acronyms as acronym_rules
from recommend.search_build import title_key
from recommend.search_query import author_tokens
from recommend.search_runs import ChunkCounts, ChunkInput, Postings
from recommend.search_terms import TermTable
from recommend.text import stem, words


def reference_count_chunk(docs: ChunkInput) -> ChunkCounts:
    """Count one chunk of documents, one document and one token at a time."""
    written, text_terms = [], []
    for text, _title, _authors, _cats in docs:
        seq = words(text)
        written.append({w for w in seq if w})
        text_terms.append(_analyze_words(seq))
    return ChunkCounts(
        fields={
            "text": postings(text_terms),
            "title": postings((set(_analyze_words(words(title))) for _, title, _, _ in docs),
                              binary=True),
            "authors": postings(({t for name in names for t in author_tokens(name)}
                                 for _, _, names, _ in docs), binary=True),
            "cats": postings(({c.lower() for c in cats} for _, _, _, cats in docs),
                             binary=True),
            "words": postings(written, binary=True),
        },
        title_keys=np.array([title_key(title) for _, title, _, _ in docs], dtype=np.int64),
        lengths=np.array([len(terms) for terms in text_terms], dtype=np.int64),
        evidence=[acronym_rules.paper_evidence(text) for text, _, _, _ in docs],
    )


def _analyze_words(surface: Sequence[str | None]) -> list[str]:
    """Unigrams, then bigrams of adjacent terms: `recommend.text.analyze_words` as first
    written, a stem call per token."""
    seq = [stem(w) if w else None for w in surface]
    unigrams = [t for t in seq if t]
    bigrams = [f"{a} {b}" for a, b in zip(seq, seq[1:], strict=False) if a and b]
    return unigrams + bigrams


def postings(term_lists: Iterable[Iterable[str]], *, binary: bool = False) -> Postings:
    """Postings of documents given as their terms (repeats count unless `binary`)."""
    vocab: dict[str, int] = {}
    indices, values, indptr = array("i"), array("i"), array("q", [0])
    for terms in term_lists:
        counts = Counter(terms)
        indices.extend(vocab.setdefault(t, len(vocab)) for t in counts)
        values.extend(repeat(1, len(counts)) if binary else counts.values())
        indptr.append(len(indices))
    ordered = sorted(vocab)
    new_col = np.empty(len(vocab), dtype=np.int32)
    new_col[[vocab[t] for t in ordered]] = np.arange(len(ordered), dtype=np.int32)
    cols = new_col[np.frombuffer(indices, dtype=np.int32)] if indices else np.zeros(0, np.int32)
    matrix = sparse.csr_matrix(
        (np.frombuffer(values, dtype=np.int32).copy() if values else np.zeros(0, np.int32),
         cols, np.frombuffer(indptr, dtype=np.int64)),
        shape=(len(indptr) - 1, len(ordered)))
    matrix.sort_indices()
    encoded = [t.encode() for t in ordered]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8) if encoded else np.zeros(0, np.uint8)
    return Postings(TermTable(blob, offsets), matrix)
