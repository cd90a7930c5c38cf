"""Updating the LSA parts (`recommend.lsa`) for an incremental index update.

The update protocol is `recommend.index_update`'s: the new version's rows are the base
rows where `keep`, then `new_docs`. The vocabulary and idf stay as fitted until the next
full refit, and so do the LSA term directions fitted beside them: `lsa_terms` is carried
over as it is, kept papers keep their unit vectors, and each new or revised paper is
projected from its TF-IDF row of the new version through the same directions and
normalised as a build does. Every row therefore equals what projecting the new version's
TF-IDF matrix through the base's directions gives (tested); the directions themselves are
refitted with the vocabulary at the next full build.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from recommend.index import Index
from recommend.index_update import NeedsFullBuild
from recommend.lsa import LSA_DIM, TERMS_PART, VECTORS_PART, has_lsa, project


def update_lsa_parts(base: Index, keep: np.ndarray, new_docs: Sequence[Any], new_index: Index,
                     *, dim: int = LSA_DIM) -> dict[str, np.ndarray]:
    """The updater registered beside `build_lsa_parts` in ingest/indexing.py.

    dim: the configured dimensions; 0 means LSA is off and no parts are made. A change of
    dimensions changes the index fingerprint, so it never reaches an update. Raises
    `NeedsFullBuild` when the base version has no LSA parts to carry forward (built before
    LSA, with LSA off, or over a corpus too small for it).
    """
    if dim <= 0:
        return {}
    if not has_lsa(base):
        raise NeedsFullBuild(f"{base.version} has no LSA parts to update")
    terms = np.asarray(base.parts[TERMS_PART])
    if terms.shape[0] != new_index.matrix.shape[1]:
        raise NeedsFullBuild(f"{base.version}'s LSA directions cover {terms.shape[0]:,} terms, "
                             f"its vocabulary {new_index.matrix.shape[1]:,}")
    keep = np.asarray(keep)
    if keep.dtype != np.bool_ or keep.shape != (len(base),):
        raise ValueError(f"keep must be a bool array of {len(base):,} rows (one per base row), "
                         f"got {keep.dtype} of shape {keep.shape}")
    n_kept = int(np.count_nonzero(keep))
    if new_index.matrix.shape[0] != n_kept + len(new_docs):
        raise ValueError(f"the new index has {new_index.matrix.shape[0]} papers, but the "
                         f"update keeps {n_kept} and adds {len(new_docs)}")
    vectors = np.empty((n_kept + len(new_docs), terms.shape[1]), dtype=np.float32)
    np.compress(keep, base.parts[VECTORS_PART], axis=0, out=vectors[:n_kept])
    project(new_index.matrix[n_kept:], terms, out=vectors[n_kept:])
    return {TERMS_PART: terms, VECTORS_PART: vectors}
