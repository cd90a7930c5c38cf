"""The loaded search parts of an index version, and reading their postings (columns).

`search_index` wraps an index version's memory-mapped parts as a `SearchIndex`; the
helpers below read one term's column (the sorted rows of the papers holding it) and
intersect such row lists without ever touching the whole matrix.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from recommend import acronyms as acronym_rules
from recommend.row_reads import FileSlices, file_slices
from recommend.search_terms import PREFIX, TermTable
from recommend.text import ANALYZER

# above 1/DENSE_FRACTION of all papers, per-paper arrays beat binary searches
DENSE_FRACTION = 8


@dataclass(eq=False)
class SearchIndex:
    """The search parts of one index version, ready to query."""

    ids: np.ndarray
    published: np.ndarray
    text: sparse.csc_matrix
    title: sparse.csc_matrix
    authors: sparse.csc_matrix
    cats: sparse.csc_matrix
    title_keys: np.ndarray
    terms: TermTable
    author_terms: TermTable
    cat_terms: TermTable
    words: TermTable
    words_df: np.ndarray
    text_max: np.ndarray | None = None
    acronyms: tuple[acronym_rules.Acronym, ...] = ()
    row_of: Callable[[str], int | None] | None = None
    index: object | None = None     # the recommend.index.Index (features for query by example)

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, column: int) -> float:
        """Smooth idf of a text term from its column's length."""
        df = int(self.text.indptr[column + 1] - self.text.indptr[column])
        return float(np.log((1.0 + len(self)) / (1.0 + df)) + 1.0)

    def df(self, column: int) -> int:
        return int(self.text.indptr[column + 1] - self.text.indptr[column])

    @cached_property
    def text_reads(self) -> ColumnReads:
        """The text term columns read from the parts' files (`ColumnReads`)."""
        return ColumnReads.of(self.text)

    @cached_property
    def feature_postings(self) -> FeaturePostings:
        """The postings of the loaded index's feature terms (`FeaturePostings`)."""
        if self.index is None:
            raise ValueError("feature_postings needs the loaded index (its vocabulary)")
        return FeaturePostings(self, self.index.vocabulary)

    @cached_property
    def acronym_of(self) -> dict[str, acronym_rules.Acronym]:
        """Acronym term -> its learned definition."""
        return {a.term: a for a in self.acronyms}

    @cached_property
    def long_forms(self) -> dict[str, list[acronym_rules.Acronym]]:
        """First term of a long form's terms (its first bigram, or word) -> definitions."""
        out: dict[str, list[acronym_rules.Acronym]] = {}
        for a in self.acronyms:
            out.setdefault(joined_terms(a.long_terms)[0], []).append(a)
        return out


_loaded: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def search_index(index) -> SearchIndex | None:
    """The SearchIndex of a loaded `recommend.index.Index` (cached per index), or None when
    the version was built without search parts."""
    if index is None:
        return None
    cached = _loaded.get(index)
    if cached is not None:
        return cached
    p = index.parts
    if f"{PREFIX}text" not in p or str(p.get(f"{PREFIX}analyzer", [""])[0]) != ANALYZER:
        return None  # no search parts, or built with another analyser: needs a rebuild

    def table(name: str) -> TermTable:
        # a page's look-ups read the tables' files: scattered over parts of hundreds of MB,
        # through the mappings they left 100-180 MB mapped per paper page at 1M papers
        return TermTable(p[f"{PREFIX}{name}_blob"], p[f"{PREFIX}{name}_offsets"],
                         p.get(f"{PREFIX}{name}_hash"), p.get(f"{PREFIX}{name}_hash_pos")
                         ).reading_files()

    si = SearchIndex(ids=_plain(index.ids), published=_plain(index.published),
                     text=_plain(p[f"{PREFIX}text"]), title=_plain(p[f"{PREFIX}title"]),
                     authors=_plain(p[f"{PREFIX}authors"]), cats=_plain(p[f"{PREFIX}cats"]),
                     title_keys=_plain(p[f"{PREFIX}title_key"]),
                     terms=table("terms"), author_terms=table("author_terms"),
                     cat_terms=table("cat_terms"), words=table("words"),
                     words_df=p[f"{PREFIX}words_df"],
                     text_max=_plain(p[f"{PREFIX}text_max"]) if f"{PREFIX}text_max" in p else None,
                     acronyms=tuple(acronym_rules.unpack(p.get(f"{PREFIX}acronyms", ()))),
                     row_of=_weak_row_of(index), index=_weak(index))
    _loaded[index] = si
    return si


# The cached SearchIndex refers to its index only weakly: a value holding its own key
# strongly would keep every index version it was ever built for alive (and its maps open).
def _weak(index):
    try:
        return weakref.proxy(index)
    except TypeError:       # an object that takes no weak reference is not cached weakly anyway
        return index


def _weak_row_of(index) -> Callable[[str], int | None] | None:
    if not hasattr(index, "row"):
        return None
    ref = _weak(index)
    return lambda paper_id: ref.row(paper_id)


