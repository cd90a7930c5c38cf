"""LSA parts carried forward by an incremental index update (recommend/lsa_update.py): the
fitted directions stay, kept papers keep their vectors, new and revised papers are
projected through the same directions, and plain-words search over the updated version
ranks as over a version projected in full with those directions."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest

from recommend import lsa
from recommend.index import Doc, Index, build_index, load_index
from recommend.index_update import NeedsFullBuild, update_index
from recommend.lsa_update import update_lsa_parts
from recommend.search import Filters
from recommend.search_query import parse_query
from services import semantic_search
from tests.recommend.test_index_update import N_BASE, N_NEW, _delta, sample_docs

DIM = 16
QUESTIONS = ["how do neural networks segment medical images",
             "language models that reason step by step",
             "learning on graphs with message passing",
             "robots trained with reinforcement learning rewards",
             "privacy of federated training"]


@pytest.fixture(scope="module")
def corpus() -> list[Doc]:
    return sample_docs(N_BASE + N_NEW)


def _base(root: Path, docs: list[Doc], dim: int = DIM) -> Index:
    build_index(root, docs, fingerprint="base", extra=[partial(lsa.build_lsa_parts, dim=dim)],
                min_df=2, sample_docs=200)
    index = load_index(root)
    assert index is not None
    return index


def _update(root: Path, base: Index, keep: np.ndarray, new_docs: list[Doc]) -> Index:
    update_index(root, base, keep, new_docs, fingerprint="next",
                 updaters=[partial(update_lsa_parts, dim=DIM)], keep_versions=5)
    index = load_index(root)
    assert index is not None
    return index


def _vectors(index: Index) -> np.ndarray:
    return np.asarray(index.parts[lsa.VECTORS_PART])


def test_kept_papers_keep_their_vectors_and_new_ones_are_projected(tmp_path: Path,
                                                                   corpus) -> None:
    base = _base(tmp_path, corpus[:N_BASE])
    keep, new_docs, reference = _delta(corpus, base)
    new = _update(tmp_path, base, keep, new_docs)
    assert [str(i) for i in new.ids] == [d.id for d in reference]
    terms = np.asarray(base.parts[lsa.TERMS_PART])
    np.testing.assert_array_equal(new.parts[lsa.TERMS_PART], terms)   # directions as fitted
    vectors = _vectors(new)
    assert vectors.shape == (len(reference), DIM) and vectors.dtype == np.float32
    n_kept = int(keep.sum())
    np.testing.assert_array_equal(vectors[:n_kept], _vectors(base)[keep])
    # each new row is its TF-IDF row of the new version through the kept directions, unit length
    projected = new.matrix[n_kept:].toarray() @ terms
    projected /= np.linalg.norm(projected, axis=1, keepdims=True)
    assert np.allclose(vectors[n_kept:], projected, atol=1e-5)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_revised_papers_move_and_deleted_papers_are_gone(tmp_path: Path, corpus) -> None:
    base = _base(tmp_path, corpus[:N_BASE])
    keep = np.ones(len(base), dtype=bool)
    keep[[10, 20]] = False                   # 10 is revised, 20 deleted
    # paper 10's new abstract is paper 11's: its vector must become paper 11's
    revised = corpus[10]._replace(text=corpus[11].text)
    new = _update(tmp_path, base, keep, [revised])
    assert len(new) == N_BASE - 1 and new.row(corpus[20].id) is None
    row = new.row(corpus[10].id)
    assert row == N_BASE - 2 == len(_vectors(new)) - 1
    old, twin = _vectors(base)[10], _vectors(base)[11]
    assert np.allclose(_vectors(new)[row], twin, atol=1e-5)
    assert float(old @ twin) < 0.99                 # the paper really moved
    assert np.array_equal(_vectors(new)[new.row(corpus[11].id)], twin)


def test_search_over_an_update_ranks_as_over_a_full_projection(tmp_path: Path,
                                                                corpus) -> None:
    """The reference re-adds every paper of the updated version to the base (no row kept):
    all rows are then projected afresh from TF-IDF rows weighted with the same vocabulary
    and idf, through the same directions, which is what a full build gives when its SVD
    fits the same directions."""
    base = _base(tmp_path, corpus[:N_BASE])
    keep, new_docs, reference = _delta(corpus, base)
    updated = _update(tmp_path, base, keep, new_docs)
    in_full = _update(tmp_path, base, np.zeros(len(base), dtype=bool), reference)
    assert [str(i) for i in in_full.ids] == [str(i) for i in updated.ids]
    assert np.allclose(_vectors(updated), _vectors(in_full), atol=1e-5)
    for question in QUESTIONS:
        parsed = parse_query(question)
        got = semantic_search.lsa_hits(updated, parsed, Filters(), depth=20)
        want = semantic_search.lsa_hits(in_full, parsed, Filters(), depth=20)
        assert len(got) == 20, question
        assert [pid for pid, _ in got[:10]] == [pid for pid, _ in want[:10]], question
        assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


def test_a_base_without_lsa_parts_needs_a_full_build(tmp_path: Path, corpus) -> None:
    build_index(tmp_path, corpus[:N_BASE], fingerprint="base", min_df=2, sample_docs=200)
    base = load_index(tmp_path)
    assert base is not None and not lsa.has_lsa(base)
    keep = np.ones(len(base), dtype=bool)
    with pytest.raises(NeedsFullBuild, match="no LSA parts"):
        update_lsa_parts(base, keep, corpus[N_BASE:], base)
    # with LSA turned off there is nothing to carry forward and nothing to build
    assert update_lsa_parts(base, keep, corpus[N_BASE:], base, dim=0) == {}


def test_a_mismatched_delta_is_refused(tmp_path: Path, corpus) -> None:
    base = _base(tmp_path, corpus[:N_BASE])
    with pytest.raises(ValueError, match="bool array of 240 rows"):
        update_lsa_parts(base, np.ones(3, dtype=bool), [], base)
    with pytest.raises(ValueError, match="keeps 240 and adds 1"):
        update_lsa_parts(base, np.ones(len(base), dtype=bool), corpus[:1], base)
