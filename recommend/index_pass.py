"""A full index build that analyses every paper's text once.

The TF-IDF features, the search parts and the trend parts all count the same thing, the
analysed terms (`recommend.text.analyze`) of each paper's text. Here the text is read
and analysed in one pass (`recommend.search_runs.count_runs`, in worker processes for a
large corpus), which also collects the per-paper columns and the labels' sample of
written forms. That gives one papers x terms CSC matrix of raw counts over every
unigram and bigram, written to the build's spill directory a band of columns at a time
(`recommend.count_bands`; read back by `recommend.count_columns`: about 2 GB at 1M
papers, which held in memory beside the parts made from it set the build's peak), from
which

- the features take the columns of the vocabulary chosen on the seeded sample
  (`recommend.features.features_from_counts`),
- the search parts are weighted (`recommend.search_build.parts_from_counts`),
- the trends take the columns of their frequent terms
  (`recommend.trend_build.trends_from_counts`),

each giving exactly what its own pass over the docs gives (`build_index` without
`OnePassBuilder`s still builds that way). Each reads the columns it needs a block at a
time, and search writes its largest parts (the BM25 weights, the counts it keeps) a
block at a time as they are saved (`recommend.index_stream`). The spill directory, with
the matrix, is removed when the builders are done or have failed; builders without
`from_counts` (LSA) run after that.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from domain.index_files import TMP_PREFIX
from recommend.build_log import log_stage, logged, name_of
from recommend.count_bands import spill_column_matrix
from recommend.count_columns import CountColumns
from recommend.features import available_cores, features_from_counts
from recommend.heap import release_free_heap
from recommend.index import (
    Doc,
    DocColumns,
    Index,
    index_from,
    run_builders,
    save_parts,
    write_core,
)
from recommend.index_stream import StreamedArray, file_array, spilled_array
from recommend.search_build import (
    build_search_parts,
    parts_from_counts,
    title_matrix,
)
from recommend.search_runs import CountedRuns, count_runs
from recommend.search_terms import PREFIX, TermTable
from recommend.term_files import FileTerms
from recommend.term_hashes import HashIndex
from recommend.term_union import merge_terms
from recommend.trend_build import (
    add_phrase_forms,
    builder_min_df,
    form_sampling,
    trend_builder,
    trends_from_counts,
)

if TYPE_CHECKING:
    from recommend.index import Builder, Part

@dataclass(frozen=True)
class SpilledTerms(Sequence[str]):
    """A sorted term table (`TermTable` without hashes) written to the spill directory.

    The full texts' vocabulary makes it as large as the count matrix (50M terms, 1.2 GB
    at 100k papers with 30k full texts), and the stages after the text matrix read little
    of it: the features and the trends a few columns' terms (`take`), search none (it
    saves the files as they are)."""

    blob: Path
    offsets: Path
    blob_dtype: np.dtype
    offsets_dtype: np.dtype
    n_terms: int
    n_bytes: int

    @classmethod
    def spill(cls, table: TermTable, directory: Path, name: str = "terms") -> SpilledTerms:
        blob, offsets = np.asarray(table.blob), np.asarray(table.offsets)
        spilled = cls(directory / f"{name}.blob", directory / f"{name}.offsets", blob.dtype,
                      offsets.dtype, len(table), len(blob))
        blob.tofile(spilled.blob)
        offsets.tofile(spilled.offsets)
        return spilled

    @classmethod
    def merged(cls, tables: Sequence[TermTable | FileTerms], directory: Path,
               name: str = "terms") -> tuple[SpilledTerms, list[np.ndarray]]:
        """`merge_terms(tables)` written to `directory` as `spill` writes the union, as it
        is merged: the union is never read back into memory beside the tables."""
        paths = (directory / f"{name}.blob", directory / f"{name}.offsets")
        table, maps = merge_terms(tables, into=paths)
        return cls(*paths, np.dtype(np.uint8), np.dtype(np.int64), len(table),
                   len(table.blob)), maps

    def __len__(self) -> int:
        return self.n_terms

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        j = i + len(self) if i < 0 else i
        if not 0 <= j < len(self):
            raise IndexError(i)
        return self.take(np.array([j]))[0]

    def __iter__(self) -> Iterator[str]:
        for _, window in self.files.windows():
            yield from window

    @property
    def files(self) -> FileTerms:
        """The table's files, read a window at a time."""
        return FileTerms(self.blob, self.offsets, self.n_terms, self.offsets_dtype)

    def table(self) -> TermTable:
        """The table on the spilled files, memory-mapped (read only)."""
        return TermTable(self._mapped(self.blob, self.blob_dtype, self.n_bytes),
                         self._mapped(self.offsets, self.offsets_dtype, self.n_terms + 1))

    def take(self, columns: np.ndarray) -> list[str]:
        """The terms at the increasing `columns`, decoded (`features.terms_at`), read from
        the files a window at a time (`FileTerms.take`)."""
        return self.files.take(columns)

    def load(self) -> TermTable:
        """The table read back into memory."""
        return TermTable(np.fromfile(self.blob, dtype=self.blob_dtype),
                         np.fromfile(self.offsets, dtype=self.offsets_dtype))

    def parts(self, name: str) -> dict[str, StreamedArray]:
        """The table's index parts (`TermTable.parts` without hashes), read from the files
        a block at a time as they are saved."""
        return {f"{PREFIX}{name}_blob": file_array(self.blob, self.blob_dtype, self.n_bytes),
                f"{PREFIX}{name}_offsets": file_array(self.offsets, self.offsets_dtype,
                                                      self.n_terms + 1)}

    @staticmethod
    def _mapped(path: Path, dtype: np.dtype, length: int) -> np.ndarray:
        if not length:          # an empty file cannot be mapped
            return np.zeros(0, dtype=dtype)
        return np.memmap(path, dtype=dtype, mode="r", shape=(length,))


