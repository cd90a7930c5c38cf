"""Updating the trend table (`recommend.trends`) for an incremental index update.

The update protocol is `recommend.index_update`'s: the new version's rows are the base
rows where `keep`, then `new_docs`. Month counts are exact for every term of the table:
each new paper's terms are added to its month's cells and each removed paper's
subtracted; months before or after the base's range become new columns (and months left
without papers at either end are dropped, as a full build would). Postings both ways,
`trend_df`, totals, each paper's month, the title postings and the category parts are
exact too.

The term set and the labels stay as fitted until the next full refit: a term that
reaches the minimum document frequency only through new papers is not in the table
yet, and a term whose papers were all removed keeps its (empty) row. Compared with a
full build over the same papers restricted to the base's terms, every count is equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from recommend.index import Doc, Index
from recommend.index_update import NeedsFullBuild
from recommend.trend_build import _doc_terms, _strings, generic_flags, title_presence
from recommend.trends import PARTS


def update_trend_parts(base: Index, keep: np.ndarray, new_docs: Sequence[Doc], new_index: Index
                       ) -> dict[str, Any]:
    """The updater registered beside `trend_builder` in ingest/indexing.py."""
    parts = base.parts
    if not all(name in parts for name in PARTS):
        raise ValueError(f"{base.version} has no trend table to update")
    if "trend_title_postings" not in parts:
        # built before titles were kept: a full build adds them, so the lists gain the
        # topic rule (recommend.trend_topic) at the next update
        raise NeedsFullBuild("the base index has no title postings in its trend table")
    n_kept = int(keep.sum())
    month_no = _month_numbers(new_index.published)
    first = int(month_no.min()) if len(month_no) else 0
    doc_month = (month_no - first).astype(np.int32)
    n_months = int(doc_month.max()) + 1 if len(doc_month) else 0
    base_months = np.asarray(parts["trend_months"]).astype(np.int64)
    base_first = int(base_months[0]) if len(base_months) else first
    n_terms = len(parts["trend_term_offsets"]) - 1

    added = _new_postings(parts, new_docs, n_kept)
    merged, removed = merged_postings(parts["trend_postings"], parts["trend_postings_ptr"],
                                      keep, added)

    counts = _shifted_counts(parts["trend_counts"], base_first - first, n_months)
    old_month = np.asarray(parts["trend_doc_month"], dtype=np.int64) + (base_first - first)
    counts = counts - _month_counts(removed.tocoo(), old_month, n_months, n_terms)
    new_month = doc_month[n_kept:].astype(np.int64)
    counts = counts + _month_counts(added.tocoo(), new_month, n_months, n_terms)
    counts = counts.tocsr()
    counts.eliminate_zeros()
    counts.sort_indices()
    out = _assemble(parts, merged, counts, doc_month, n_months, first)
    del merged
    out.update(_terms_by_paper(parts, keep, added, out))
    out.update(_category_parts(parts, keep, new_docs, doc_month, n_months))
    out.update(_title_parts(parts, keep, new_docs, n_terms))
    out["trend_generic_flags"] = generic_flags(out)
    return out


def _title_parts(parts: dict[str, Any], keep: np.ndarray, new_docs: Sequence[Doc], n_terms: int
                 ) -> dict[str, Any]:
    """The title postings of the kept and the new papers."""
    added = title_presence(new_docs, _term_rows(parts))
    (indices, indptr), _ = merged_postings(parts["trend_title_postings"],
                                           parts["trend_title_postings_ptr"], keep, added)
    return {"trend_title_postings": indices, "trend_title_postings_ptr": indptr}


def _month_numbers(published: np.ndarray) -> np.ndarray:
    return np.asarray(published, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64)


def merged_postings(indices: np.ndarray, indptr: np.ndarray, keep: np.ndarray,
                    added: sparse.csr_matrix
                    ) -> tuple[tuple[np.ndarray, np.ndarray], sparse.csr_matrix]:
    """Each term's postings (rows of papers, `indices` and `indptr` as stored) of the kept
    papers renumbered to the new rows, then its rows among the `added` (term x new paper)
    after them: (int32 rows, int64 pointers), and the removed postings (term x base paper).

    The base's rows are read in place; besides the result only a flag and a running count
    per posting are held when papers were removed (none when every paper is kept)."""
    indptr = np.asarray(indptr, dtype=np.int64)
    n_terms, n_kept = len(indptr) - 1, int(np.count_nonzero(keep))
    kept_rows, kept_ptr = np.asarray(indices), indptr
    removed = sparse.csr_matrix((n_terms, len(keep)), dtype=np.bool_)
    if n_kept < len(keep):
        survives = keep[kept_rows]
        running = np.zeros(len(survives) + 1, dtype=np.int64 if len(survives) >= 2**31 else np.int32)
        np.cumsum(survives, out=running[1:])
        kept_ptr = running[indptr].astype(np.int64)
        del running
        gone = np.flatnonzero(~survives)
        removed = _from_pairs(np.searchsorted(indptr, gone, side="right") - 1,
                              kept_rows[gone].astype(np.int64), (n_terms, len(keep)))
        new_row = (np.cumsum(keep, dtype=np.int64) - 1).astype(np.int32)
        kept_rows = new_row[kept_rows[survives]]
        del survives, gone
    term_of_added = np.repeat(np.arange(n_terms), np.diff(added.indptr))
    rows = np.insert(kept_rows.astype(np.int32, copy=False), kept_ptr[term_of_added + 1],
                     (np.asarray(added.indices, np.int64) + n_kept).astype(np.int32))
    ptr = kept_ptr + np.concatenate([[0], np.cumsum(np.diff(added.indptr))]).astype(np.int64)
    return (rows, ptr), removed


def _new_postings(parts: dict[str, Any], new_docs: Sequence[Doc], n_kept: int
                  ) -> sparse.csr_matrix:
    """(term x new doc) presence of the table's terms in the new papers."""
    row_of = _term_rows(parts)
    terms, docs = [], []
    for i, doc in enumerate(new_docs):
        found = sorted(row_of[t] for t in _doc_terms(doc) if t in row_of)
        terms.extend(found)
        docs.extend([i] * len(found))
    return _from_pairs(np.array(terms, np.int64), np.array(docs, np.int64),
                       (len(row_of), len(new_docs)))


