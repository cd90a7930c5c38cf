"""Ranked search over the complete term index: build its parts, answer parsed queries.

The recommendation features prune their vocabulary (max_df, max_features); search must
not, or rare words and most phrases find nothing. `build_search_parts` therefore counts
every unigram and bigram of every document (same tokeniser) into its own matrices, saved
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

Terms are stems (`recommend.text.analyze`), so every form of a word is one term.

`search` ranks by walking only the query terms' columns (an inverted-index walk), never
the whole matrix: BM25 over the query's terms, plus boosts for title terms, author
names and an exact title. Words are not a filter: every paper holding enough of the
query's words (MIN_SHOULD_MATCH) is ranked, those holding all of them first. Quoted
phrases, author:, cat:, id: and year: stay exact filters.
"""

from __future__ import annotations

import dataclasses
import hashlib
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
from scipy import sparse

from recommend import acronyms as acronym_rules
from recommend.search_query import ParsedQuery, author_tokens
from recommend.search_terms import PREFIX, TermTable
from recommend.text import ANALYZER, analyze, analyze_words, words

# the text scores at most 1 (BM25 as a share of the best per term); boosts add to that
TITLE_BOOST = 0.2       # times the share of the query's idf found in the title
AUTHOR_BOOST = 1.5      # times the share of query words that are the paper's author names
EXACT_TITLE_BOOST = 3.0
BM25_K1 = 1.2
BM25_B = 0.75
SORTS = ("relevance", "date")
MIN_SHOULD_MATCH_PERCENT = 25   # of a query's words, a paper must hold to be ranked
COORDINATION = True            # scale scores by the share of the query's words a paper holds
VERIFY_MAX = 5_000      # candidates whose text is read to check phrases the index cannot decide
# above 1/DENSE_FRACTION of all papers, per-paper arrays beat binary searches
DENSE_FRACTION = 8


