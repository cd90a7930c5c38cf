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
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from domain.index_files import TMP_PREFIX
from recommend import acronyms as acronym_rules
from recommend.count_columns import CountColumns
from recommend.features import available_cores
from recommend.index_stream import StreamedArray, StreamedSparse, in_memory, spilled_array
from recommend.search_runs import CountedRuns, Run, column_matrix, count_runs
from recommend.search_state import Part, common_words_parts, state_parts, tf_dtype
from recommend.search_surface import spilled_surface
from recommend.search_terms import PREFIX, TermTable
from recommend.term_hashes import HashIndex, hashing
from recommend.term_union import merge_terms
from recommend.text import ANALYZER, words

BM25_K1 = 1.2
BM25_B = 0.75
# postings weighted at a time by `bm25_part`
_BLOCK_ENTRIES = 1 << 22


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
    return _entries_column_max(matrix.data, matrix.indptr)


def _entries_column_max(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Each column's largest stored value (0 for an empty column) of CSC data and indptr."""
    out = np.zeros(len(indptr) - 1, dtype=np.float32)
    filled = np.flatnonzero(np.diff(indptr))
    if len(filled):
        out[filled] = np.maximum.reduceat(data, indptr[filled])
    return out


def _bm25_norm(lengths: np.ndarray) -> np.ndarray:
    """Each paper's BM25 length norm (float32)."""
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(float(lengths.mean()), 1.0))
    return norm.astype(np.float32)


def _bm25_blocks(counts: CountColumns, norm: np.ndarray,
                 idf: Callable[[int, int], np.ndarray]) -> Iterator[tuple[int, int, np.ndarray]]:
    """(first, end, weights): the BM25 weights of columns [first, end), a block of about
    _BLOCK_ENTRIES postings at a time (the weights do not depend on the blocks); `idf`
    gives the idf of columns [first, end)."""
    indptr = counts.indptr
    for first, end in counts.entry_blocks(_BLOCK_ENTRIES):
        a, b = int(indptr[first]), int(indptr[end])
        tf = counts.data(a, b)
        block = tf * np.float32(BM25_K1 + 1)
        block /= tf + norm[counts.indices(a, b)]
        block *= np.repeat(idf(first, end), np.diff(indptr[first:end + 1]))
        yield first, end, block


def _column_idf(counts: CountColumns) -> Callable[[int, int], np.ndarray]:
    """The idf of columns [first, end), each column's document frequency its number of
    entries: computed a block at a time, as `bm25_idf` computes it for every column
    (element by element, so the same values), without the whole table's float64
    temporaries (several 8 bytes a term at once: 50M terms at 100k papers with 30k full
    texts)."""
    indptr, n = counts.indptr, counts.shape[0]
    return lambda first, end: bm25_idf(np.diff(indptr[first:end + 1]).astype(np.int64), n)


def bm25_part(counts: sparse.csc_matrix, lengths: np.ndarray, df: np.ndarray
              ) -> sparse.csc_matrix:
    """The search_text part from raw counts: (papers x terms) CSC of term counts, each
    paper's length in terms (float32) and each term's document frequency. Gives the
    same weights as `bm25_weights`, a column block at a time to bound the temporaries."""
    columns = CountColumns.of(counts)
    weights = np.empty(columns.nnz, dtype=np.float32)
    idf = bm25_idf(df, columns.shape[0])
    for first, end, block in _bm25_blocks(columns, _bm25_norm(lengths),
                                          lambda first, end: idf[first:end]):
        weights[columns.indptr[first]:columns.indptr[end]] = block
    return _csc(sparse.csc_matrix((weights, counts.indices, counts.indptr), shape=counts.shape))


