"""TF-IDF features for the whole corpus in bounded memory.

scikit-learn's vectoriser builds the complete vocabulary (every unigram and bigram of
every document) before pruning it, so `max_features` saves no memory while fitting:
100k abstracts took 90 s and 2.5 GB. Here the vocabulary is chosen on a seeded sample
of at most `sample_docs` documents, and then every document is counted against that
fixed vocabulary in chunks, in worker processes when there are enough documents to
pay for them. Document frequencies and idf come from all documents, not the sample.

The weighting matches scikit-learn's TfidfVectorizer(sublinear_tf=True, smooth_idf=True,
norm="l2"): weight = (1 + ln tf) * (ln((1 + n) / (1 + df)) + 1), rows scaled to unit
length, stored as float32 CSR.

scikit-learn is imported where it is used: it takes most of a second to import, and
loading or querying an index (the CLI, a request) does not need it.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from recommend.count_columns import CountColumns
from recommend.text import analyze

CHUNK_DOCS = 2000
# below this many documents, worker start-up costs more than it saves
PARALLEL_MIN_DOCS = 8000
# stored entries read at a time by `column_hits`
_HIT_BLOCK = 1 << 22


@dataclass(frozen=True)
class Features:
    """A fitted feature space and the corpus expressed in it.

    matrix: float32 CSR, one L2-normalised row per document (all-zero for a document
    with no vocabulary term); vocabulary: the term of each column; idf: float32 per
    column; df: number of documents containing each term (over all documents).
    """

    matrix: sparse.csr_matrix
    vocabulary: list[str]
    idf: np.ndarray
    df: np.ndarray
    sample_size: int


def fit_features(
    texts: Sequence[str],
    *,
    max_features: int = 100_000,
    min_df: int | float = 2,
    max_df: int | float = 0.5,
    sample_docs: int = 20_000,
    seed: int = 0,
    n_jobs: int | None = None,
) -> Features:
    """Fit a vocabulary on a seeded sample of `texts` and weight every text with it.

    min_df / max_df follow scikit-learn (an int is a document count, a float a fraction)
    and apply to the sample; of the terms left, the `max_features` in most sample
    documents are kept (ties by term). `texts` may be any sequence, including a lazy one:
    only sampled items and chunk-sized slices are read. n_jobs: worker processes for
    counting (None: one per available core; 1: in this process). The result depends only
    on the texts, the parameters and the seed, not on n_jobs.
    """
    sample = sample_rows(len(texts), sample_docs, seed=seed)
    with worker_map(worker_count(n_jobs, len(texts))) as run:  # one pool for both passes
        sample_df = _sample_df(texts, sample, run)
        vocabulary = select_vocabulary(sample_df, len(sample), max_features=max_features,
                                       min_df=min_df, max_df=max_df)
        counts = _count(texts, vocabulary, run)
    df = document_frequencies(counts)
    idf = smooth_idf(df, counts.shape[0])
    return Features(tfidf(counts, idf, copy=False), vocabulary, idf, df, len(sample))


def features_from_counts(
    counts: sparse.csc_matrix | CountColumns,
    terms: Sequence[str],
    *,
    max_features: int = 100_000,
    min_df: int | float = 2,
    max_df: int | float = 0.5,
    sample_docs: int = 20_000,
    seed: int = 0,
) -> Features:
    """`fit_features` from every document's raw count of every term, already counted.

    counts: (documents x terms) CSC of raw counts, rows sorted within each column, in
    memory or spilled (`CountColumns`);
    terms: the sorted term of each column (a `TermTable`, a list, or a table with `take`:
    `terms_at`). The vocabulary is
    chosen on the same seeded sample by the same rule as `select_vocabulary`, and the
    result is the same as `fit_features` on the texts those counts came from. The
    matrix is only read; the feature columns are copied out of it.
    """
    counts = CountColumns.of(counts)
    n_docs = counts.shape[0]
    sample = sample_rows(n_docs, sample_docs, seed=seed)
    in_sample = np.zeros(n_docs, dtype=np.bool_)
    in_sample[sample] = True
    sample_df = column_hits(counts, in_sample)
    low, high = _as_count(min_df, len(sample)), _as_count(max_df, len(sample))
    candidates = np.flatnonzero((sample_df > 0) & (sample_df >= low) & (sample_df <= high))
    # by sample df, most first, ties by term: terms are sorted, so by column
    ranked = candidates[np.argsort(-sample_df[candidates], kind="stable")]
    columns = np.sort(ranked[:max_features])
    matrix = column_rows(counts, columns)
    df = document_frequencies(matrix)
    idf = smooth_idf(df, n_docs)
    return Features(tfidf(matrix, idf, copy=False), terms_at(terms, columns), idf,
                    df, len(sample))


def terms_at(terms: Sequence[str], columns: np.ndarray) -> list[str]:
    """The terms of the given increasing columns; a table that can read many at once (a
    full build's spilled table: `take`) is asked for them all."""
    take = getattr(terms, "take", None)
    if take is not None:
        return take(columns)
    return [terms[int(j)] for j in columns]


def column_blocks(indptr: np.ndarray, columns: np.ndarray) -> list[np.ndarray]:
    """`columns` (of a CSC matrix with this indptr) cut into runs of about _HIT_BLOCK
    stored entries each (a longer column is a block of its own)."""
    if not len(columns):
        return []
    sizes = (indptr[columns + 1] - indptr[columns]).astype(np.int64)
    cuts = np.searchsorted(np.cumsum(sizes), np.arange(_HIT_BLOCK, int(sizes.sum()), _HIT_BLOCK))
    return [block for block in np.split(columns, np.unique(cuts + 1)) if len(block)]


def column_rows(counts: sparse.csc_matrix | CountColumns, columns: np.ndarray
                ) -> sparse.csr_matrix:
    """counts[:, columns] as float32 CSR with sorted indices (`columns` increasing),
    copied a block of columns at a time: only the result and one block's temporaries are
    held, never a second whole copy of the selected columns. The rows' sizes come first
    (a pass over the row numbers), so each block's entries can go straight to their
    place; reading the blocks once would mean holding them all until then."""
    counts = CountColumns.of(counts)
    n_rows = counts.shape[0]
    blocks = column_blocks(counts.indptr, columns)
    # each row's share, from the row numbers alone: the values are read once, below
    per_row = np.zeros(n_rows, dtype=np.int64)
    for block in blocks:
        per_row += np.bincount(counts.column_indices(block), minlength=n_rows)
    total = int(per_row.sum())
    # the index dtype scipy's vstack gives the chunked count
    index_dtype = np.int32 if total <= np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n_rows + 1, dtype=index_dtype)
    np.cumsum(per_row, out=indptr[1:])
    data, indices = np.empty(total, dtype=np.float32), np.empty(total, dtype=index_dtype)
    cursor, first_column = indptr[:-1].astype(np.int64), 0
    for block in blocks:
        rows = counts.columns(block).tocsr()       # this block's entries, row by row
        lengths = np.diff(rows.indptr)
        row_of = np.repeat(np.arange(n_rows), lengths)
        where = cursor[row_of] + (np.arange(rows.nnz) - rows.indptr[row_of])
        data[where] = rows.data
        indices[where] = rows.indices + first_column
        cursor += lengths
        first_column += len(block)
    return sparse.csr_matrix((data, indices, indptr), shape=(n_rows, len(columns)))


