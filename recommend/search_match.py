"""Which papers a query ranks: filters, acronym expansion and minimum-should-match.

Words are not a filter: every paper holding enough of the query's words
(MIN_SHOULD_MATCH_PERCENT) is ranked, those holding all of them first. Quoted phrases,
author:, cat:, id: and year: stay exact filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from recommend import acronyms as acronym_rules
from recommend.search_postings import SearchIndex, intersect, joined_terms, rows_with
from recommend.search_query import ParsedQuery, author_tokens

MIN_SHOULD_MATCH_PERCENT = 25   # of a query's words, a paper must hold to be ranked


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
    estimated: bool = False         # total (and all_words) estimated from the texts read


@dataclass(frozen=True)
class Expansion:
    """What learned acronyms add to a query: for a query word, groups of terms a paper
    may hold instead (all terms of a group); terms to score; and labels to show."""

    alternatives: dict[str, list[tuple[str, ...]]]
    terms: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()


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
            alternatives.setdefault(word, []).append(joined_terms(a.long_terms))
            terms.extend(joined_terms(a.long_terms))
            shown.append(a.long_written)
    for a in _typed_long_forms(si, q, exact):
        for word in a.long_terms:
            alternatives.setdefault(word, []).append((a.term,))
        terms.append(a.term)
        shown.append(a.written)
    return Expansion(alternatives, tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(shown)))


def _typed_long_forms(si: SearchIndex, q: ParsedQuery, exact: set[str]
                      ) -> list[acronym_rules.Acronym]:
    """Learned acronyms whose long form the query spells out as a whole concept.

    A long form that sits inside a longer one the query also spells ("neural network" in
    "graph neural network") is left out, as is one right behind another query word
    ("graph" before "neural network"): both name a narrower thing than the acronym, so
    adding it ("NN" for "graph neural networks") would find papers about something else.
    """
    have = set(q.terms)
    bigrams = [t.split(" ") for t in q.terms if " " in t]
    found = []
    for term in q.terms:
        for a in si.long_forms.get(term, ()):
            long_terms = joined_terms(a.long_terms)
            if set(long_terms) <= have and not set(a.long_terms) & exact and a.term not in have:
                found.append(a)
    wider = [set(joined_terms(a.long_terms)) for a in found]
    return [a for a in found
            if not any(set(joined_terms(a.long_terms)) < other for other in wider)
            and not any(second == a.long_terms[0] for _, second in bigrams)]


def min_should_match(n_words: int) -> int:
    """Words of an n-word query a paper must hold to be ranked (Lucene's
    minimum-should-match): a quarter of them, rounded up. Measured on
    bench/search_quality.py, a higher share cut recall on questions more than it helped
    the top ten, which the coordination factor (scores times the share held) keeps clean."""
    return max(1, -(-n_words * MIN_SHOULD_MATCH_PERCENT // 100))


def filter_rows(si: SearchIndex, q: ParsedQuery, filters: Filters = Filters()) -> np.ndarray | None:
    """Sorted rows that pass the exact parts of the query (phrases' terms, author:, cat:,
    id:, year:) and the page's filters; None when nothing filters."""
    sets = [rows_with(si.text, si.terms, term) for phrase in q.phrases for term in phrase]
    sets += [rows_with(si.authors, si.author_terms, t) for tokens in q.authors for t in tokens]
    sets += [rows_with(si.cats, si.cat_terms, c)
             for c in (*q.categories, *(c.lower() for c in filters.categories))]
    if q.ids:
        sets.append(_id_rows(si, q.ids))
    if not sets and not (q.years or filters.since or filters.until):
        return None
    return _date_filter(si, intersect(sets, len(si)), q, filters)


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
        held[rows_with(si.text, si.terms, word)] = True
        name = author_tokens(form or word)
        if name:
            held[rows_with(si.authors, si.author_terms, name[0])] = True
        for group in alternatives.get(word, ()):
            held[intersect([rows_with(si.text, si.terms, t) for t in group], len(si))] = True
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