def streamed_text_parts(counts: CountColumns, lengths: np.ndarray,
                        spill_dir: Path | None = None
                        ) -> dict[str, StreamedSparse | StreamedArray | np.ndarray]:
    """search_text, search_text_max and search_text_tf from the raw counts, the first and
    the last written a block at a time when saved (`recommend.index_stream`): they equal
    `bm25_part`, its column maxima and the counts as `search_state.tf_dtype`. The counts'
    rows are sorted within each column (as `column_matrix` makes them). No array of a
    value per term is kept for the saving: the idf is computed a block at a time, the
    column pointers converted a block at a time, and the column maxima written to
    `spill_dir` when there is one (4 bytes a term each: 50M terms at 100k papers with
    30k full texts)."""
    indptr = counts.indptr
    norm, idf = _bm25_norm(lengths), _column_idf(counts)
    text_max, max_count = np.zeros(counts.shape[1], dtype=np.float32), 0
    for first, end, block in _bm25_blocks(counts, norm, idf):
        text_max[first:end] = _entries_column_max(block, indptr[first:end + 1] - indptr[first])
    for first, end in counts.entry_blocks():
        max_count = max(max_count, int(counts.data(int(indptr[first]), int(indptr[end]))
                                       .max(initial=0)))

    def entries(read: Callable[[int, int], np.ndarray]) -> Iterator[np.ndarray]:
        return (read(int(indptr[first]), int(indptr[end]))
                for first, end in counts.entry_blocks())

    index_dtype = np.dtype(counts.index_dtype)
    text = StreamedSparse(
        "csc", counts.shape,
        StreamedArray(np.dtype(np.float32), counts.nnz,
                      lambda: (block for _, _, block in _bm25_blocks(counts, norm, idf))),
        StreamedArray(index_dtype, counts.nnz, lambda: entries(counts.indices)),
        StreamedArray(index_dtype, len(indptr), lambda: (
            indptr[a:a + _BLOCK_ENTRIES].astype(index_dtype)
            for a in range(0, len(indptr), _BLOCK_ENTRIES))))
    tf = StreamedArray(np.dtype(tf_dtype(max_count)), counts.nnz, lambda: entries(counts.data))
    column_max = text_max if spill_dir is None else spilled_array(text_max,
                                                                  spill_dir / "text_max")
    return {f"{PREFIX}text": text, f"{PREFIX}text_max": column_max, f"{PREFIX}text_tf": tf}


def build_search_parts(index, docs: Sequence, *, n_jobs: int | None = None,
                       budget: int | None = None) -> dict[str, Part]:
    """Index builder (see recommend.index.build_index): the complete search term index.

    Needs only docs' text, title, authors and categories, read in one pass; `index`
    gives the directory next to which counted runs are spilled (`recommend.search_runs`)
    past `budget` bytes. n_jobs: counting processes (None: every core for a large corpus).
    """
    n = len(docs)
    if not n:
        return {}
    root = getattr(index, "path", None)
    spill_root = Path(root).parent if isinstance(root, Path) and root.parent.is_dir() else None
    # TMP_PREFIX: the next build removes what a killed one left in the index root
    with tempfile.TemporaryDirectory(prefix=f"{TMP_PREFIX}search-runs-", dir=spill_root) as tmp:
        counted = count_runs(docs, Path(tmp), n_docs=n, n_jobs=n_jobs, budget=budget)
        return _parts(counted, n)


def _parts(counted: CountedRuns, n: int) -> dict[str, Part]:
    vocab, counts = text_counts(counted, n)
    # whole arrays: callers of the builder read its parts (the full build streams them)
    return in_memory(parts_from_counts(counted, vocab, counts, n))


def text_counts(counted: CountedRuns, n: int) -> tuple[TermTable, sparse.csc_matrix]:
    """Every text term, sorted (with its hash index), and the papers x terms CSC
    matrix of their raw counts (float32, rows sorted within each column): what search,
    the features and the trends of a full build are all made from."""
    vocab, maps = merge_terms([run.terms() for run in counted.runs["text"]])
    if not len(vocab):
        return vocab, sparse.csc_matrix((n, 0), dtype=np.float32)
    # the terms are hashed in worker processes while this one makes the matrix
    with hashing(vocab, available_cores()) as hashed_table:
        counts = column_matrix(counted.runs["text"], len(vocab), maps)
        del maps
        return hashed_table(), counts