@dataclass
class TextCounts:
    """Every paper's analysed text, counted once for a full build.

    counted: the search fields' runs and per-paper columns (`count_runs`); terms: every
    text term, sorted, without its hash index, spilled (term_hashes: the search parts of
    that index, read back from the spill directory when saved); counts: papers x terms raw
    counts (float32 CSC, spilled to disk by `count_text`); columns: the index's
    per-paper columns; forms: the trend labels' sample of written forms; title: papers x
    the same terms, where the title has the term; spill_dir: where the search parts
    write what they make through files (the written words, `recommend.search_surface`).
    """

    counted: CountedRuns
    terms: SpilledTerms
    counts: CountColumns | None
    title: sparse.csc_matrix
    columns: DocColumns
    forms: Counter[tuple[str, str]]
    term_hashes: dict[str, StreamedArray] = field(default_factory=dict)
    readers: int = 1
    spill_dir: Path | None = None

    @property
    def n_docs(self) -> int:
        return len(self.columns.ids)

    def read_counts(self) -> CountColumns:
        """The count matrix; the last of `readers` takes it, so that what it holds is
        freed as soon as that reader lets it go."""
        counts = self.counts
        if counts is None:
            raise RuntimeError("the text counts were already handed to their last reader")
        self.readers -= 1
        if self.readers <= 0:
            self.counts = None
        return counts


@dataclass(frozen=True)
class OnePassBuilder:
    """An index builder that can also make its parts from a full build's `TextCounts`.

    Called as a builder (index, docs) it reads the docs itself, as for any caller of
    `build_index` that has no counts to give."""

    build: Callable[[Index, Sequence[Doc]], Mapping[str, Part]]
    from_counts: Callable[[Index, TextCounts], Mapping[str, Part]]

    def __call__(self, index: Index, docs: Sequence[Doc]) -> Mapping[str, Part]:
        return self.build(index, docs)


def _search_from_counts(index: Index, text: TextCounts) -> Mapping[str, Part]:
    parts = parts_from_counts(text.counted, text.terms.table(), text.read_counts(),
                              text.n_docs, text.title, spill_dir=text.spill_dir)
    if not len(text.terms):
        return parts
    # the term table's parts saved from the spilled files, not from the mapped table
    return {**parts, **text.terms.parts("terms"), **text.term_hashes}


def _trends_from_counts(index: Index, text: TextCounts) -> Mapping[str, Part]:
    return trends_from_counts(index.published, text.read_counts(), text.terms, text.forms,
                              text.columns.categories, text.title,
                              min_df=builder_min_df(text.n_docs))


SEARCH_BUILDER = OnePassBuilder(build_search_parts, _search_from_counts)
TREND_BUILDER = OnePassBuilder(trend_builder, _trends_from_counts)


