"""Incremental index updates: a new version from the current one plus a delta.

The rows of the new version are the base version's rows that survive (`keep`, in their
order) followed by the new documents (added papers, and revised ones, which are removed
from their old row and added again), in the order given. A full build over that same
list of documents is the reference an update is compared with.

Features keep the base's FITTED vocabulary and idf: new rows are weighted exactly as a
full build with that vocabulary and idf would weight them, kept rows are copied. The
document frequencies (`df`) are exact over the new corpus; idf stays as fitted until the
next refit, and terms born since the refit are not in the vocabulary. How far the index
may have moved from a fresh fit is measured by `drift` below, and past a threshold the
caller refits (ingest/indexing.py).

Extra parts (search, trends, LSA) come from *updaters* registered beside their builders:

    updater(base, keep, new_docs, new_index) -> {part name: array or sparse matrix}

with the same part names the builder returns, or an iterator of (name, part) pairs: each
is written to the new version as it comes, before the next is made, so an updater whose
parts are large (search) holds one of them at a time rather than all. An updater that
cannot carry its parts forward raises `NeedsFullBuild` (before its first part). The new
version is written in a temporary directory and published with the same atomic swap as a
full build, so a reader sees the old version or the new one, never half of one. A failed
update removes its temporary directory; a killed one leaves it for a later update to remove
once it is old enough not to be running (`remove_stale_tmp`).

The base version is read through its mappings, and every page read counts in the
process's RSS until dropped (recommend/mapped_pages.py): the update drops them once the
core and then each updater's parts have been copied (the search updater also between its
parts), so its RSS stays near its own memory rather than the size of the version.

Meta of an updated version: `base_version`, `refit_version` and `refit_created` (the
full build whose vocabulary it carries), `refit_docs` (that build's papers),
`changed_since_refit` (papers added, revised or removed by the updates since),
`drift`, `n_added`, `n_revised`, `n_removed`, plus whatever the caller passes (the
store's high-water mark).
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from domain.index_files import TMP_PREFIX, IndexInfo, index_info, prune, refit_info, remove_stale_tmp
from recommend.index import (
    _RESERVED,
    FORMAT,
    Doc,
    DocTexts,
    Index,
    _day,
    _publish,
    _strings,
    _write_meta,
    index_from,
    write_part,
)
from recommend.mapped_pages import drop_pages_of

if TYPE_CHECKING:
    from recommend.index import Part

    Updater = Callable[[Index, np.ndarray, Sequence[Doc], Index],
                       Mapping[str, Part] | Iterable[tuple[str, Part]]]


class NeedsFullBuild(ValueError):
    """An updater cannot carry the base version forward (its parts were built before the
    updater's state was stored, with another analyser, or not at all): the caller builds
    the index in full instead (ingest/indexing.py)."""


def drift(base_meta: Mapping[str, Any], n_changed: int) -> float:
    """The share of the refit's corpus added, revised or removed since the refit, after
    `n_changed` more papers.

    The vocabulary and idf were fitted on the refit's papers; every paper added or changed
    since is weighted with them. Words new to the field (absent when the vocabulary was
    chosen) and shifts in how common terms are grow with this share, so it bounds how far
    an updated index can be from a fresh fit.
    """
    refit_docs = int(base_meta.get("refit_docs") or base_meta.get("n_docs") or 0)
    changed = int(base_meta.get("changed_since_refit") or 0) + n_changed
    return changed / max(refit_docs, 1)


def update_index(
    root: Path,
    base: Index,
    keep: np.ndarray,
    new_docs: Sequence[Doc],
    *,
    fingerprint: str,
    updaters: Sequence[Updater] = (),
    n_revised: int = 0,
    meta_extra: Mapping[str, Any] | None = None,
    keep_versions: int = 2,
    n_jobs: int | None = None,
) -> IndexInfo:
    """Write a new version (base rows where `keep`, then `new_docs`), make it current.

    n_revised: how many of `new_docs` replace a removed base row (for the meta and the
    drift: a revised paper counts once, not as one removed and one added).
    """
    keep = _check_keep(base, keep)
    started = time.perf_counter()
    remove_stale_tmp(root)
    tmp = root / f"{TMP_PREFIX}{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        matrix, n_fulltext = _write_core(tmp, base, keep, new_docs, n_jobs=n_jobs)
        drop_pages_of(base)
        n_removed = int(len(keep) - keep.sum()) - n_revised
        meta = _update_meta(base, len(keep) - int(keep.sum()), new_docs, n_revised, n_removed,
                            matrix, fingerprint, n_fulltext)
        meta.update(meta_extra or {})
        del matrix      # saved; updaters read the new version's copy (0.8 GB at 1M papers)
        _write_meta(tmp, meta)
        _run_updaters(tmp, updaters, base, keep, new_docs, meta)
        meta["build_seconds"] = round(time.perf_counter() - started, 3)
        version = _publish(root, tmp, meta)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune(root, keep=keep_versions)
    info = index_info(root, version)
    assert info is not None
    return info


def _check_keep(base: Index, keep: np.ndarray) -> np.ndarray:
    keep = np.asarray(keep)
    if keep.dtype != np.bool_ or keep.shape != (len(base),):
        raise ValueError(f"keep must be a bool array of {len(base):,} rows (one per base row), "
                         f"got {keep.dtype} of shape {keep.shape}")
    return keep


def _write_core(directory: Path, base: Index, keep: np.ndarray, new_docs: Sequence[Doc], *,
                n_jobs: int | None) -> tuple[sparse.csr_matrix, int]:
    """The features (fixed vocabulary and idf, exact df) and the per-paper columns."""
    from recommend.features import document_frequencies, transform

    idf = np.asarray(base.idf)
    added = transform(DocTexts(new_docs), [str(t) for t in base.vocabulary], idf, n_jobs=n_jobs)
    matrix = stack_rows(base.matrix, keep, added)
    drop_pages_of(base)
    write_part(directory, "matrix", matrix)
    days = np.array([_day(d.published) for d in new_docs], dtype="datetime64[D]")
    write_part(directory, "ids", _joined(base.ids, keep, [d.id for d in new_docs]))
    write_part(directory, "published",
               np.concatenate([np.asarray(base.published)[keep], days]).astype("datetime64[D]"))
    write_part(directory, "primary_category", _joined(
        base.primary_category, keep, [d.categories[0] if d.categories else "" for d in new_docs]))
    write_part(directory, "categories", _joined(
        base.categories, keep, [" ".join(d.categories) for d in new_docs]))
    write_part(directory, "vocab", np.asarray(base.vocabulary))
    write_part(directory, "idf", idf)
    write_part(directory, "df", document_frequencies(matrix))
    # which rows had full text is not stored per row, so this is an upper bound; the
    # caller, who reads the store, passes the exact count in meta_extra
    kept_fulltext = int(base.meta.get("n_fulltext") or 0)
    return matrix, min(kept_fulltext, int(keep.sum())) + sum(bool(d.has_fulltext) for d in new_docs)


def stack_rows(base: sparse.csr_matrix, keep: np.ndarray, added: sparse.csr_matrix
               ) -> sparse.csr_matrix:
    """The rows of `base` where `keep`, then the rows of `added` (float32 CSR).

    Copies the arrays once, without scipy's row indexing and vstack, each of which makes
    its own copy of the whole matrix."""
    indptr = np.asarray(base.indptr)
    lengths = np.diff(indptr)
    entries = np.repeat(keep, lengths)
    kept_lengths = lengths[keep]
    new_indptr = np.zeros(int(keep.sum()) + added.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.concatenate([kept_lengths, np.diff(added.indptr)]), out=new_indptr[1:])
    data = np.concatenate([np.asarray(base.data)[entries], added.data]).astype(np.float32, copy=False)
    indices = np.concatenate([np.asarray(base.indices)[entries], added.indices])
    index_type = np.int32 if new_indptr[-1] < np.iinfo(np.int32).max else np.int64
    return sparse.csr_matrix((data, indices.astype(index_type, copy=False),
                              new_indptr.astype(index_type, copy=False)),
                             shape=(len(new_indptr) - 1, base.shape[1]))


def _joined(column: np.ndarray, keep: np.ndarray, new: Sequence[str]) -> np.ndarray:
    kept = [str(v) for v in np.asarray(column)[keep]]
    return _strings(kept + list(new))


def _update_meta(base: Index, n_dropped: int, new_docs: Sequence[Doc], n_revised: int,
                 n_removed: int, matrix: sparse.csr_matrix, fingerprint: str,
                 n_fulltext: int) -> dict[str, Any]:
    from datetime import UTC, datetime

    n_added = len(new_docs) - n_revised
    n_changed = n_added + n_revised + n_removed
    refit_version, refit_created = refit_info(base.meta)
    return {
        "format": FORMAT, "version": None,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_docs": int(matrix.shape[0]), "n_terms": int(matrix.shape[1]), "nnz": int(matrix.nnz),
        "fingerprint": fingerprint, "settings": base.meta.get("settings", {}),
        "sample_size": base.meta.get("sample_size"), "n_fulltext": n_fulltext,
        "parts": {}, "build_seconds": None,
        "base_version": base.version, "refit_version": refit_version,
        "refit_created": refit_created,
        "refit_docs": int(base.meta.get("refit_docs") or base.meta.get("n_docs") or 0),
        "changed_since_refit": int(base.meta.get("changed_since_refit") or 0) + n_changed,
        "drift": round(drift(base.meta, n_changed), 6),
        "n_added": n_added, "n_revised": n_revised, "n_removed": n_removed,
    }


def _run_updaters(directory: Path, updaters: Sequence[Updater], base: Index, keep: np.ndarray,
                  new_docs: Sequence[Doc], meta: dict[str, Any]) -> None:
    """Give each updater the base, the delta and the new core; save what it returns."""
    if not updaters:
        return
    new_index = index_from(directory)
    for updater in updaters:
        parts = updater(base, keep, new_docs, new_index)
        for name, value in (parts.items() if isinstance(parts, Mapping) else parts):
            if name in _RESERVED or name in meta["parts"]:
                raise ValueError(f"index part {name!r} already exists")
            meta["parts"][name] = write_part(directory, name, value)
            del value       # written: an updater's next part is made without it
        del parts
        drop_pages_of(base)
        drop_pages_of(new_index)
    _write_meta(directory, meta)
