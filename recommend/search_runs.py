"""Search postings counted in bounded memory: sorted runs, spilled and merged (SPIMI).

Each chunk of documents is counted on its own (`count_chunk`, in worker processes when
there are enough documents) into compact postings per field: the chunk's distinct terms,
sorted, and a CSR matrix of counts with one row per document. Chunk results wait in
memory until they pass a byte budget; they are then merged into one run (a k-way merge
of their sorted term lists) and spilled to disk. At the end every run's term list is
merged into the final sorted vocabulary and the runs are copied, one at a time, into
the final column-major (CSC) matrix. So no stage holds a dictionary of every term or a
second copy of every posting, only the runs' term lists while they are merged.

The result does not depend on chunk sizes, the budget or the number of workers.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from recommend import acronyms as acronym_rules
from recommend.chunk_analysis import (
    analyse_texts,
    list_postings,
    name_tokens,
    term_postings,
    word_postings,
)
from recommend.search_terms import TermTable
from recommend.term_files import FileTerms
from recommend.term_union import merge_terms

# the fields counted per document: text terms (counts), title terms, author-name tokens,
# categories and the words as written (did-you-mean, update state) (presence)
FIELDS = ("text", "title", "authors", "cats", "words")
# chunk results held in memory before they are merged and spilled as one run
RUN_BUDGET_BYTES = 256 << 20
# documents counted per task; a chunk also ends at CHUNK_CHARS of text (full texts)
CHUNK_DOCS = 2000
CHUNK_CHARS = 16_000_000
# postings placed at a time when runs are copied into the final matrix
BLOCK_POSTINGS = 1 << 20

# what a chunk is made of: (text, title, authors, categories) per document
ChunkInput = list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]
# a chunk, and the rows in it whose written forms are counted (`word_postings`)
CountTask = tuple[ChunkInput, list[int]]


@dataclass
class Postings:
    """Distinct terms, sorted, and a (documents x terms) CSR matrix of int32 counts.

    The terms are a `TermTable` without hashes: one UTF-8 blob and offsets, 8 bytes a
    term beside its text where a list of str costs about 65."""

    terms: TermTable
    matrix: sparse.csr_matrix

    def nbytes(self) -> int:
        m, t = self.matrix, self.terms
        return (m.data.nbytes + m.indices.nbytes + m.indptr.nbytes + t.blob.nbytes
                + t.offsets.nbytes)


@dataclass
class ChunkCounts:
    """What one chunk of documents contributes to the search parts."""

    fields: dict[str, Postings]
    title_keys: np.ndarray
    lengths: np.ndarray         # each document's number of text terms (int64)
    evidence: list[list[str]]   # each document's `acronyms.paper_evidence` lines
    # (term, word as written) -> documents of the chunk's `form_rows` that write it
    forms: dict[tuple[str, str], int] = field(default_factory=dict)

    def nbytes(self) -> int:
        return sum(p.nbytes() for p in self.fields.values())


def count_task(task: CountTask) -> ChunkCounts:
    """`count_chunk` of a (chunk, form rows) task (in a worker process: top level)."""
    return count_chunk(*task)


def count_chunk(docs: ChunkInput, form_rows: Sequence[int] = ()) -> ChunkCounts:
    """Count one chunk of documents (runs in a worker process: top level, picklable).

    Per document: text terms (`analyze`, repeats counted), title terms (the set of
    `analyze`), author-name tokens, lowercase categories and the words as written; each
    field counted for the whole chunk at once (`recommend.chunk_analysis`). For the
    documents `form_rows`, the written forms of their words (the trend labels' sample,
    counted here from the words already split and stemmed rather than again by the
    process that reads the store).
    """
    from recommend.search_build import title_key

    texts = analyse_texts([text for text, _, _, _ in docs])
    text_terms, text_counts, lengths = term_postings(texts)
    word_table, word_matrix, forms = word_postings(texts, form_rows)
    title_terms, title_counts, _ = term_postings(
        analyse_texts([title for _, title, _, _ in docs]), binary=True)
    return ChunkCounts(
        fields={
            "text": Postings(text_terms, text_counts),
            "title": Postings(title_terms, title_counts),
            "authors": Postings(*list_postings((name_tokens(names) for _, _, names, _ in docs),
                                               binary=True)),
            "cats": Postings(*list_postings(([c.lower() for c in cats] for _, _, _, cats in docs),
                                            binary=True)),
            "words": Postings(word_table, word_matrix),
        },
        title_keys=np.array([title_key(title) for _, title, _, _ in docs], dtype=np.int64),
        lengths=lengths,
        evidence=[acronym_rules.paper_evidence(text) for text, _, _, _ in docs],
        forms=forms,
    )


def merge_postings(parts: Sequence[Postings]) -> Postings:
    """Postings of consecutive row blocks as one: rows stacked, columns on merged terms."""
    terms, maps = merge_terms([p.terms for p in parts])
    # each map is increasing, so every row's columns stay sorted
    blocks = [sparse.csr_matrix((p.matrix.data, m[p.matrix.indices].astype(np.int32),
                                 p.matrix.indptr), shape=(p.matrix.shape[0], len(terms)))
              for p, m in zip(parts, maps, strict=True)]
    return Postings(terms, sparse.vstack(blocks, format="csr", dtype=np.int32))


class Run:
    """One run's postings of a field, in memory or spilled to disk.

    Spilled, its term table (blob and offsets) and its matrix are files of their own: the
    term merges read only the terms, a window at a time (`FileTerms`), the matrix copies
    only the matrix (a text run's matrix is most of its bytes)."""

    def __init__(self, value: Postings, spill_to: Path | None = None) -> None:
        self._value: Postings | None = value
        self._path = spill_to
        self._terms: FileTerms | None = None
        self.nnz = value.matrix.nnz     # postings, known without loading a spilled run
        if spill_to is not None:
            self._terms = FileTerms.write(value.terms, *self._terms_paths())
            with spill_to.open("wb") as out:
                pickle.dump(value.matrix, out, protocol=pickle.HIGHEST_PROTOCOL)
            self._value = None

    def load(self) -> Postings:
        terms = self.terms()
        return Postings(terms.load() if isinstance(terms, FileTerms) else terms, self.matrix())

    def terms(self) -> TermTable | FileTerms:
        """The run's distinct terms, sorted (its matrix is not read); spilled, on disk."""
        if self._value is not None:
            return self._value.terms
        assert self._terms is not None
        return self._terms

    def matrix(self) -> sparse.csr_matrix:
        """The run's (documents x terms) CSR counts (its terms are not read)."""
        if self._value is not None:
            return self._value.matrix
        assert self._path is not None
        return self._unpickle(self._path)

    def _terms_paths(self) -> tuple[Path, Path]:
        assert self._path is not None
        return (self._path.with_name(self._path.name + ".terms-blob"),
                self._path.with_name(self._path.name + ".terms-offsets"))

    @staticmethod
    def _unpickle(path: Path):
        with path.open("rb") as src:  # a file this build wrote itself
            return pickle.load(src)


@dataclass
class RunWriter:
    """Collects chunk results in order; past `budget` bytes merges them into a run on disk.

    The merge and spill run in a background thread, so the process that feeds the
    counting workers keeps feeding them meanwhile (merged in the foreground, about a
    quarter of the counting at 1M papers left both workers idle). One merge runs at a
    time and each waits for the one before, so the runs keep document order and at most
    two budgets of chunk results are held."""

    spill_dir: Path
    budget: int = RUN_BUDGET_BYTES
    runs: dict[str, list[Run]] = field(default_factory=lambda: {f: [] for f in FIELDS})
    n_spilled: int = 0
    _pending: list[ChunkCounts] = field(default_factory=list)
    _pending_bytes: int = 0
    _merging: Future | None = None
    _merger: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1))

    def add(self, chunk: ChunkCounts) -> None:
        self._pending.append(chunk)
        self._pending_bytes += chunk.nbytes()
        if self._pending_bytes > self.budget:
            self._wait()
            chunks, self._pending, self._pending_bytes = self._pending, [], 0
            self._merging = self._merger.submit(self._flush, chunks, spill=True)

    def finish(self) -> dict[str, list[Run]]:
        """Every field's runs in document order. The last one stays in memory when it is
        the only one; after a spill it is spilled too, so the merge that follows holds
        one run at a time rather than the last run throughout."""
        self._wait()
        self._merger.shutdown()
        if self._pending:
            chunks, self._pending, self._pending_bytes = self._pending, [], 0
            self._flush(chunks, spill=self.n_spilled > 0)
        return self.runs

    def close(self) -> None:
        """Stop the background merge (after a failure, when the runs will not be used)."""
        self._merger.shutdown(cancel_futures=True)

    def _wait(self) -> None:
        if self._merging is not None:
            merging, self._merging = self._merging, None
            merging.result()        # a failed merge fails the build here

    def _flush(self, chunks: list[ChunkCounts], *, spill: bool) -> None:
        run_no = self.n_spilled
        for name in FIELDS:
            path = self.spill_dir / f"run{run_no:05d}.{name}.pkl" if spill else None
            self.runs[name].append(Run(merge_postings([c.fields[name] for c in chunks]), path))
        self.n_spilled += spill


