"""An update's trend postings: kept papers renumbered, new papers after them, read in
place from the base's stored arrays (recommend/trend_update.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from recommend.trend_update import merged_postings


def _presence(rng: np.random.Generator, n_terms: int, n_docs: int, density: float
              ) -> sparse.csr_matrix:
    dense = rng.random((n_terms, n_docs)) < density
    dense[rng.random(n_terms) < 0.2] = False          # terms in no paper
    matrix = sparse.csr_matrix(dense, dtype=np.bool_)
    matrix.sort_indices()
    return matrix


@pytest.mark.parametrize("kept_share", [1.0, 0.7, 0.0])
@pytest.mark.parametrize("seed", range(6))
def test_merged_postings_equal_the_kept_columns_then_the_new(seed, kept_share) -> None:
    rng = np.random.default_rng(seed)
    n_terms, n_docs, n_new = int(rng.integers(1, 30)), int(rng.integers(1, 50)), int(rng.integers(0, 9))
    base = _presence(rng, n_terms, n_docs, 0.3)
    added = _presence(rng, n_terms, n_new, 0.3)
    keep = rng.random(n_docs) < kept_share
    stored_rows = base.indices.astype(np.int32)           # as the version stores them
    (rows, ptr), removed = merged_postings(stored_rows, base.indptr.astype(np.int64), keep, added)

    expected = sparse.hstack([base[:, np.flatnonzero(keep)], added], format="csr")
    expected.sort_indices()
    assert rows.dtype == np.int32 and ptr.dtype == np.int64
    np.testing.assert_array_equal(rows, expected.indices)
    np.testing.assert_array_equal(ptr, expected.indptr)
    gone = base.toarray() & ~keep[None, :]
    np.testing.assert_array_equal(removed.toarray(), gone)
    np.testing.assert_array_equal(stored_rows, base.indices)   # the base is left as it was