def parts_from_counts(counted: CountedRuns, vocab: TermTable,
                      counts: sparse.csc_matrix | CountColumns, n: int,
                      title: sparse.csc_matrix | None = None, *,
                      spill_dir: Path | None = None) -> dict[str, Part]:
    """The search parts from the counted runs and `text_counts`' table and matrix (in
    memory or spilled: it is only read, block by block); `title`: `title_matrix` when
    the caller has it already. The text parts made from the counts are streamed
    (`streamed_text_parts`): they are read and written a block at a time when saved.
    `spill_dir`: the written words are made through files there (`search_surface`),
    not in memory, and saved from them."""
    runs = counted.runs
    if not len(vocab):
        return {}
    text = streamed_text_parts(CountColumns.of(counts), counted.lengths.astype(np.float32),
                               spill_dir)
    if spill_dir is None:
        surface, common = _surface(runs["words"]), None
    else:
        surface, common = spilled_surface(runs["words"], spill_dir, available_cores())
    # what an incremental update needs (recommend.search_state)
    state = state_parts(text.pop(f"{PREFIX}text_tf"), counted.lengths, surface,
                        counted.evidence)
    parts: dict[str, Part] = {
        f"{PREFIX}analyzer": np.array([ANALYZER]), **text,
        f"{PREFIX}title": title_matrix(counted, vocab) if title is None else title,
        f"{PREFIX}title_key": counted.title_keys,
    }
    learned = acronym_rules.pack(acronym_rules.learn_evidence(counted.evidence))
    parts[f"{PREFIX}acronyms"] = np.array(learned, dtype=str) if learned else np.array([], "<U1")
    parts.update(vocab.parts("terms"))
    del vocab
    parts.update(common_words_parts(state) if common is None else common)
    for name, table in (("authors", "author_terms"), ("cats", "cat_terms")):
        matrix, terms = _binary_part(runs[name], n)
        parts[f"{PREFIX}{name}"] = matrix
        parts.update(terms.with_hashes().parts(table))
    parts.update(state)
    return parts


def title_matrix(counted: CountedRuns, vocab: TermTable | HashIndex) -> sparse.csc_matrix:
    """Papers x text terms, 1 where the title has the term (title terms outside the text
    vocabulary are dropped), rows sorted in each column. `vocab` has its hash index (or
    is one: `HashIndex`, the text terms on disk)."""
    runs = counted.runs["title"]
    if not len(vocab):
        return sparse.csc_matrix((len(counted.lengths), 0), dtype=np.float32)
    terms, maps = merge_terms([run.terms() for run in runs])
    in_vocab = vocab.positions_of(terms)
    return _csc(column_matrix(runs, len(vocab), [in_vocab[m] for m in maps]))


def _binary_part(runs: Sequence[Run], n: int) -> tuple[sparse.csc_matrix, TermTable]:
    """A presence matrix (papers x distinct values) and its sorted values."""
    terms, maps = merge_terms([run.terms() for run in runs])
    if not len(terms):
        return sparse.csc_matrix((n, 0), dtype=np.float32), terms
    return _csc(column_matrix(runs, len(terms), maps)), terms


def _surface(runs: Sequence[Run]) -> tuple[TermTable, np.ndarray, np.ndarray]:
    """Every written word, sorted, and each paper's words as positions in that table
    (CSR indptr and ids, sorted within each paper since the runs' maps are increasing)."""
    table, maps = merge_terms([run.terms() for run in runs])
    # the words are hashed in worker processes while this one places them
    with hashing(table, available_cores()) as hashed:
        indptr, offset = [np.zeros(1, dtype=np.int64)], 0
        ids = np.empty(sum(run.nnz for run in runs), dtype=np.int32)   # filled in place
        for run, col_map in zip(runs, maps, strict=True):
            matrix = run.matrix()
            ids[offset:offset + matrix.nnz] = col_map[matrix.indices]
            indptr.append(matrix.indptr[1:].astype(np.int64) + offset)
            offset += matrix.nnz
        return hashed(), np.concatenate(indptr), ids
