"""Keyword trends: how many papers each month contain a term, for every unigram and bigram.

Built with the index (an extra builder, so it lives in the same version) and answered
from memory-mapped arrays:

- ``trend_term_bytes`` / ``trend_term_offsets``: every term of `recommend.text.analyze`
  (stems, so a term counts every form of its words; a bigram is two words adjacent in
  the text) in at least `min_df` papers, sorted, as concatenated UTF-8 (a fixed-width
  string array would pad every term to the longest); ``trend_df`` their paper counts.
- ``trend_label_bytes`` / ``trend_label_offsets``: each term as people write it, the most
  common form of each of its words ("transformer" for the stem "transform"), for lists.
  Forms are counted in at most FORM_SAMPLE_DOCS papers spread over the corpus (counting
  every word of every paper cost more than the rest of the table); a stem not met there
  is shown as it is.
- ``trend_counts``: CSR (term x month), papers of that month whose text contains the
  term (binary per paper). Months are consecutive from the first paper's month to the
  last one's, by first-version date; ``trend_months`` holds them, ``trend_totals`` the
  papers per month. A keyword series is one row of this table divided by the totals.
- ``trend_cats`` (most papers first), ``trend_cat_any`` and ``trend_cat_primary``
  (category x month): papers per month listing the category anywhere / as primary.
- ``trend_postings`` with ``trend_postings_ptr``: the index rows of the papers containing
  each term, and ``trend_doc_month`` / ``trend_doc_cats``: each paper's month column and
  categories. These answer a series restricted to a category, and narrow the papers
  whose text a longer phrase scan must read: the index keeps no raw text, so phrases
  of three or more words are verified against texts the caller fetches (from the store).
- ``trend_doc_terms`` with ``trend_doc_terms_ptr``: the same postings paper by paper (the
  term rows of each paper), so hot lists within a category count the terms of that
  category's papers in the two windows instead of scanning every posting. Optional: a
  table from an index built before it existed scans.
- ``trend_doc_primary``: each paper's primary category (its row in ``trend_cats``, -1
  for none), so hot lists compare terms within fields (`recommend.trend_mix`).
  Optional too: without it the lists compare all papers as one.
- ``trend_title_postings`` with ``trend_title_postings_ptr``: per term, the papers whose
  title holds it, so hot lists keep to terms that name topics (`recommend.trend_topic`).
  Optional: without it (an index built before it existed) no term is judged that way,
  and the next index update refits in full to add it.
- ``trend_generic_flags``: per term, whether it is generic (`recommend.trend_generic`),
  computed by the build and the update so a worker need not. Optional: a table without
  it computes the flags on first use.

Hot and cooling terms are in `recommend.trend_hot`, query parsing in
`recommend.trend_query`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse

from recommend.index import Index
from recommend.trend_build import MIN_DF as MIN_DF  # the building half, re-exported
from recommend.trend_build import build_trends as build_trends
from recommend.trend_build import trend_builder as trend_builder
from recommend.trend_generic import generic_terms
from recommend.trend_query import TermQuery, TrendQueryError, holds_phrase, phrase_parts
from recommend.trend_topic import topic_terms

SCAN_BATCH = 1000
PARTS = ("trend_term_bytes", "trend_term_offsets", "trend_label_bytes", "trend_label_offsets",
         "trend_df", "trend_counts", "trend_months",
         "trend_totals", "trend_cats", "trend_cat_any", "trend_cat_primary", "trend_postings",
         "trend_postings_ptr", "trend_doc_month", "trend_doc_cats")
OPTIONAL_PARTS = ("trend_doc_terms", "trend_doc_terms_ptr", "trend_doc_primary",
                  "trend_title_postings", "trend_title_postings_ptr", "trend_generic_flags")

# paper id -> text (title + abstract + full text) for the papers asked for
TextFetcher = Callable[[Sequence[str]], Mapping[str, str]]


# -- queries ------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    """Monthly counts of one keyword; fraction is NaN where a month has no papers."""

    query: TermQuery
    months: np.ndarray
    counts: np.ndarray
    papers: np.ndarray
    fractions: np.ndarray
    known: bool
    suggestions: tuple[str, ...] = ()
    scanned: int | None = None

    def rows(self) -> list[dict[str, Any]]:
        """The JSON rows: month, papers, count, fraction (None for a month without papers)."""
        months = np.asarray(self.months).astype(str).tolist()
        fractions = np.round(self.fractions, 6).tolist()
        return [{"month": m, "papers": p, "count": c, "fraction": None if f != f else f}  # NaN
                for m, p, c, f in zip(months, np.asarray(self.papers).tolist(),
                                      np.asarray(self.counts).tolist(), fractions, strict=True)]


@dataclass(eq=False)
class TrendTable:
    """The trend parts of one index version, with the queries over them."""

    term_bytes: np.ndarray
    term_offsets: np.ndarray
    label_bytes: np.ndarray
    label_offsets: np.ndarray
    df: np.ndarray
    counts: sparse.csr_matrix
    months: np.ndarray
    totals: np.ndarray
    cats: np.ndarray
    cat_any: np.ndarray
    cat_primary: np.ndarray
    postings: np.ndarray
    postings_ptr: np.ndarray
    doc_month: np.ndarray
    doc_cats: sparse.csc_matrix
    ids: np.ndarray
    doc_terms: np.ndarray | None = None
    doc_terms_ptr: np.ndarray | None = None
    doc_primary: np.ndarray | None = None
    title_postings: np.ndarray | None = None
    title_postings_ptr: np.ndarray | None = None
    generic_flags: np.ndarray | None = None

    @classmethod
    def from_index(cls, index: Index) -> TrendTable | None:
        """The index's trend table, or None for an index built without one."""
        if not all(name in index.parts for name in PARTS):
            return None
        return cls.from_parts(index.parts, index.ids)

    @classmethod
    def from_parts(cls, parts: Mapping[str, Any], ids: np.ndarray) -> TrendTable:
        """A table over the parts `build_trends` made (loaded or still in memory)."""
        return cls(**{name.removeprefix("trend_"): parts[name] for name in PARTS}, ids=ids,
                   **{name.removeprefix("trend_"): parts.get(name) for name in OPTIONAL_PARTS})

    @property
    def n_papers(self) -> int:
        return len(self.doc_month)

    @cached_property
    def months_in_order(self) -> bool:
        """Whether each paper's month is at least the month of the row before it (a full
        build reads the store oldest first, an update appends the new papers; an older
        paper imported late breaks it): then a month range is one range of rows. Checked
        once per table."""
        month = np.asarray(self.doc_month)
        return bool(np.all(month[1:] >= month[:-1]))

    def column(self, month: np.datetime64) -> int | None:
        """Column of a month, None outside the table."""
        col = int((month - self.months[0]).astype(int)) if len(self.months) else -1
        return col if 0 <= col < len(self.months) else None

    @property
    def n_terms(self) -> int:
        return len(self.term_offsets) - 1

    def _key(self, i: int) -> bytes:
        return self.term_bytes[self.term_offsets[i]:self.term_offsets[i + 1]].tobytes()

    def term(self, i: int) -> str:
        """The term of row i (stems)."""
        return self._key(i).decode("utf-8")

    def label(self, i: int) -> str:
        """Row i's term as people write it (the most common form of each word)."""
        return self.label_bytes[self.label_offsets[i]:self.label_offsets[i + 1]].tobytes().decode()

    def row(self, term: str) -> int | None:
        """Row of a term (binary search in the sorted terms), None when not in the table."""
        key = term.encode("utf-8")
        i = bisect.bisect_left(range(self.n_terms), key, key=self._key)
        return i if i < self.n_terms and self._key(i) == key else None

    def docs_with(self, row: int) -> np.ndarray:
        """Index rows of the papers containing term `row`."""
        return self.postings[self.postings_ptr[row]:self.postings_ptr[row + 1]]

    def category_row(self, category: str) -> int | None:
        hits = np.flatnonzero(self.cats == category)
        return int(hits[0]) if len(hits) else None

    def category_mask(self, category: str) -> np.ndarray:
        """Boolean per paper: lists `category` anywhere."""
        mask = np.zeros(self.n_papers, dtype=bool)
        c = self.category_row(category)
        if c is not None:
            mask[self.doc_cats.indices[self.doc_cats.indptr[c]:self.doc_cats.indptr[c + 1]]] = True
        return mask

    def papers_per_month(self, category: str | None = None) -> np.ndarray:
        if not category:
            return np.asarray(self.totals)
        c = self.category_row(category)
        return np.zeros(len(self.months), np.int32) if c is None else np.asarray(self.cat_any[c])

    def term_counts(self, term: str, mask: np.ndarray | None = None) -> np.ndarray | None:
        """Papers per month containing a table term (only papers in `mask`); None if unknown."""
        row = self.row(term)
        if row is None:
            return None
        if mask is None:
            out = np.zeros(len(self.months), dtype=np.int64)
            lo, hi = self.counts.indptr[row], self.counts.indptr[row + 1]
            out[self.counts.indices[lo:hi]] = self.counts.data[lo:hi]
            return out
        docs = self.docs_with(row)
        return np.bincount(self.doc_month[docs[mask[docs]]], minlength=len(self.months))

    def phrase_counts(self, query: TermQuery, fetch: TextFetcher, mask: np.ndarray | None = None
                      ) -> tuple[np.ndarray, int]:
        """Papers per month whose text holds the phrase, and how many texts were scanned.

        Candidates are the papers containing every bigram (and unigram) of the phrase
        that the table knows; their texts are fetched and tokenised to check adjacency.
        """
        candidates = np.arange(self.n_papers) if mask is None else np.flatnonzero(mask)
        for part in phrase_parts(query.stems):
            row = self.row(part)
            if row is not None:
                candidates = np.intersect1d(candidates, self.docs_with(row), assume_unique=True)
        hits: list[int] = []
        for start in range(0, len(candidates), SCAN_BATCH):
            rows = candidates[start:start + SCAN_BATCH]
            texts = fetch([str(self.ids[r]) for r in rows])
            hits.extend(int(r) for r in rows if holds_phrase(texts.get(str(self.ids[r]), ""), query))
        counts = np.bincount(self.doc_month[np.asarray(hits, dtype=np.int64)],
                             minlength=len(self.months))
        return counts, len(candidates)

    @cached_property
    def generic(self) -> np.ndarray:
        """Boolean per term: a filler word spread over the categories as the papers are
        (recommend.trend_generic); stored with the version, else (a version built before
        the part existed) computed once per table, about 2 s at 1M papers."""
        if self.generic_flags is not None:
            return np.asarray(self.generic_flags, dtype=bool)
        return generic_terms(self.df, self.postings, self.postings_ptr, self.doc_cats)

    @cached_property
    def unlisted(self) -> np.ndarray:
        """Boolean per term: left out of the hot, cooling and emerging lists, as generic or
        as naming no topic (recommend.trend_topic)."""
        title_df = None if self.title_postings_ptr is None else np.diff(np.asarray(self.title_postings_ptr))
        return self.generic | ~topic_terms(self.df, title_df)

    @cached_property
    def _shapes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per term, from the packed bytes without decoding: length, spaces, first byte."""
        starts, data = np.asarray(self.term_offsets[:-1]), np.asarray(self.term_bytes)
        if not len(starts):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8)
        spaces = np.add.reduceat((data == 32).astype(np.int32), starts) if len(data) else starts * 0
        return np.diff(np.asarray(self.term_offsets)), spaces, data[starts]

    def suggest(self, term: str, n: int = 3, pool_size: int = 5000) -> list[str]:
        """Common table terms spelled like `term` (did you mean), most similar first.

        Candidates share the first letter, the number of words and about the length; the
        `pool_size` most frequent of them are compared (difflib), so a typo is answered in
        milliseconds even with a million terms.
        """
        import difflib

        key = term.encode("utf-8")
        if not key:
            return []
        lengths, spaces, first = self._shapes
        near = np.flatnonzero((np.abs(lengths - len(key)) <= max(2, len(key) // 4))
                              & (spaces == term.count(" ")) & (first == key[0]))
        near = near[np.argsort(-np.asarray(self.df)[near], kind="stable")[:pool_size]]
        close = difflib.get_close_matches(term, [self.term(int(i)) for i in near], n=n, cutoff=0.75)
        return [self.label(self.row(t)) for t in close]

    def series(self, query: TermQuery, *, category: str | None = None,
               since: np.datetime64 | None = None, until: np.datetime64 | None = None,
               smooth: int = 1, fetch: TextFetcher | None = None) -> Series:
        """Monthly fraction of papers containing `query`, optionally within a category,
        smoothed over a trailing window of `smooth` months (papers-weighted), and cut to
        the months since..until (smoothing still uses the months before `since`)."""
        mask = self.category_mask(category) if category else None
        scanned, suggestions = None, ()
        if query.is_phrase:
            if fetch is None:
                raise TrendQueryError(f"{query.label!r} is a phrase; scanning needs the texts")
            counts, scanned = self.phrase_counts(query, fetch, mask)
        else:
            counts = self.term_counts(query.term, mask)
        known = counts is not None and (scanned is None or counts.sum() > 0)
        if counts is None:
            counts = np.zeros(len(self.months), dtype=np.int64)
            suggestions = tuple(self.suggest(query.term))
        papers = self.papers_per_month(category)
        fractions = smoothed_fractions(counts, papers, smooth)
        keep = _month_range(self.months, since, until)
        return Series(query, self.months[keep], counts[keep], papers[keep], fractions[keep],
                      known, suggestions, scanned)


def written_forms(index: Index, terms: Sequence[str]) -> list[str]:
    """Index terms (stems) as people write them, from the trend table's labels. A longer
    run of words (folded explanations: "reinforc learn agent") is labelled word by word;
    a word the table does not hold stays as it is."""
    table = TrendTable.from_index(index)
    if table is None:
        return list(terms)

    def label(term: str) -> str:
        row = table.row(term)
        if row is not None:
            return table.label(row)
        parts = term.split()
        return " ".join(label(w) for w in parts) if len(parts) > 1 else term

    return [label(t) for t in terms]


def smoothed_fractions(counts: np.ndarray, papers: np.ndarray, window: int = 1) -> np.ndarray:
    """count / papers per month, or over a trailing window of months (sum / sum);
    NaN where the window holds no papers."""
    if window > 1:
        kernel = np.ones(window)
        counts = np.convolve(counts, kernel)[:len(counts)]
        papers = np.convolve(papers, kernel)[:len(papers)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(papers > 0, counts / np.maximum(papers, 1), np.nan)


def _month_range(months: np.ndarray, since: np.datetime64 | None, until: np.datetime64 | None
                 ) -> np.ndarray:
    keep = np.ones(len(months), dtype=bool)
    if since is not None:
        keep &= months >= since
    if until is not None:
        keep &= months <= until
    return keep