def column_matrix(runs: Sequence[Run], n_cols: int, maps: Sequence[np.ndarray]
                  ) -> sparse.csc_matrix:
    """The runs' postings as one float32 CSC matrix, rows stacked in run order.

    maps[k] gives each of run k's columns its final column (-1: dropped). Runs are read
    one at a time, twice: once to size each column, once to copy into place a block of
    rows at a time, so only the final matrix, one run and one block's temporaries are
    held at once.
    """
    # each column's size, then (cumulated) its start: one array of column pointers, as
    # int32 when the entries allow (48M columns at 1M papers: every int64 copy is 384 MB)
    starts = np.zeros(n_cols + 1, dtype=np.int64)
    n_rows = 0
    for run, col_map in zip(runs, maps, strict=True):
        matrix = run.matrix()
        # counted per run column, then moved to final columns: no per-posting temporaries
        in_run = np.bincount(matrix.indices, minlength=len(col_map))
        kept = col_map >= 0
        starts[1:][col_map[kept]] += in_run[kept]
        n_rows += matrix.shape[0]
    np.cumsum(starts, out=starts)
    nnz = int(starts[-1])
    index_dtype = np.int32 if max(nnz, n_rows) <= np.iinfo(np.int32).max else np.int64
    indptr = starts.astype(index_dtype)
    del starts
    out = (np.empty(nnz, dtype=index_dtype), np.empty(nnz, dtype=np.float32))
    cursor, row0 = indptr[:-1].copy(), 0
    for run, col_map in zip(runs, maps, strict=True):
        matrix = run.matrix()
        for start, stop in _row_blocks(matrix.indptr):
            _place(matrix[start:stop], col_map, row0 + start, cursor, out)
        row0 += matrix.shape[0]
    del cursor
    return sparse.csc_matrix((out[1], out[0], indptr), shape=(n_rows, n_cols))


