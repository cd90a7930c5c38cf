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
from recommend.trend_build import _doc_terms, _strings, generic_flags, title_parts, title_presence
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

    postings = sparse.csr_matrix(
        (np.ones(len(parts["trend_postings"]), np.bool_), np.asarray(parts["trend_postings"]),
         np.asarray(parts["trend_postings_ptr"])), shape=(n_terms, len(keep)))
    kept, removed = _split_postings(postings, keep)
    added = _new_postings(parts, new_docs, n_kept)
    merged = _merge(kept, added, n_kept + len(new_docs))

    counts = _shifted_counts(parts["trend_counts"], base_first - first, n_months)
    old_month = np.asarray(parts["trend_doc_month"], dtype=np.int64) + (base_first - first)
    counts = counts - _month_counts(removed.tocoo(), old_month, n_months, n_terms)
    new_month = doc_month[n_kept:].astype(np.int64)
    counts = counts + _month_counts(added.tocoo(), new_month, n_months, n_terms)
    counts = counts.tocsr()
    counts.eliminate_zeros()
    counts.sort_indices()
    out = _assemble(parts, merged, counts, doc_month, n_months, first)
    out.update(_category_parts(parts, keep, new_docs, doc_month, n_months))
    out.update(_title_parts(parts, keep, new_docs, n_terms))
    out["trend_generic_flags"] = generic_flags(out)
    return out


def _title_parts(parts: dict[str, Any], keep: np.ndarray, new_docs: Sequence[Doc], n_terms: int
                 ) -> dict[str, Any]:
    """The title postings of the kept and the new papers."""
    base = sparse.csr_matrix(
        (np.ones(len(parts["trend_title_postings"]), np.bool_),
         np.asarray(parts["trend_title_postings"]), np.asarray(parts["trend_title_postings_ptr"])),
        shape=(n_terms, len(keep)))
    kept, _ = _split_postings(base, keep)
    added = title_presence(new_docs, _term_rows(parts))
    return title_parts(_merge(kept, added, kept.shape[1] + len(new_docs)))


def _month_numbers(published: np.ndarray) -> np.ndarray:
    return np.asarray(published, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _split_postings(postings: sparse.csr_matrix, keep: np.ndarray
                    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """(kept postings renumbered to the new rows, removed postings in base rows)."""
    new_row = np.cumsum(keep, dtype=np.int64) - 1
    n_terms = postings.shape[0]
    survives = keep[postings.indices]
    # postings stay in order when filtered: only the row pointers need recounting
    term_of = np.repeat(np.arange(n_terms, dtype=np.int32), np.diff(postings.indptr))
    kept_ptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_of[survives], minlength=n_terms), out=kept_ptr[1:])
    kept_rows = new_row[postings.indices[survives]]
    kept = sparse.csr_matrix((np.ones(len(kept_rows), np.bool_), kept_rows, kept_ptr),
                             shape=(n_terms, int(keep.sum())))
    removed = _from_pairs(term_of[~survives].astype(np.int64),
                          postings.indices[~survives].astype(np.int64), (n_terms, len(keep)))
    return kept, removed


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


def _merge(kept: sparse.csr_matrix, added: sparse.csr_matrix, n_rows: int) -> sparse.csr_matrix:
    """Each term's kept postings, then its postings in the new papers (rows after kept)."""
    n_kept = kept.shape[1]
    term_of_added = np.repeat(np.arange(added.shape[0]), np.diff(added.indptr))
    where = np.asarray(kept.indptr)[term_of_added + 1]
    indices = np.insert(np.asarray(kept.indices, np.int64), where,
                        np.asarray(added.indices, np.int64) + n_kept)
    indptr = np.asarray(kept.indptr, np.int64) + np.concatenate(
        [[0], np.cumsum(np.diff(added.indptr))])
    return sparse.csr_matrix((np.ones(len(indices), np.bool_), indices, indptr),
                             shape=(kept.shape[0], n_rows))


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


def _assemble(parts: dict[str, Any], postings: sparse.csr_matrix, counts: sparse.csr_matrix,
              doc_month: np.ndarray, n_months: int, first: int) -> dict[str, Any]:
    if counts.nnz and counts.data.max() <= np.iinfo(np.uint16).max:
        counts.data = counts.data.astype(np.uint16)
    else:
        counts.data = counts.data.astype(np.int32)
    out: dict[str, Any] = {
        name: np.asarray(parts[name]) for name in
        ("trend_term_bytes", "trend_term_offsets", "trend_label_bytes", "trend_label_offsets")}
    out.update({
        "trend_df": np.diff(postings.indptr).astype(np.int32),
        "trend_counts": counts,
        "trend_months": np.arange(first, first + n_months).astype("datetime64[M]"),
        "trend_totals": np.bincount(doc_month, minlength=n_months).astype(np.int32),
        "trend_postings": postings.indices.astype(np.int32),
        "trend_postings_ptr": postings.indptr.astype(np.int64),
        "trend_doc_month": doc_month,
    })
    by_doc = postings.tocsc()
    by_doc.sort_indices()
    out.update(trend_doc_terms=by_doc.indices.astype(np.int32),
               trend_doc_terms_ptr=by_doc.indptr.astype(np.int64))
    return out


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