# -- building ---------------------------------------------------------------------------


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
    surface_df: Counter[str] = Counter()

    def analyzer(text: str) -> list[str]:
        seq = words(text)
        surface_df.update({w for w in seq if w})   # the words as written, for did-you-mean
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
    del vec, counts
    parts: dict[str, np.ndarray | sparse.spmatrix] = {
        f"{PREFIX}analyzer": np.array([ANALYZER]),
        f"{PREFIX}text": text, f"{PREFIX}text_max": _column_max(text),
        f"{PREFIX}title": titles, f"{PREFIX}authors": authors, f"{PREFIX}cats": cats,
        f"{PREFIX}title_key": np.array([title_key(getattr(d, "title", "")) for d in docs],
                                       dtype=np.int64),
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
    def acronym_of(self) -> dict[str, acronym_rules.Acronym]:
        """Acronym term -> its learned definition."""
        return {a.term: a for a in self.acronyms}

    @cached_property
    def long_forms(self) -> dict[str, list[acronym_rules.Acronym]]:
        """First term of a long form's terms (its first bigram, or word) -> definitions."""
        out: dict[str, list[acronym_rules.Acronym]] = {}
        for a in self.acronyms:
            out.setdefault(_joined_terms(a.long_terms)[0], []).append(a)
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
        return TermTable(p[f"{PREFIX}{name}_blob"], p[f"{PREFIX}{name}_offsets"],
                         p.get(f"{PREFIX}{name}_hash"), p.get(f"{PREFIX}{name}_hash_pos"))

    si = SearchIndex(ids=_plain(index.ids), published=_plain(index.published),
                     text=_plain(p[f"{PREFIX}text"]), title=_plain(p[f"{PREFIX}title"]),
                     authors=_plain(p[f"{PREFIX}authors"]), cats=_plain(p[f"{PREFIX}cats"]),
                     title_keys=_plain(p[f"{PREFIX}title_key"]),
                     terms=table("terms"), author_terms=table("author_terms"),
                     cat_terms=table("cat_terms"), words=table("words"),
                     words_df=p[f"{PREFIX}words_df"],
                     text_max=_plain(p[f"{PREFIX}text_max"]) if f"{PREFIX}text_max" in p else None,
                     acronyms=tuple(acronym_rules.unpack(p.get(f"{PREFIX}acronyms", ()))),
                     row_of=getattr(index, "row", None), index=index)
    _loaded[index] = si
    return si


def _plain(part):
    """A memory-mapped part as plain ndarray views of the same pages: slicing a memmap
    subclass costs microseconds per call, and a query slices hundreds of times."""
    if sparse.issparse(part):
        cls = sparse.csc_matrix if part.format == "csc" else sparse.csr_matrix
        return cls((_plain(part.data), _plain(part.indices), _plain(part.indptr)),
                   shape=part.shape, copy=False)
    return np.asarray(part).view(np.ndarray)


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
    all_words: int = 0              # of total, papers holding every word of the query
    also_searched: tuple[str, ...] = ()   # acronyms or long forms searched beside the words


def _column(matrix: sparse.csc_matrix, j: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = matrix.indptr[j], matrix.indptr[j + 1]
    return matrix.indices[a:b], matrix.data[a:b]


def _rows_with(matrix: sparse.csc_matrix, table: TermTable, term: str) -> np.ndarray:
    j = table.find(term)
    return _column(matrix, j)[0] if j is not None else np.zeros(0, dtype=np.int32)


def _positions(rows: np.ndarray, column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted `rows`: where each sits in the sorted `column`, and whether it is there."""
    if not len(column):
        return np.zeros(len(rows), dtype=np.intp), np.zeros(len(rows), dtype=bool)
    pos = np.minimum(np.searchsorted(column, rows), len(column) - 1)
    return pos, column[pos] == rows


def _intersect(sets: list[np.ndarray], n: int) -> np.ndarray:
    """Sorted rows in every one of the sorted `sets` (all rows when there are none).

    Starts from the smallest set and keeps, set by set, the rows found by binary search:
    cost grows with the smallest set, not with the number of papers.
    """
    if not sets:
        return np.arange(n)
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
        rows = rows[_positions(rows, other)[1]]
    return rows


@dataclass(frozen=True)
class Expansion:
    """What learned acronyms add to a query: for a query word, groups of terms a paper
    may hold instead (all terms of a group); terms to score; and labels to show."""

    alternatives: dict[str, list[tuple[str, ...]]]
    terms: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()


def _joined_terms(long_terms: tuple[str, ...]) -> tuple[str, ...]:
    """A long form as index terms: its bigrams (its word, when it has one)."""
    pairs = tuple(f"{a} {b}" for a, b in zip(long_terms, long_terms[1:], strict=False))
    return pairs or long_terms


def expand(si: SearchIndex, q: ParsedQuery) -> Expansion:
    """Acronym expansion: a query word that is a learned acronym also finds papers with its
    long form, and a long form typed in the query also finds papers with the acronym.
    Words inside quoted phrases stay exact."""
    exact = {t for phrase in q.phrases for term in phrase for t in term.split(" ")}
    alternatives: dict[str, list[tuple[str, ...]]] = {}
    terms: list[str] = []
    shown: list[str] = []
    for word in q.words:
        a = si.acronym_of.get(word)
        if a is not None and word not in exact:
            alternatives.setdefault(word, []).append(_joined_terms(a.long_terms))
            terms.extend(_joined_terms(a.long_terms))
            shown.append(a.long_written)
    have = set(q.terms)
    for term in q.terms:
        for a in si.long_forms.get(term, ()):
            long_terms = _joined_terms(a.long_terms)
            if set(long_terms) <= have and not set(a.long_terms) & exact and a.term not in have:
                for word in a.long_terms:
                    alternatives.setdefault(word, []).append((a.term,))
                terms.append(a.term)
                shown.append(a.written)
    return Expansion(alternatives, tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(shown)))


def min_should_match(n_words: int) -> int:
    """Words of an n-word query a paper must hold to be ranked (Lucene's
    minimum-should-match): a quarter of them, rounded up. Measured on
    bench/search_quality.py, a higher share cut recall on questions more than it helped
    the top ten, which the coordination factor (scores times the share held) keeps clean."""
    return max(1, -(-n_words * MIN_SHOULD_MATCH_PERCENT // 100))


def filter_rows(si: SearchIndex, q: ParsedQuery, filters: Filters = Filters()) -> np.ndarray | None:
    """Sorted rows that pass the exact parts of the query (phrases' terms, author:, cat:,
    id:, year:) and the page's filters; None when nothing filters."""
    sets = [_rows_with(si.text, si.terms, term) for phrase in q.phrases for term in phrase]
    sets += [_rows_with(si.authors, si.author_terms, t) for tokens in q.authors for t in tokens]
    sets += [_rows_with(si.cats, si.cat_terms, c)
             for c in (*q.categories, *(c.lower() for c in filters.categories))]
    if q.ids:
        sets.append(_id_rows(si, q.ids))
    if not sets and not (q.years or filters.since or filters.until):
        return None
    return _date_filter(si, _intersect(sets, len(si)), q, filters)


def match_rows(si: SearchIndex, q: ParsedQuery, filters: Filters = Filters(),
               expansion: Expansion | None = None
               ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The papers to rank: sorted rows that pass every filter and hold at least
    `min_should_match` of the query's words (fewer when no paper holds that many, so a
    query with any known word finds something); the share of the words each holds; and
    the query words (as typed) found nowhere in the index. `expansion` gives words other
    forms (acronyms) that count as the word."""
    allowed = filter_rows(si, q, filters)
    alternatives = expansion.alternatives if expansion else {}
    if not q.words:
        rows = np.arange(len(si)) if allowed is None else allowed
        return rows, np.ones(len(rows), dtype=np.float32), ()
    counts = np.zeros(len(si), dtype=np.int16)
    missing = []
    for word, form in zip(q.words, q.forms or q.words, strict=True):
        # a flag per paper: cheaper than merging sorted row lists of tens of thousands
        held = np.zeros(len(si), dtype=bool)
        held[_rows_with(si.text, si.terms, word)] = True
        name = author_tokens(form or word)
        if name:
            held[_rows_with(si.authors, si.author_terms, name[0])] = True
        for group in alternatives.get(word, ()):
            held[_intersect([_rows_with(si.text, si.terms, t) for t in group], len(si))] = True
        if not held.any():
            missing.append(form)
        counts += held
    if allowed is not None:
        counts = counts[allowed]
    best = int(counts.max()) if len(counts) else 0
    if best == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), tuple(missing)
    keep = np.flatnonzero(counts >= min(best, min_should_match(len(q.words))))
    rows = keep if allowed is None else allowed[keep]
    return rows, (counts[keep] / np.float32(len(q.words))).astype(np.float32), tuple(missing)


def _id_rows(si: SearchIndex, ids: Sequence[str]) -> np.ndarray:
    if si.row_of is not None:
        found = (si.row_of(pid) for pid in ids)
        return np.unique(np.array([r for r in found if r is not None], dtype=np.int64))
    return np.flatnonzero(np.isin(si.ids, np.asarray(ids)))


def _date_filter(si: SearchIndex, rows: np.ndarray, q: ParsedQuery, filters: Filters) -> np.ndarray:
    """The rows whose first-version date is inside the year range and the filters' dates."""
    bounds = []
    if q.years:
        bounds.append((np.datetime64(f"{q.years[0]:04d}-01-01", "D"),
                       np.datetime64(f"{q.years[1] + 1:04d}-01-01", "D")))
    if filters.since or filters.until:
        bounds.append((filters.since and np.datetime64(filters.since, "D"),
                       filters.until and np.datetime64(filters.until, "D")))
    for start, end in bounds:
        days = si.published[rows]
        ok = np.ones(len(rows), dtype=bool)
        if start is not None:
            ok &= days >= start
        if end is not None:
            ok &= days < end
        rows = rows[ok]
    return rows


def score_rows(si: SearchIndex, q: ParsedQuery, rows: np.ndarray) -> np.ndarray:
    """Relevance of the given (sorted) rows: BM25 over the query's terms (as a share of
    the best any paper reaches per term), plus title, author and exact-title boosts.

    Reads only the columns of the query's terms, and within them only looks up the rows
    asked about (binary search): cost grows with the query, not with the number of papers.
    """
    weights = []
    columns = []
    for term in q.terms:
        j = si.terms.find(term)
        if j is not None:
            weights.append(si.idf(j))
            columns.append(j)
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


def _term_sums_sparse(si: SearchIndex, columns: list[int], weights: list[float], rows: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """BM25 sums and idf-weighted title sums for a few rows: binary-search each column."""
    text = np.zeros(len(rows), dtype=np.float32)
    title = np.zeros(len(rows), dtype=np.float32)
    for j, w in zip(columns, weights, strict=True):
        column, values = _column(si.text, j)
        pos, hit = _positions(rows, column)
        text[hit] += values[pos[hit]]
        title[_positions(rows, _column(si.title, j)[0])[1]] += np.float32(w)
    return text, title


def _term_sums_dense(si: SearchIndex, columns: list[int], weights: list[float], rows: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The same for many rows: scatter whole columns into per-paper sums, then gather."""
    text = np.zeros(len(si), dtype=np.float32)
    title = np.zeros(len(si), dtype=np.float32)
    for j, w in zip(columns, weights, strict=True):
        column, values = _column(si.text, j)
        text[column] += values   # a column holds each row once
        title[_column(si.title, j)[0]] += np.float32(w)
    return text[rows], title[rows]


def _author_share(si: SearchIndex, q: ParsedQuery, rows: np.ndarray) -> np.ndarray:
    """Share of the query's words (and author: filters) that are names of a paper's authors."""
    tokens = [t for w in (q.forms or q.words) for t in author_tokens(w)[:1]]
    tokens = list(dict.fromkeys(tokens + [t for names in q.authors for t in names]))
    hits = np.zeros(len(rows), dtype=np.float32)
    for token in tokens:
        hits[_positions(rows, _rows_with(si.authors, si.author_terms, token))[1]] += 1.0
    return hits / np.float32(len(tokens)) if tokens else hits


def search(si: SearchIndex, q: ParsedQuery, filters: Filters = Filters(), *,
           sort: str = "relevance", offset: int = 0, limit: int = 25,
           verify: Callable[[list[str]], set[str]] | None = None,
           all_words: bool = False) -> SearchResult:
    """One page of papers for `q` and `filters`: those holding every query word first,
    then those holding enough of them, each best first (or newest first).

    all_words: only papers holding every word (feeds and digests of a saved search, where
    a paper matching part of it would be noise).

    A long plain-words query (`q.like`) ranks papers like its text instead.
    verify: given candidate paper ids, the ones whose text holds every phrase in `q.exact`
    (the index holds stems, not text, so the caller reads the texts). Without it those
    phrases are matched by their terms only.
    """
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}, got {sort!r}")
    if q.like:
        return like_search(si, q, filters, sort=sort, offset=offset, limit=limit)
    if q.is_empty:
        return SearchResult(0, [])
    expansion = expand(si, q)
    rows, share, missing = match_rows(si, q, filters, expansion)
    complete = share >= 1
    if all_words:
        rows, share, complete = rows[complete], share[complete], complete[complete]
    scored = dataclasses.replace(q, terms=q.terms + expansion.terms) if expansion.terms else q
    if len(rows) and q.exact and verify is not None:
        keep = _verified(si, scored, rows, verify)
        rows, share, complete = rows[keep], share[keep], complete[keep]
    if not len(rows):
        return SearchResult(0, [], missing, also_searched=expansion.shown)
    total, n_complete = len(rows), int(complete.sum())
    if n_complete >= offset + limit and n_complete < total:
        # the page lies inside the papers with every word: the others need no score
        rows, share, complete = rows[complete], share[complete], complete[complete]
    scores = score_rows(si, scored, rows)
    if COORDINATION:
        scores *= share   # a paper with fewer of the words ranks lower (Lucene's coord)
    tiers = complete.astype(np.int8) + _adjacent(si, q, rows, complete)
    order = _order(si, rows, scores, sort, offset + limit, tiers)[offset:offset + limit]
    hits = [(str(si.ids[rows[i]]), round(float(scores[i]), 4)) for i in order]
    return SearchResult(total, hits, missing, all_words=n_complete, also_searched=expansion.shown)


def _adjacent(si: SearchIndex, q: ParsedQuery, rows: np.ndarray, complete: np.ndarray
              ) -> np.ndarray:
    """Which of the rows holding every word also hold every pair of words the query has
    side by side (its bigram terms): those rank above papers with the words apart."""
    bigrams = [t for t in q.terms if " " in t]
    out = complete.copy()
    if not bigrams:
        return out & False
    for term in bigrams:
        if not out.any():
            break
        out[out] = _positions(rows[out], _rows_with(si.text, si.terms, term))[1]
    return out


def _verified(si: SearchIndex, q: ParsedQuery, rows: np.ndarray,
              verify: Callable[[list[str]], set[str]]) -> np.ndarray:
    """Which candidate rows' text holds the exact phrases (a mask); at most VERIFY_MAX
    best-scored candidates are read, so a very common phrase costs a bounded number of
    texts."""
    checked = np.arange(len(rows))
    if len(rows) > VERIFY_MAX:
        checked = np.sort(np.argpartition(-score_rows(si, q, rows), VERIFY_MAX - 1)[:VERIFY_MAX])
    ids = [str(si.ids[r]) for r in rows[checked]]
    keep = verify(ids)
    mask = np.zeros(len(rows), dtype=bool)
    mask[checked] = np.fromiter((pid in keep for pid in ids), dtype=bool, count=len(ids))
    return mask


def _order(si: SearchIndex, rows: np.ndarray, scores: np.ndarray, sort: str, top: int,
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


# -- when nothing matches -------------------------------------------------------------


def _phrase_text(seq: Sequence[str | None]) -> str:
    return " ".join(w or "\u2026" for w in seq)


def relaxed(q: ParsedQuery) -> ParsedQuery:
    """The query's words alone: quoted phrases become plain words, filters are dropped."""
    return dataclasses.replace(q, phrases=(), exact=(), authors=(), categories=(), ids=(),
                               years=None, jump=None)


def empty_reasons(si: SearchIndex, q: ParsedQuery, filters: Filters = Filters(),
                  missing: Sequence[str] = ()) -> list[str]:
    """Why a query found nothing, in words: the parts that match no paper on their own,
    or, when each part does, that no paper matches them all together."""
    reasons = []
    if missing:
        reasons.append("not in any paper: " + ", ".join(missing))
    empty = ParsedQuery()
    parts = [(f"no paper has the phrase \u201c{_phrase_text(seq)}\u201d",
              dataclasses.replace(empty, phrases=(terms,)))
             for terms, seq in zip(q.phrases, q.exact or q.phrases, strict=False)]
    parts += [(f"no paper by author:{' '.join(t)}", dataclasses.replace(empty, authors=(t,)))
              for t in q.authors]
    parts += [(f"no paper in cat:{c}", dataclasses.replace(empty, categories=(c,)))
              for c in q.categories]
    if q.years:
        parts.append((f"no paper from {q.years[0]}-{q.years[1]}",
                      dataclasses.replace(empty, years=q.years)))
    if q.ids:
        parts.append(("none of the id: papers is here", dataclasses.replace(empty, ids=q.ids)))
    for reason, part in parts:
        rows = filter_rows(si, part)
        if rows is not None and not len(rows):
            reasons.append(reason)
    page = filter_rows(si, empty, filters)
    if page is not None and not len(page):
        reasons.append("no paper in the chosen category and time")
    if not reasons:
        if q.exact:
            reasons.append("the quoted phrases' words occur, but not side by side as written "
                           "in any paper that matches the rest")
        else:
            reasons.append("each part matches papers, but no paper matches them all together")
    return reasons


# -- query by example -----------------------------------------------------------------


def like_search(si: SearchIndex, q: ParsedQuery, filters: Filters = Filters(), *,
                sort: str = "relevance", offset: int = 0, limit: int = 25) -> SearchResult:
    """Papers like the text `q.like`: cosine of its TF-IDF vector in the recommendation
    features (the index's matrix) with every paper's; papers with no term in common are
    left out."""
    scores = like_scores(si.index, q.like)
    if scores is None:
        return SearchResult(0, [])
    allowed = filter_rows(si, q, filters)
    rows = np.flatnonzero(scores > 0)
    if allowed is not None:
        rows = rows[_positions(rows, allowed)[1]]
    if not len(rows):
        return SearchResult(0, [])
    top = scores[rows]
    order = _order(si, rows, top, sort, offset + limit)[offset:offset + limit]
    hits = [(str(si.ids[rows[i]]), round(float(top[i]), 4)) for i in order]
    return SearchResult(len(rows), hits, all_words=len(rows))


def like_scores(index, text: str) -> np.ndarray | None:
    """Cosine of `text` with every paper in the index's feature space, or None when the
    index has no features (or the text no feature term)."""
    matrix = getattr(index, "matrix", None)
    if matrix is None:
        return None
    counts: dict[int, int] = {}
    for term in analyze(text):
        j = index.column_of.get(term)
        if j is not None:
            counts[j] = counts.get(j, 0) + 1
    if not counts:
        return None
    columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
    tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    weights = (1 + np.log(tf)) * np.asarray(index.idf)[columns]
    vector = np.zeros(matrix.shape[1], dtype=np.float32)
    vector[columns] = weights / np.linalg.norm(weights)
    return np.asarray(matrix @ vector).ravel()


def full_scores(si: SearchIndex, q: ParsedQuery) -> np.ndarray:
    """Baseline for the benchmark: score every paper with one sparse matrix-vector product."""
    vector = np.zeros(si.text.shape[1], dtype=np.float32)
    for term in q.terms:
        j = si.terms.find(term)
        if j is not None:
            vector[j] = si.idf(j)
    return si.text @ vector
