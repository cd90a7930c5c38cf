"""Ranked search over the complete term index: answer parsed queries.

The engine is split by concern; this module answers a query and re-exports the names
other code uses:

- `recommend.search_build`: build the search parts of an index version (BM25 weights)
- `recommend.search_postings`: the loaded parts (`SearchIndex`) and their columns
- `recommend.search_match`: filters, acronym expansion, which papers are ranked
- `recommend.search_score`: BM25 and boosts, ordering
- `recommend.search_topk`: scoring only the papers whose tier can reach the page
- `recommend.search_like`: query by example (a pasted text)

Words are not a filter: every paper holding enough of the query's words
(minimum-should-match) is ranked, those holding all of them first. Quoted phrases,
author:, cat:, id: and year: stay exact filters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from recommend.search_build import bm25_idf, bm25_weights, build_search_parts, title_key
from recommend.search_like import like_scores, like_search
from recommend.search_match import (
    Expansion,
    Filters,
    SearchResult,
    expand,
    filter_rows,
    match_rows,
    min_should_match,
)
from recommend.search_postings import (
    DENSE_FRACTION,
    SearchIndex,
    positions,
    rows_with,
    search_index,
)
from recommend.search_query import ParsedQuery
from recommend.search_score import full_scores, order_rows, score_rows
from recommend.search_topk import ranked_scores

__all__ = [
    "Expansion", "Filters", "SearchIndex", "SearchResult", "bm25_idf", "bm25_weights",
    "build_search_parts", "empty_reasons", "expand", "filter_rows", "full_scores",
    "like_scores", "like_search", "match_rows", "matched_ids", "min_should_match", "relaxed",
    "score_rows", "search", "search_index", "title_key",
]

SORTS = ("relevance", "date")
COORDINATION = True     # scale scores by the share of the query's words a paper holds
VERIFY_MAX = 5_000      # candidates whose text is read to check phrases the index cannot decide
VERIFY_ALL = 500        # up to this many candidates, every text is read: an exact total
VERIFY_BATCH = 100      # texts read at a time, best-ranked first, until the page is full


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
    if len(rows) > VERIFY_ALL and q.exact and verify is not None:
        return _phrase_page(si, q, scored, (rows, share, complete), verify, sort, offset, limit,
                            (missing, expansion.shown))
    if len(rows) and q.exact and verify is not None:
        keep = _verified(si, scored, rows, verify)
        rows, share, complete = rows[keep], share[keep], complete[keep]
    if not len(rows):
        return SearchResult(0, [], missing, also_searched=expansion.shown)
    total, n_complete = len(rows), int(complete.sum())
    tiers = complete.astype(np.int8) + _adjacent(si, q, rows, complete)
    # only papers that can reach the page are scored (COORDINATION: a paper with fewer of
    # the words ranks lower, Lucene's coord)
    rows, scores, tiers = ranked_scores(si, scored, rows,
                                        share if COORDINATION else np.ones_like(share), tiers,
                                        offset + limit)
    order = order_rows(si, rows, scores, sort, offset + limit, tiers)[offset:offset + limit]
    hits = [(str(si.ids[rows[i]]), round(float(scores[i]), 4)) for i in order]
    return SearchResult(total, hits, missing, all_words=n_complete, also_searched=expansion.shown)


def matched_ids(si: SearchIndex, q: ParsedQuery, filters: Filters, ids: Sequence[str]) -> set[str]:
    """Which of `ids` `search(si, q, filters)` ranks at all (at any depth), without ranking:
    the papers a fused search must not count as found by meaning alone. Exact phrases are
    matched by their terms (as `search` without `verify`)."""
    rows_of = {pid: si.row_of(pid) if si.row_of else None for pid in ids}
    wanted = np.array(sorted({r for r in rows_of.values() if r is not None}), dtype=np.int64)
    if not len(wanted) or q.is_empty:
        return set()
    if q.like:
        scores = like_scores(si.index, q.like)
        if scores is None:
            return set()
        matched = wanted[scores[wanted] > 0]
        allowed = filter_rows(si, q, filters)
        if allowed is not None:
            matched = matched[np.isin(matched, allowed)]
    else:
        rows, _, _ = match_rows(si, q, filters, expand(si, q))
        matched = wanted[np.isin(wanted, rows)]
    found = set(matched.tolist())
    return {pid for pid, row in rows_of.items() if row in found}


def _adjacent(si: SearchIndex, q: ParsedQuery, rows: np.ndarray, complete: np.ndarray
              ) -> np.ndarray:
    """Which of the rows holding every word also hold every pair of words the query has
    side by side (its bigram terms): those rank above papers with the words apart."""
    bigrams = [t for t in q.terms if " " in t]
    out = complete.copy()
    if not bigrams:
        return out & False
    dense = len(rows) * DENSE_FRACTION > len(si)
    for term in bigrams:
        if not out.any():
            break
        holders = rows_with(si.text, si.terms, term)
        if dense:   # many rows: a flag per paper beats a binary search per row
            flags = np.zeros(len(si), dtype=bool)
            flags[holders] = True
            out &= flags[rows]
        else:
            out[out] = positions(rows[out], holders)[1]
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


def _phrase_page(si: SearchIndex, q: ParsedQuery, scored: ParsedQuery,
                 found: tuple[np.ndarray, np.ndarray, np.ndarray],
                 verify: Callable[[list[str]], set[str]], sort: str, offset: int, limit: int,
                 notes: tuple[tuple[str, ...], tuple[str, ...]]) -> SearchResult:
    """A page of a phrase query with many candidates: their texts are read best-ranked
    first, VERIFY_BATCH at a time, only until the page is full, so a common phrase costs
    a page's worth of texts rather than thousands; the total is then estimated from the
    share of texts read that held the phrases (`estimated`)."""
    rows, share, complete = found
    tiers = complete.astype(np.int8) + _adjacent(si, q, rows, complete)
    scores = score_rows(si, scored, rows) * (share if COORDINATION else np.ones_like(share))
    order = order_rows(si, rows, scores, sort, min(len(rows), VERIFY_MAX), tiers)
    wanted, passed, checked = offset + limit, [], 0
    while checked < len(order) and len(passed) < wanted:
        batch = order[checked:checked + max(VERIFY_BATCH, wanted - len(passed))]
        ids = [str(si.ids[rows[i]]) for i in batch]
        keep = verify(ids)
        passed += [int(i) for i, pid in zip(batch, ids, strict=True) if pid in keep]
        checked += len(batch)
    held = len(passed) / checked if checked else 0.0
    unread = np.ones(len(rows), dtype=bool)
    unread[order[:checked]] = False
    total = len(passed) + round(held * int(unread.sum()))
    n_complete = int(complete[passed].sum()) + round(held * int(complete[unread].sum()))
    hits = [(str(si.ids[rows[i]]), round(float(scores[i]), 4)) for i in passed[offset:wanted]]
    return SearchResult(total, hits, notes[0], all_words=n_complete, also_searched=notes[1],
                        estimated=bool(unread.any()))


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