def column_hits(matrix: sparse.csc_matrix | CountColumns, rows: np.ndarray) -> np.ndarray:
    """For each column of a CSC matrix, how many of its stored entries lie in a row where
    the boolean mask `rows` is set (int64), a block of entries at a time."""
    matrix = CountColumns.of(matrix)
    indptr = matrix.indptr.astype(np.int64, copy=False)
    # hits among the entries before each column start, filled block by block
    before = np.zeros(len(indptr), dtype=np.int64)
    total = 0
    for start in range(0, int(indptr[-1]), _HIT_BLOCK):
        stop = min(start + _HIT_BLOCK, int(indptr[-1]))
        running = np.cumsum(rows[matrix.indices(start, stop)], dtype=np.int64)
        lo, hi = np.searchsorted(indptr, [start, stop], side="right")
        before[lo:hi] = total + running[indptr[lo:hi] - start - 1]
        total += int(running[-1])
    return np.diff(before)


def transform(
    texts: Sequence[str], vocabulary: Sequence[str], idf: np.ndarray, *,
    n_jobs: int | None = None,
) -> sparse.csr_matrix:
    """New texts in an existing feature space (float32 CSR, L2-normalised rows)."""
    return tfidf(count_matrix(texts, vocabulary, n_jobs=n_jobs), idf)


def sample_rows(n: int, sample_docs: int, *, seed: int = 0) -> np.ndarray:
    """Sorted row numbers of a seeded sample of at most `sample_docs` of n documents."""
    if n <= sample_docs:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=sample_docs, replace=False))


def select_vocabulary(
    df: Counter[str], n_docs: int, *, max_features: int, min_df: int | float,
    max_df: int | float,
) -> list[str]:
    """Terms within [min_df, max_df], the `max_features` most frequent, sorted."""
    low = _as_count(min_df, n_docs)
    high = _as_count(max_df, n_docs)
    kept = [(-count, term) for term, count in df.items() if low <= count <= high]
    kept.sort()
    return sorted(term for _, term in kept[:max_features])


