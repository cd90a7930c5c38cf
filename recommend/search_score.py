"""Scoring and ordering the papers a query ranks.

BM25 over the query's terms (as a share of the best any paper reaches per term), plus
boosts for title terms, author names and an exact title. Scoring walks only the query
terms' columns (an inverted-index walk), never the whole matrix.
"""

from __future__ import annotations

import numpy as np

from recommend.search_build import title_key
from recommend.search_postings import DENSE_FRACTION, SearchIndex, positions, posting, rows_with
from recommend.search_query import ParsedQuery, author_tokens

# the text scores at most 1 (BM25 as a share of the best per term); boosts add to that
TITLE_BOOST = 0.2       # times the share of the query's idf found in the title
AUTHOR_BOOST = 1.5      # times the share of query words that are the paper's author names
EXACT_TITLE_BOOST = 3.0


def score_rows(si: SearchIndex, q: ParsedQuery, rows: np.ndarray) -> np.ndarray:
    """Relevance of the given (sorted) rows: BM25 over the query's terms (as a share of
    the best any paper reaches per term), plus title, author and exact-title boosts.

    Reads only the columns of the query's terms, and within them only looks up the rows
    asked about (binary search): cost grows with the query, not with the number of papers.
    """
    columns, weights = query_columns(si, q)
    if len(rows) * DENSE_FRACTION > len(si):
        text, title = _term_sums_dense(si, columns, weights, rows)
    else:
        text, title = _term_sums_sparse(si, columns, weights, rows)
    scores = np.zeros(len(rows), dtype=np.float32)
    if weights:
        best = (si.text_max[columns] if si.text_max is not None
                else np.array([si.text[:, j].max() for j in columns]))
        scores += text / np.float32(max(float(np.sum(best)), 1e-6))
        scores += TITLE_BOOST * title / np.float32(sum(weights))
    scores += AUTHOR_BOOST * _author_share(si, q, rows)
    if q.text:
        exact = si.title_keys[rows] == title_key(q.text)
        scores += EXACT_TITLE_BOOST * exact.astype(np.float32)
    return scores


def query_columns(si: SearchIndex, q: ParsedQuery) -> tuple[list[int], list[float]]:
    """The columns of the query's terms that the index holds, and their idf."""
    columns = [j for j in (si.terms.find(t) for t in q.terms) if j is not None]
    return columns, [si.idf(j) for j in columns]


def _term_sums_sparse(si: SearchIndex, columns: list[int], weights: list[float], rows: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """BM25 sums and idf-weighted title sums for a few rows: binary-search each column."""
    text = np.zeros(len(rows), dtype=np.float32)
    title = np.zeros(len(rows), dtype=np.float32)
    for j, w in zip(columns, weights, strict=True):
        column, values = posting(si.text, j)
        pos, hit = positions(rows, column)
        text[hit] += values[pos[hit]]
        title[positions(rows, posting(si.title, j)[0])[1]] += np.float32(w)
    return text, title


def _term_sums_dense(si: SearchIndex, columns: list[int], weights: list[float], rows: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The same for many rows: scatter whole columns into per-paper sums, then gather."""
    text, title = dense_sums(si, columns, weights)
    return text[rows], title[rows]


def dense_sums(si: SearchIndex, columns: list[int], weights: list[float]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per-paper BM25 sums and idf-weighted title sums over whole columns."""
    text = np.zeros(len(si), dtype=np.float32)
    title = np.zeros(len(si), dtype=np.float32)
    for j, w in zip(columns, weights, strict=True):
        column, values = posting(si.text, j)
        text[column] += values   # a column holds each row once
        title[posting(si.title, j)[0]] += np.float32(w)
    return text, title


def _author_share(si: SearchIndex, q: ParsedQuery, rows: np.ndarray) -> np.ndarray:
    """Share of the query's words (and author: filters) that are names of a paper's authors."""
    tokens = [t for w in (q.forms or q.words) for t in author_tokens(w)[:1]]
    tokens = list(dict.fromkeys(tokens + [t for names in q.authors for t in names]))
    hits = np.zeros(len(rows), dtype=np.float32)
    for token in tokens:
        hits[positions(rows, rows_with(si.authors, si.author_terms, token))[1]] += 1.0
    return hits / np.float32(len(tokens)) if tokens else hits


def order_rows(si: SearchIndex, rows: np.ndarray, scores: np.ndarray, sort: str, top: int,
           tiers: np.ndarray | None = None) -> np.ndarray:
    """Positions into rows of the first `top` results, in order; rows of a higher tier
    (holding every word; and side by side) come before the others."""
    days = si.published[rows].astype(np.int64)
    if sort == "date":
        primary, secondary = -days.astype(np.float64), -scores
    else:
        primary, secondary = -scores.astype(np.float64), -days
    if tiers is not None and len(primary):
        span = float(primary.max() - primary.min()) + 1.0
        primary = primary - span * tiers   # a whole span ahead per tier
    if len(rows) > 4 * top:  # only the best few need sorting
        keep = np.argpartition(primary, top)[:top + 1]
        cut = primary[keep].max()
        keep = np.flatnonzero(primary <= cut)
    else:
        keep = np.arange(len(rows))
    ordered = keep[np.lexsort((rows[keep], secondary[keep], primary[keep]))]
    return ordered[:top]


def full_scores(si: SearchIndex, q: ParsedQuery) -> np.ndarray:
    """Baseline for the benchmark: score every paper with one sparse matrix-vector product."""
    vector = np.zeros(si.text.shape[1], dtype=np.float32)
    for term in q.terms:
        j = si.terms.find(term)
        if j is not None:
            vector[j] = si.idf(j)
    return si.text @ vector