def _plain(part):
    """A memory-mapped part as plain ndarray views of the same pages: slicing a memmap
    subclass costs microseconds per call, and a query slices hundreds of times."""
    if sparse.issparse(part):
        cls = sparse.csc_matrix if part.format == "csc" else sparse.csr_matrix
        return cls((_plain(part.data), _plain(part.indices), _plain(part.indptr)),
                   shape=part.shape, copy=False)
    return np.asarray(part).view(np.ndarray)


def posting(matrix: sparse.csc_matrix, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Column j: the sorted rows holding the term, and their values."""
    a, b = matrix.indptr[j], matrix.indptr[j + 1]
    return matrix.indices[a:b], matrix.data[a:b]


def rows_with(matrix: sparse.csc_matrix, table: TermTable, term: str) -> np.ndarray:
    """Sorted rows holding `term` (none when the table does not know it)."""
    j = table.find(term)
    return posting(matrix, j)[0] if j is not None else np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class ColumnReads:
    """The columns of a CSC part read from its files (`row_reads.FileSlices`), not through
    its mappings: a column's two bounds in one read, then its rows in one more. For pages
    that read a few hundred scattered columns, such as a paper page's similar-paper
    candidates (through the mappings: 25-35 MB of search_text.indptr per page at 1M)."""

    indptr: FileSlices | np.ndarray
    indices: FileSlices | np.ndarray

    @classmethod
    def of(cls, matrix: sparse.csc_matrix) -> ColumnReads:
        return cls(file_slices(matrix.indptr), file_slices(matrix.indices))

    def rows(self, j: int, at_most: int | None = None) -> np.ndarray | None:
        """Column j's sorted rows, as `posting(matrix, j)[0]` gives them; None when more
        than `at_most` (when given) hold it, without reading them."""
        start, end = self.indptr[j:j + 2]
        if at_most is not None and end - start > at_most:
            return None
        return np.asarray(self.indices[int(start):int(end)])


class FeaturePostings:
    """The search text postings of the feature matrix's terms, by feature column, read from
    the files: what a paper page's similar-paper candidates need (`similar.shared_term_rows`).

    A feature term's search column is looked up once (the term read from the vocabulary,
    found in the term table) and kept for as long as the version is loaded, 8 bytes a
    feature term (0.75 MB at 1M): a paper page's ~100 terms then cost a read of each
    column's bounds and, for those within the budget, one of its rows. Looking every term
    up again on every page (nine file reads a term) made a paper page 10 ms slower than
    the mapped look-ups, which cost nothing once mapped.
    """

    _UNKNOWN = -2       # not looked up yet; -1: the search index does not hold the term

    def __init__(self, si: SearchIndex, vocabulary: np.ndarray) -> None:
        self._terms = si.terms
        self._reads = si.text_reads
        self._vocabulary = file_slices(vocabulary)
        self._columns = np.full(len(vocabulary), self._UNKNOWN, dtype=np.int64)

    def search_column(self, j: int) -> int | None:
        """The search text column of feature column j's term, or None."""
        column = int(self._columns[j])
        if column == self._UNKNOWN:
            found = self._terms.find(str(self._vocabulary[j]))
            column = -1 if found is None else found
            self._columns[j] = column
        return None if column < 0 else column

    def rows(self, j: int, at_most: int) -> np.ndarray | None:
        """The sorted rows holding feature column j's term (`rows_with(si.text, si.terms,
        term)`), or None when more than `at_most` hold it (then they are not read)."""
        column = self.search_column(j)
        if column is None:
            return np.zeros(0, dtype=np.int32)
        return self._reads.rows(column, at_most)


def positions(rows: np.ndarray, column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted `rows`: where each sits in the sorted `column`, and whether it is there."""
    if not len(column):
        return np.zeros(len(rows), dtype=np.intp), np.zeros(len(rows), dtype=bool)
    pos = np.minimum(np.searchsorted(column, rows), len(column) - 1)
    return pos, column[pos] == rows


def intersect(sets: list[np.ndarray], n: int) -> np.ndarray:
    """Sorted rows in every one of the sorted `sets` (all rows when there are none).

    Starts from the smallest set and keeps, set by set, the rows found by binary search:
    cost grows with the smallest set, not with the number of papers.
    """
    if not sets:
        return np.arange(n)
    if len(sets) == 1:
        return np.asarray(sets[0])
    sets = sorted(sets, key=len)
    if len(sets[0]) * DENSE_FRACTION > n:  # every set is large: counting is cheaper
        counts = np.zeros(n, dtype=np.int16)
        for rows in sets:
            counts[rows] += 1
        return np.flatnonzero(counts == len(sets))
    rows = np.asarray(sets[0])
    for other in sets[1:]:
        if not len(rows):
            break
        rows = rows[positions(rows, other)[1]]
    return rows


def joined_terms(long_terms: tuple[str, ...]) -> tuple[str, ...]:
    """A long form as index terms: its bigrams (its word, when it has one)."""
    pairs = tuple(f"{a} {b}" for a, b in zip(long_terms, long_terms[1:], strict=False))
    return pairs or long_terms