def _term_rows(parts: dict[str, Any]) -> dict[str, int]:
    raw = np.asarray(parts["trend_term_bytes"]).tobytes()
    offsets = np.asarray(parts["trend_term_offsets"]).tolist()
    pairs = zip(offsets[:-1], offsets[1:], strict=True)
    return {raw[a:b].decode("utf-8"): i for i, (a, b) in enumerate(pairs)}


def _from_pairs(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix((np.ones(len(rows), np.bool_), (rows, cols)), shape=shape)
    matrix.sort_indices()
    return matrix


def _shifted_counts(counts: sparse.csr_matrix, shift: int, n_months: int) -> sparse.coo_matrix:
    """The base's (term x month) counts in the new month columns (int32)."""
    coo = counts.tocoo()
    cols = coo.col.astype(np.int64) + shift
    inside = (cols >= 0) & (cols < n_months)
    # cells outside the new range belong to months whose papers were all removed: the
    # subtraction below would zero them, so they are dropped here instead
    return sparse.coo_matrix((coo.data[inside].astype(np.int32), (coo.row[inside], cols[inside])),
                             shape=(counts.shape[0], n_months))


def _month_counts(presence: sparse.coo_matrix, month_of_row: np.ndarray, n_months: int,
                  n_terms: int) -> sparse.coo_matrix:
    """(term x month) papers per cell for a (term x paper) presence matrix; month_of_row
    is indexed by the matrix's columns."""
    months = month_of_row[presence.col]
    inside = (months >= 0) & (months < n_months)
    return sparse.coo_matrix((np.ones(int(inside.sum()), np.int32),
                              (presence.row[inside], months[inside])), shape=(n_terms, n_months))


def _assemble(parts: dict[str, Any], postings: tuple[np.ndarray, np.ndarray],
              counts: sparse.csr_matrix, doc_month: np.ndarray, n_months: int, first: int
              ) -> dict[str, Any]:
    if counts.nnz and counts.data.max() <= np.iinfo(np.uint16).max:
        counts.data = counts.data.astype(np.uint16)
    else:
        counts.data = counts.data.astype(np.int32)
    rows, ptr = postings
    out: dict[str, Any] = {
        name: np.asarray(parts[name]) for name in
        ("trend_term_bytes", "trend_term_offsets", "trend_label_bytes", "trend_label_offsets")}
    out.update({
        "trend_df": np.diff(ptr).astype(np.int32),
        "trend_counts": counts,
        "trend_months": np.arange(first, first + n_months).astype("datetime64[M]"),
        "trend_totals": np.bincount(doc_month, minlength=n_months).astype(np.int32),
        "trend_postings": rows,
        "trend_postings_ptr": ptr,
        "trend_doc_month": doc_month,
    })
    return out


def _terms_by_paper(parts: dict[str, Any], keep: np.ndarray, added: sparse.csr_matrix,
                    out: dict[str, Any]) -> dict[str, np.ndarray]:
    """Each paper's terms (the postings by paper, terms sorted): the kept papers' lists as
    the base stores them (a paper's terms do not change), then the new papers'. A base
    without them (built before they were stored) has them made from the merged postings."""
    if "trend_doc_terms" not in parts:
        postings = out["trend_postings"]
        by_doc = sparse.csr_matrix((np.ones(len(postings), np.bool_), postings,
                                    out["trend_postings_ptr"]),
                                   shape=(len(out["trend_df"]), len(out["trend_doc_month"]))).tocsc()
        by_doc.sort_indices()
        return {"trend_doc_terms": by_doc.indices.astype(np.int32),
                "trend_doc_terms_ptr": by_doc.indptr.astype(np.int64)}
    terms, ptr = np.asarray(parts["trend_doc_terms"]), np.asarray(parts["trend_doc_terms_ptr"])
    lengths = np.diff(ptr)
    if not keep.all():
        terms = terms[np.repeat(keep, lengths)]
        lengths = lengths[keep]
    new = added.T.tocsr()
    new.sort_indices()
    doc_ptr = np.zeros(len(lengths) + new.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.concatenate([lengths, np.diff(new.indptr)]), out=doc_ptr[1:])
    return {"trend_doc_terms": np.concatenate([terms, new.indices]).astype(np.int32, copy=False),
            "trend_doc_terms_ptr": doc_ptr}


def _category_parts(parts: dict[str, Any], keep: np.ndarray, new_docs: Sequence[Doc],
                    doc_month: np.ndarray, n_months: int) -> dict[str, Any]:
    """The category parts over the kept base papers (from the base's own category parts,
    as the index's space-joined column cannot hold a category with a space) and the new
    papers, ordered as a full build orders them (most papers first, then by name)."""
    base_cats = [str(c) for c in np.asarray(parts["trend_cats"])]
    names = list(dict.fromkeys(base_cats + [c for d in new_docs for c in d.categories]))
    cat_id = {c: i for i, c in enumerate(names)}
    kept = sparse.csr_matrix(parts["trend_doc_cats"].tocsr()[np.flatnonzero(keep)], dtype=np.bool_)
    pairs = [(row, cat_id[c]) for row, d in enumerate(new_docs) for c in dict.fromkeys(d.categories)]
    rows, cols = (np.array([p[k] for p in pairs], dtype=np.int64) for k in (0, 1))
    added = sparse.csr_matrix((np.ones(len(rows), np.bool_), (rows, cols)),
                              shape=(len(new_docs), len(names)))
    kept.resize((kept.shape[0], len(names)))
    doc_cats = sparse.vstack([kept, added], format="csc", dtype=np.bool_)
    base_primary = np.asarray(parts["trend_doc_primary"])[keep] if "trend_doc_primary" in parts \
        else _first_category(parts["trend_doc_cats"].tocsr()[np.flatnonzero(keep)])
    new_primary = [cat_id[d.categories[0]] if d.categories else -1 for d in new_docs]
    primary = np.concatenate([base_primary, np.array(new_primary, dtype=np.int64)]).astype(np.int64)
    total = np.asarray(doc_cats.sum(axis=0)).ravel()
    order = sorted((c for c in range(len(names)) if total[c] > 0), key=lambda c: (-total[c], names[c]))
    new_id = np.full(len(names) + 1, -1, dtype=np.int64)      # the last slot maps -1 to -1
    new_id[order] = np.arange(len(order))
    doc_cats = doc_cats[:, order]
    doc_cats.sort_indices()
    doc_primary = new_id[primary].astype(np.int32)
    by_month = sparse.csr_matrix(
        (np.ones(len(doc_month), np.int32), (np.arange(len(doc_month)), doc_month)),
        shape=(len(doc_month), n_months))
    cat_primary = np.zeros((len(order), n_months), dtype=np.int32)
    has = doc_primary >= 0
    np.add.at(cat_primary, (doc_primary[has], doc_month[has]), 1)
    any_cat = (doc_cats.T.astype(np.int32) @ by_month).toarray().astype(np.int32)
    return {"trend_cats": _strings([names[c] for c in order]), "trend_cat_any": any_cat,
            "trend_cat_primary": cat_primary, "trend_doc_cats": doc_cats,
            "trend_doc_primary": doc_primary}


def _first_category(doc_cats: sparse.csr_matrix) -> np.ndarray:
    """A stand-in primary category for a table built before `trend_doc_primary` existed."""
    lengths = np.diff(doc_cats.indptr)
    first = np.full(doc_cats.shape[0], -1, dtype=np.int64)
    first[lengths > 0] = doc_cats.indices[doc_cats.indptr[:-1][lengths > 0]]
    return first