def build_in_one_pass(directory: Path, docs: Sequence[Doc], builders: Sequence[Builder],
                      settings: dict[str, Any], header: dict[str, Any], *,
                      n_jobs: int | None = None, budget: int | None = None
                      ) -> dict[str, Any]:
    """Write a version's core and every builder's parts into `directory`, reading and
    analysing the docs once; returns the meta written. `settings` are the feature
    parameters (`features_from_counts`), `header` more meta entries; runs past `budget`
    bytes spill beside `directory` (`recommend.search_runs`)."""
    from_counts = [b for b in builders if hasattr(b, "from_counts")]
    # TMP_PREFIX: the next build removes what a killed one left in the index root
    with tempfile.TemporaryDirectory(prefix=f"{TMP_PREFIX}search-runs-",
                                     dir=directory.parent) as spill:
        text = count_text(docs, Path(spill), n_jobs=n_jobs, budget=budget)
        text.readers = len(from_counts)
        features = logged("features", features_from_counts, text.counts, text.terms, **settings)
        meta = logged("core columns", write_core, directory, text.columns, features, settings,
                      header)
        del features
        release_free_heap()
        index = index_from(directory)
        for builder in from_counts:
            started = time.perf_counter()
            save_parts(directory, builder.from_counts(index, text), meta)
            release_free_heap()
            log_stage(name_of(builder), started)
        del text, index
    run_builders(directory, [b for b in builders if not hasattr(b, "from_counts")], docs, meta)
    return meta


def count_text(docs: Sequence[Doc], spill_dir: Path, *, n_jobs: int | None = None,
               budget: int | None = None) -> TextCounts:
    """Read and analyse every doc once: the search fields' runs, the text count matrix,
    the per-paper columns and the labels' sample of written forms."""
    columns = DocColumns()
    forms: Counter[tuple[str, str]] = Counter()
    every, every_phrase = form_sampling(len(docs))
    # the sampled docs' written words are counted by the workers (`word_postings`), from
    # the words they split and stem anyway; only the openings' phrases here
    counted = logged("count text", count_runs, _collecting(docs, columns, forms, every_phrase),
                     spill_dir, n_docs=len(docs), n_jobs=n_jobs, budget=budget,
                     form_every=every)
    forms.update(counted.forms)
    counted.forms = Counter()
    release_free_heap()     # the chunk results' and run merges' freed pages
    started = time.perf_counter()
    spilled_terms, spilled = _spilled_text_counts(counted, len(docs), spill_dir)
    hashes: dict[str, StreamedArray] = {}
    if len(spilled_terms):
        # after the matrix is on disk, and hashed from the spilled table's files: the
        # table is not read back into this process
        index = HashIndex.of_files(spilled_terms.files, available_cores())
        title = title_matrix(counted, index)
        # the hash index (16 bytes a term: 768 MB at 1M papers) is only saved from here on
        hashes = {name: spilled_array(value, spill_dir / name) for name, value in (
            (f"{PREFIX}terms_hash", index.hashes), (f"{PREFIX}terms_hash_pos", index.hash_pos))}
        del index
    else:
        title = title_matrix(counted, spilled_terms.load())
    release_free_heap()     # the term merge's, and the term table's
    log_stage("text matrix", started)
    return TextCounts(counted, spilled_terms, spilled, title, columns, forms, hashes,
                      spill_dir=spill_dir)


def _spilled_text_counts(counted: CountedRuns, n_docs: int, spill_dir: Path
                         ) -> tuple[SpilledTerms, CountColumns]:
    """`search_build.text_counts` (unhashed), each written to `spill_dir` as soon as it
    is made: the term table is not held while the matrix is made from the runs, and the
    matrix is written a band of columns at a time (`count_bands`), never whole."""
    runs = counted.runs["text"]
    terms, maps = SpilledTerms.merged([run.terms() for run in runs], spill_dir)
    if not len(terms):
        return terms, CountColumns.spill(sparse.csc_matrix((n_docs, 0), dtype=np.float32),
                                         spill_dir)
    return terms, spill_column_matrix(runs, len(terms), maps, spill_dir)


def _collecting(docs: Sequence[Doc], columns: DocColumns, forms: Counter[tuple[str, str]],
                every_phrase: int) -> Iterator[Doc]:
    """The docs, each added to `columns` (and every every_phrase-th one's opening phrases
    to `forms`) as it goes by to be counted."""
    for row, doc in enumerate(docs):
        columns.add(doc)
        if row % every_phrase == 0:
            add_phrase_forms(forms, doc.text)
        yield doc