def count_matrix(
    texts: Sequence[str], vocabulary: Sequence[str], *, n_jobs: int | None = None,
) -> sparse.csr_matrix:
    """Raw term counts (float32 CSR, sorted indices), one row per text."""
    with worker_map(worker_count(n_jobs, len(texts))) as run:
        return _count(texts, vocabulary, run)


def document_frequencies(counts: sparse.csr_matrix) -> np.ndarray:
    """Number of rows in which each column is non-zero (int64)."""
    return np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.int64)


def smooth_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """ln((1 + n) / (1 + df)) + 1, as scikit-learn's smooth_idf (float32)."""
    return (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)


def tfidf(counts: sparse.csr_matrix, idf: np.ndarray, *, copy: bool = True) -> sparse.csr_matrix:
    """Sublinear tf times idf, rows scaled to unit length (zero rows stay zero).

    float32 CSR; with copy=False a float32 `counts` is overwritten to save memory.
    """
    from sklearn.preprocessing import normalize

    out = counts.astype(np.float32, copy=copy)
    data = out.data
    np.log(data, out=data)
    data += 1.0
    data *= idf[out.indices]
    return normalize(out, norm="l2", copy=False) if out.nnz else out


# -- sample document frequencies ---------------------------------------------------


def _sample_df(texts: Sequence[str], rows: np.ndarray, run: Mapper) -> Counter[str]:
    """Document frequency of every term over the sampled rows."""
    chunks = ([texts[int(i)] for i in rows[a:b]] for a, b in _chunks(len(rows)))
    total: Counter[str] = Counter()
    for part in run(_chunk_df, chunks):
        total.update(part)
    return total


def _chunk_df(texts: list[str]) -> Counter[str]:
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(analyze(text)))
    return df


# -- counting against a fixed vocabulary, in this process or in workers -------------

Mapper = Callable[..., Iterable[Any]]


def _count(texts: Sequence[str], vocabulary: Sequence[str], run: Mapper) -> sparse.csr_matrix:
    vocab = tuple(vocabulary)
    if not vocab or not len(texts):
        return sparse.csr_matrix((len(texts), len(vocab)), dtype=np.float32)
    key = hashlib.sha1("\n".join(vocab).encode()).hexdigest()
    tasks = ((key, vocab, _slice(texts, a, b)) for a, b in _chunks(len(texts)))
    return sparse.vstack(list(run(_count_chunk, tasks)), format="csr", dtype=np.float32)


# one counter per process, kept between chunks of the same vocabulary
_counter: tuple[str, Any] | None = None         # (vocabulary key, CountVectorizer)


def _count_chunk(task: tuple[str, tuple[str, ...], list[str]]) -> sparse.csr_matrix:
    global _counter
    key, vocabulary, texts = task
    if _counter is None or _counter[0] != key:
        from sklearn.feature_extraction.text import CountVectorizer

        _counter = (key, CountVectorizer(analyzer=analyze, vocabulary=list(vocabulary),
                                         token_pattern=None, dtype=np.float32))
    return _counter[1].transform(texts).tocsr()


@contextmanager
def worker_map(workers: int) -> Iterator[Mapper]:
    """`map` in this process, or over a pool of `workers` processes (in order)."""
    if workers <= 1:
        yield map
        return
    # spawn: a fresh interpreter, safe even when the caller runs threads
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        yield lambda fn, tasks: _bounded_map(pool, fn, tasks, ahead=2 * workers)


def _bounded_map(pool: ProcessPoolExecutor, fn: Callable, tasks: Iterable[Any], *, ahead: int
                 ) -> Iterator[Any]:
    """pool.map, in order, with at most `ahead` tasks submitted and not yet collected.

    Executor.map submits every task at once, which would hold the texts of every chunk
    (a lazily read corpus included) in memory together.
    """
    pending: deque = deque()
    for task in tasks:
        pending.append(pool.submit(fn, task))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def worker_count(n_jobs: int | None, n_docs: int) -> int:
    """Worker processes to use: 1 means work in this process."""
    n_chunks = -(-n_docs // CHUNK_DOCS)
    if n_jobs is None:
        n_jobs = available_cores() if n_docs >= PARALLEL_MIN_DOCS else 1
    return max(1, min(n_jobs, n_chunks))


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    size = CHUNK_DOCS
    for start in range(0, n, size):
        yield start, min(start + size, n)


def _slice(texts: Sequence[str], a: int, b: int) -> list[str]:
    return list(texts[a:b])


def _as_count(limit: int | float, n_docs: int) -> float:
    if isinstance(limit, float):
        if not 0.0 <= limit <= 1.0:
            raise ValueError(f"a fractional document frequency must be in [0, 1], got {limit}")
        return limit * n_docs
    if limit < 0:
        raise ValueError(f"a document count must be >= 0, got {limit}")
    return limit
