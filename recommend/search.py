"""Ranked search over the complete term index: build its parts, answer parsed queries.

The recommendation features prune their vocabulary (max_df, max_features); search must
not, or rare words and most phrases find nothing. `build_search_parts` therefore counts
every unigram and bigram of every document (same tokeniser) into its own matrices, saved
in the index version as parts:

- search_text: papers x terms, sublinear tf-idf, L2-normalised rows, float32 CSC
- search_title: papers x terms, 1 where the title has the term (CSC)
- search_authors / search_cats: papers x author-name tokens / categories (CSC)
- search_title_key: a 64-bit hash of each normalised title (exact-title boost)
- search_words / search_words_df: unigrams in two or more papers (did-you-mean)
- the term, author-token and category tables as sorted UTF-8 blobs with offsets
  (`TermTable`), memory-mapped and binary-searched, so a multi-million-term vocabulary
  costs no start-up time and no per-worker copy

`search` scores by walking only the query terms' columns (an inverted-index walk), never
the whole matrix: cosine over the query's terms, plus boosts for title terms, author
names and an exact title.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from recommend.features import smooth_idf, tfidf
from recommend.search_query import ParsedQuery, author_tokens
from recommend.text import analyze, words

PREFIX = "search_"
TITLE_BOOST = 0.35      # times the share of the query's idf found in the title
AUTHOR_BOOST = 0.5      # times the share of query words that are the paper's author names
EXACT_TITLE_BOOST = 1.0
SORTS = ("relevance", "date")


# -- a sorted string table in two arrays ------------------------------------------------


class TermTable(Sequence[str]):
    """Sorted strings stored as one UTF-8 byte blob plus offsets; `find` is a binary search."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets
        # plain views: slicing a memmap subclass costs microseconds per call
        self._bytes = memoryview(np.asarray(blob).view(np.ndarray)).cast("B")
        self._offsets = np.asarray(offsets).view(np.ndarray)

    @classmethod
    def pack(cls, terms: Sequence[str]) -> TermTable:
        """A table of `terms`, which must already be sorted."""
        encoded = [t.encode() for t in terms]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8) if encoded else np.zeros(0, np.uint8)
        return cls(blob, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._raw(i).decode()

    def _raw(self, i: int) -> bytes:
        return bytes(self._bytes[int(self._offsets[i]):int(self._offsets[i + 1])])

    def _bisect(self, key: bytes) -> int:
        """First position whose UTF-8 bytes are >= key (byte order is code-point order)."""
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._raw(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def find(self, term: str) -> int | None:
        """Position of `term`, or None."""
        key = term.encode()
        i = self._bisect(key)
        return i if i < len(self) and self._raw(i) == key else None

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """[lo, hi) of the terms starting with `prefix`."""
        return self._bisect(prefix.encode()), self._bisect((prefix + "\U0010ffff").encode())

    def parts(self, name: str) -> dict[str, np.ndarray]:
        return {f"{PREFIX}{name}_blob": self.blob, f"{PREFIX}{name}_offsets": self.offsets}


# -- building ---------------------------------------------------------------------------


def title_key(text: str) -> int:
    """64-bit key of a title's words (case, punctuation and spacing ignored)."""
    normal = " ".join(w for w in words(text) if w)
    return int.from_bytes(hashlib.blake2b(normal.encode(), digest_size=8).digest(), "little",
                          signed=True)


def _binary_counts(values: Sequence, analyzer) -> tuple[sparse.csc_matrix, list[str]]:
    if not any(values):
        return sparse.csc_matrix((len(values), 0), dtype=np.float32), []
    vec = CountVectorizer(analyzer=analyzer, binary=True, dtype=np.float32)
    matrix = vec.fit_transform(values).tocsc()
    return matrix, list(vec.get_feature_names_out())


def build_search_parts(index, docs: Sequence) -> dict[str, np.ndarray | sparse.spmatrix]:
    """Index builder (see recommend.index.build_index): the complete search term index.

    Needs only docs' text, title, authors and categories; `index` is unused but part of
    the builder signature.
    """
    n = len(docs)
    vec = CountVectorizer(analyzer=analyze, dtype=np.float32)
    counts = vec.fit_transform([d.text for d in docs]).tocsr() if n else None
    if counts is None or counts.shape[1] == 0:
        return {}
    vocab = list(vec.get_feature_names_out())
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    text = tfidf(counts, smooth_idf(df, n), copy=False).tocsc()
    titles = CountVectorizer(analyzer=analyze, vocabulary=vec.vocabulary_, binary=True,
                             dtype=np.float32).transform([d.title for d in docs]).tocsc()
    authors, author_vocab = _binary_counts(
        [tuple(getattr(d, "authors", ())) for d in docs],
        lambda names: [t for name in names for t in author_tokens(name)])
    cats, cat_vocab = _binary_counts([tuple(d.categories) for d in docs],
                                     lambda cs: [c.lower() for c in cs])
    del vec, counts
    parts: dict[str, np.ndarray | sparse.spmatrix] = {
        f"{PREFIX}text": text, f"{PREFIX}title": titles, f"{PREFIX}authors": authors,
        f"{PREFIX}cats": cats,
        f"{PREFIX}title_key": np.array([title_key(getattr(d, "title", "")) for d in docs],
                                       dtype=np.int64),
    }
    parts.update(TermTable.pack(vocab).parts("terms"))
    common = [j for j, term in enumerate(vocab) if df[j] >= 2 and " " not in term]
    parts.update(TermTable.pack([vocab[j] for j in common]).parts("words"))
    parts[f"{PREFIX}words_df"] = df[common].astype(np.int32)
    parts.update(TermTable.pack(author_vocab).parts("author_terms"))
    parts.update(TermTable.pack(cat_vocab).parts("cat_terms"))
    return parts


# -- loading ----------------------------------------------------------------------------


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

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, column: int) -> float:
        """Smooth idf of a text term from its column's length."""
        df = int(self.text.indptr[column + 1] - self.text.indptr[column])
        return float(np.log((1.0 + len(self)) / (1.0 + df)) + 1.0)

    def df(self, column: int) -> int:
        return int(self.text.indptr[column + 1] - self.text.indptr[column])


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
    if f"{PREFIX}text" not in p:
        return None

    def table(name: str) -> TermTable:
        return TermTable(p[f"{PREFIX}{name}_blob"], p[f"{PREFIX}{name}_offsets"])

    si = SearchIndex(ids=index.ids, published=index.published, text=p[f"{PREFIX}text"],
                     title=p[f"{PREFIX}title"], authors=p[f"{PREFIX}authors"],
                     cats=p[f"{PREFIX}cats"], title_keys=p[f"{PREFIX}title_key"],
                     terms=table("terms"), author_terms=table("author_terms"),
                     cat_terms=table("cat_terms"), words=table("words"),
                     words_df=p[f"{PREFIX}words_df"])
    _loaded[index] = si
    return si


# -- querying ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Filters from the page beside the query: categories (all must apply), a date range."""

    categories: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class SearchResult:
    """One page of hits: (paper id, score) best first, and how many papers matched."""

    total: int
    hits: list[tuple[str, float]]
    missing: tuple[str, ...] = ()   # query words found nowhere in the index


def _column(matrix: sparse.csc_matrix, j: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = matrix.indptr[j], matrix.indptr[j + 1]
    return matrix.indices[a:b], matrix.data[a:b]


def _rows_with(matrix: sparse.csc_matrix, table: TermTable, term: str) -> np.ndarray:
    j = table.find(term)
    return _column(matrix, j)[0] if j is not None else np.zeros(0, dtype=np.int32)


def _require(mask: np.ndarray, rows: np.ndarray) -> None:
    """mask &= (row in rows), in place."""
    keep = np.zeros_like(mask)
    keep[rows] = True
    mask &= keep


def match_mask(si: SearchIndex, q: ParsedQuery, filters: Filters = Filters()
               ) -> tuple[np.ndarray, tuple[str, ...]]:
    """Papers that match every word, phrase and filter; and the words found nowhere."""
    n = len(si)
    mask = np.ones(n, dtype=bool)
    missing = []
    for word in q.words:
        text_rows = _rows_with(si.text, si.terms, word)
        name = author_tokens(word)
        author_rows = _rows_with(si.authors, si.author_terms, name[0]) if name else text_rows[:0]
        if not len(text_rows) and not len(author_rows):
            missing.append(word)
        _require(mask, np.concatenate([text_rows, author_rows]))
    for phrase in q.phrases:
        for term in phrase:
            _require(mask, _rows_with(si.text, si.terms, term))
    for tokens in q.authors:
        for token in tokens:
            _require(mask, _rows_with(si.authors, si.author_terms, token))
    for cat in (*q.categories, *(c.lower() for c in filters.categories)):
        _require(mask, _rows_with(si.cats, si.cat_terms, cat))
    if q.ids:
        _require(mask, np.flatnonzero(np.isin(si.ids, np.asarray(q.ids))))
    _date_filters(si, mask, q, filters)
    return mask, tuple(missing)


def _date_filters(si: SearchIndex, mask: np.ndarray, q: ParsedQuery, filters: Filters) -> None:
    lo, hi = filters.since, filters.until
    bounds = []
    if q.years:
        bounds.append((np.datetime64(f"{q.years[0]:04d}-01-01", "D"),
                       np.datetime64(f"{q.years[1] + 1:04d}-01-01", "D")))
    if lo or hi:
        bounds.append((np.datetime64(lo, "D") if lo else None, np.datetime64(hi, "D") if hi else None))
    for start, end in bounds:
        rows = np.flatnonzero(mask)
        days = si.published[rows]
        ok = np.ones(len(rows), dtype=bool)
        if start is not None:
            ok &= days >= start
        if end is not None:
            ok &= days < end
        mask[rows[~ok]] = False


def score_rows(si: SearchIndex, q: ParsedQuery, rows: np.ndarray) -> np.ndarray:
    """Relevance of the given rows: query-term cosine + title, author and exact-title boosts.

    Walks only the columns of the query's terms; cost grows with those columns' lengths,
    not with the number of papers.
    """
    n = len(si)
    text = np.zeros(n, dtype=np.float32)
    title = np.zeros(n, dtype=np.float32)
    weights = []
    for term in q.terms:
        j = si.terms.find(term)
        if j is None:
            continue
        w = si.idf(j)
        weights.append(w)
        r, v = _column(si.text, j)
        text[r] += v * w
        title[_column(si.title, j)[0]] += w
    scores = np.zeros(len(rows), dtype=np.float32)
    if weights:
        total = np.float32(sum(weights))
        norm = np.float32(np.sqrt(sum(w * w for w in weights)))
        scores += text[rows] / norm + TITLE_BOOST * title[rows] / total
    scores += AUTHOR_BOOST * _author_share(si, q, rows)
    if q.text:
        exact = si.title_keys[rows] == title_key(q.text)
        scores += EXACT_TITLE_BOOST * exact.astype(np.float32)
    return scores


def _author_share(si: SearchIndex, q: ParsedQuery, rows: np.ndarray) -> np.ndarray:
    """Share of the query's words (and author: filters) that are names of a paper's authors."""
    tokens = [t for w in q.words for t in author_tokens(w)[:1]]
    tokens += [t for names in q.authors for t in names]
    if not tokens:
        return np.zeros(len(rows), dtype=np.float32)
    hits = np.zeros(len(si), dtype=np.float32)
    for token in dict.fromkeys(tokens):
        hits[_rows_with(si.authors, si.author_terms, token)] += 1.0
    return hits[rows] / np.float32(len(dict.fromkeys(tokens)))


def search(si: SearchIndex, q: ParsedQuery, filters: Filters = Filters(), *,
           sort: str = "relevance", offset: int = 0, limit: int = 25) -> SearchResult:
    """One page of papers matching `q` and `filters`, best first (or newest first)."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}, got {sort!r}")
    if q.is_empty:
        return SearchResult(0, [])
    mask, missing = match_mask(si, q, filters)
    rows = np.flatnonzero(mask)
    if not len(rows):
        return SearchResult(0, [], missing)
    scores = score_rows(si, q, rows)
    order = _order(si, rows, scores, sort, offset + limit)[offset:offset + limit]
    hits = [(str(si.ids[rows[i]]), round(float(scores[i]), 4)) for i in order]
    return SearchResult(len(rows), hits, missing)


def _order(si: SearchIndex, rows: np.ndarray, scores: np.ndarray, sort: str, top: int) -> np.ndarray:
    """Positions into rows of the first `top` results, in order."""
    days = si.published[rows].astype(np.int64)
    if sort == "date":
        primary, secondary = -days, -scores
    else:
        primary, secondary = -scores, -days
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