def _row_blocks(indptr: np.ndarray) -> Iterable[tuple[int, int]]:
    """Row ranges of about BLOCK_POSTINGS postings each (at least one row)."""
    start, n_rows = 0, len(indptr) - 1
    while start < n_rows:
        stop = int(np.searchsorted(indptr, indptr[start] + BLOCK_POSTINGS, side="right")) - 1
        stop = min(max(stop, start + 1), n_rows)
        yield start, stop
        start = stop


def _place(block: sparse.csr_matrix, col_map: np.ndarray, row0: int, cursor: np.ndarray,
           out: tuple[np.ndarray, np.ndarray]) -> None:
    """Copy a block of rows (final rows from row0) to the next free places of its columns."""
    indices, data = out
    cols = col_map[block.indices]
    rows = np.repeat(np.arange(row0, row0 + block.shape[0], dtype=indices.dtype),
                     np.diff(block.indptr))
    keep = np.flatnonzero(cols >= 0)
    keep = keep[np.argsort(cols[keep], kind="stable")]   # by column, rows in order
    cols = cols[keep]
    first = np.searchsorted(cols, cols)                   # each column's first entry
    where = cursor[cols] + (np.arange(len(cols)) - first)
    indices[where] = rows[keep]
    data[where] = block.data[keep]
    present, per_col = np.unique(cols, return_counts=True)
    cursor[present] += per_col


@dataclass
class CountedRuns:
    """Every document counted: each field's runs, and the per-document columns."""

    runs: dict[str, list[Run]]
    title_keys: np.ndarray
    lengths: np.ndarray             # int64
    evidence: list[list[str]]       # each document's acronym definitions
    # (term, word as written) -> documents writing it, of every `form_every`-th document
    forms: Counter[tuple[str, str]] = field(default_factory=Counter)


def count_runs(docs: Iterable, spill_dir: Path, *, n_docs: int, n_jobs: int | None = None,
               budget: int | None = None, form_every: int = 0) -> CountedRuns:
    """Count `docs` (each with .text, and .title, .authors, .categories if it has them)
    chunk by chunk, in worker processes when `n_jobs` (None: every core for a large
    corpus) allows, spilling runs to `spill_dir` past `budget` bytes; with `form_every`,
    the written forms of every form_every-th document (from the first)."""
    from recommend.features import worker_count, worker_map

    writer = RunWriter(spill_dir, RUN_BUDGET_BYTES if budget is None else budget)
    keys, lengths = [], []
    evidence: list[list[str]] = []
    forms: Counter[tuple[str, str]] = Counter()
    try:
        with worker_map(worker_count(n_jobs, n_docs)) as run:
            for chunk in run(count_task, count_tasks(chunk_inputs(docs), form_every)):
                keys.append(chunk.title_keys)
                lengths.append(chunk.lengths)
                evidence.extend(chunk.evidence)
                forms.update(chunk.forms)
                chunk.evidence, chunk.forms = [], {}
                writer.add(chunk)
        runs = writer.finish()
    finally:
        writer.close()
    return CountedRuns(runs, _joined(keys, np.int64), _joined(lengths, np.int64), evidence,
                       forms)


def count_tasks(chunks: Iterable[ChunkInput], form_every: int) -> Iterator[CountTask]:
    """Each chunk with its rows whose forms are counted: the documents whose number in
    the whole sequence is a multiple of `form_every` (none when it is 0)."""
    first = 0
    for chunk in chunks:
        rows = (list(range(-first % form_every, len(chunk), form_every)) if form_every > 0
                else [])
        yield chunk, rows
        first += len(chunk)


def chunk_inputs(docs: Iterable) -> Iterable[ChunkInput]:
    """The documents' searchable fields, CHUNK_DOCS documents (or CHUNK_CHARS) a chunk."""
    chunk: ChunkInput = []
    chars = 0
    for d in docs:
        chunk.append((d.text, getattr(d, "title", ""), tuple(getattr(d, "authors", ())),
                      tuple(d.categories)))
        chars += len(d.text)
        if len(chunk) >= CHUNK_DOCS or chars >= CHUNK_CHARS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def _joined(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype)
