"""`papersift index` with the LSA side on: new papers update the current version (LSA parts
included); a version without LSA parts, or a new PAPERSIFT_SEARCH_LSA_DIM, is refitted in
full; with LSA off the index still updates incrementally."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from ingest import indexing
from ingest.pipeline import import_files
from recommend import lsa
from recommend.index import load_index
from tests.factories import add_papers, record
from tests.helpers.paths import trimmed_sample

N_PAPERS = 200
DIM = 16


@pytest.fixture
def make_store(make_app, tmp_path: Path):
    """An app over the first N_PAPERS sample papers (not indexed yet)."""
    trimmed = trimmed_sample(tmp_path, N_PAPERS)

    def make(**settings):
        app = make_app(**{"search_lsa_dim": DIM, **settings})
        engine = app.extensions["papersift.engine"]
        import_files(engine, [trimmed], progress=False)
        return app, engine, app.config["SETTINGS"]
    return make


def _new_papers(n: int, first: int = 0) -> list:
    return [record(id=f"2606.{i:05d}", title=f"Sparse attention for long documents, part {i}",
                   abstract="We study sparse attention and state space models for long inputs.",
                   categories=["cs.CL", "cs.LG"], published=datetime(2026, 6, 1 + i))
            for i in range(first, first + n)]


def _vectors(index) -> np.ndarray:
    return np.asarray(index.parts[lsa.VECTORS_PART])


def test_index_after_new_papers_updates_with_the_lsa_side(make_store) -> None:
    app, engine, settings = make_store()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["index"])
    assert out.exit_code == 0 and "Built v" in out.output, out.output
    base = load_index(settings.index_dir)
    assert lsa.has_lsa(base) and _vectors(base).shape == (N_PAPERS, DIM)
    add_papers(engine, *_new_papers(3))
    out = runner.invoke(args=["index"])
    assert out.exit_code == 0, out.output
    assert "Updated v" in out.output and "+3 new, 0 revised, 0 removed" in out.output
    new = load_index(settings.index_dir)
    assert new.meta["base_version"] == base.version
    assert _vectors(new).shape == (N_PAPERS + 3, DIM)
    np.testing.assert_array_equal(new.parts[lsa.TERMS_PART], base.parts[lsa.TERMS_PART])
    np.testing.assert_array_equal(_vectors(new)[:N_PAPERS], _vectors(base))
    # the three new papers share their abstract: close to one another in meaning
    added = _vectors(new)[N_PAPERS:]
    assert np.allclose(np.linalg.norm(added, axis=1), 1.0, atol=1e-5)
    assert float(added[0] @ added[1]) > 0.9


def test_a_version_without_lsa_parts_is_refitted_once(make_store, monkeypatch) -> None:
    app, engine, settings = make_store()
    with monkeypatch.context() as before_lsa:      # a version built before the LSA side
        before_lsa.setattr(indexing, "EXTRA_BUILDERS",
                           [e for e in indexing.EXTRA_BUILDERS if e[0] != "lsa"])
        indexing.build(engine, settings)
    base = load_index(settings.index_dir)
    assert not lsa.has_lsa(base)
    add_papers(engine, *_new_papers(2))
    result = indexing.build(engine, settings)
    assert result.built and not result.updated
    assert f"(full refit: {base.version} has no LSA parts to update)" in result.summary()
    assert _vectors(load_index(settings.index_dir)).shape == (N_PAPERS + 2, DIM)
    add_papers(engine, *_new_papers(2, first=2))
    again = indexing.build(engine, settings)
    assert again.updated, again.summary()
    assert _vectors(load_index(settings.index_dir)).shape == (N_PAPERS + 4, DIM)


def test_a_new_lsa_dimension_rebuilds_in_full(make_store) -> None:
    app, engine, settings = make_store()
    indexing.build(engine, settings)
    assert indexing.is_current(engine, settings)
    narrower = dataclasses.replace(settings, search_lsa_dim=DIM // 2)
    assert not indexing.is_current(engine, narrower)
    add_papers(engine, *_new_papers(2))
    result = indexing.build(engine, narrower)
    assert result.built and not result.updated
    assert "(full refit: the index settings or the analyser changed)" in result.summary()
    assert _vectors(load_index(settings.index_dir)).shape == (N_PAPERS + 2, DIM // 2)
    off = dataclasses.replace(settings, search_lsa_dim=0)
    assert not indexing.build(engine, off).updated      # the store unchanged: still rebuilt
    assert not lsa.has_lsa(load_index(settings.index_dir))


def test_with_lsa_off_the_index_still_updates(make_store) -> None:
    app, engine, settings = make_store(search_lsa_dim=0)
    indexing.build(engine, settings)
    add_papers(engine, *_new_papers(2))
    result = indexing.build(engine, settings)
    assert result.updated, result.summary()
    index = load_index(settings.index_dir)
    assert len(index) == N_PAPERS + 2 and not lsa.has_lsa(index)
