"""The approximate nearest-neighbour index of large versions: results close to the exact
products, filters honoured, one file per version written whole, and exact search (and the
lexical fallback) when faiss is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from domain import index_files
from recommend import ann as ann_module
from recommend import hybrid
from recommend.ann import ANN_FILE, ANN_META, build_ann, load_ann
from recommend.hybrid import blended_similar, nearest_vectors
from services import semantic
from tests.semantic.corpus import PARAPHRASE_ID, QUESTION, rl_ids
from tests.semantic.test_web import _app, _embed, _search, no_recheck_delay  # noqa: F401

pytest.importorskip("faiss")      # a dev dependency: this skips only on an install without it


def clustered(n: int = 6_000, dim: int = 32, topics: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, dim)).astype(np.float32) * 3
    rows = centres[rng.integers(0, topics, n)] + rng.standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def vectors_and_ann(tmp_path_factory):
    version = tmp_path_factory.mktemp("v-ann")
    vectors = clustered()
    return vectors, build_ann(version, vectors, model="m")


def _queries(vectors: np.ndarray, count: int = 40) -> np.ndarray:
    rng = np.random.default_rng(3)
    picked = vectors[rng.choice(len(vectors), count, replace=False)]
    noisy = picked + rng.standard_normal(picked.shape).astype(np.float32) * 0.05
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def _recall(approx, exact) -> float:
    truth = {row for row, _ in exact}
    return len(truth & {row for row, _ in approx}) / len(truth)


def test_ann_search_finds_nearly_what_the_exact_product_finds(vectors_and_ann):
    vectors, ann = vectors_and_ann
    recalls = []
    for query in _queries(vectors):
        exact = nearest_vectors(vectors, query, 10)
        approx = nearest_vectors(vectors, query, 10, ann=ann)
        assert len(approx) == 10
        assert [s for _, s in approx] == sorted((s for _, s in approx), reverse=True)
        for row, score in approx:        # scores are the true cosines of the rows returned
            assert score == pytest.approx(float(vectors[row] @ query), abs=1e-4)
        recalls.append(_recall(approx, exact))
    assert np.mean(recalls) >= 0.95


def test_similar_papers_over_the_ann_match_the_exact_blend(vectors_and_ann):
    from scipy import sparse

    vectors, ann = vectors_and_ann
    words = sparse.random(len(vectors), 200, density=0.03, format="csr", random_state=1, dtype=np.float32)
    norms = np.maximum(sparse.linalg.norm(words, axis=1), 1e-9)
    words = sparse.csr_matrix(words.multiply(1 / norms[:, None]))
    recalls = []
    for row in range(0, 400, 20):
        exact = blended_similar(words, vectors, row, 10)
        approx = blended_similar(words, vectors, row, 10, ann=ann)
        assert row not in {r for r, _ in approx} and len(approx) == 10
        recalls.append(_recall(approx, exact))
    assert np.mean(recalls) >= 0.95


def test_filters_are_honoured_and_too_few_survivors_fall_back_to_exact(vectors_and_ann, monkeypatch):
    vectors, ann = vectors_and_ann
    monkeypatch.setattr(hybrid, "EXACT_BELOW", 0)       # take the ANN's over-fetch path even here
    rng = np.random.default_rng(5)
    for share in (0.5, 0.1, 0.002):                      # 0.2%: 12 papers, few survive the ANN
        allowed = rng.random(len(vectors)) < share
        for query in _queries(vectors, 10):
            approx = nearest_vectors(vectors, query, 10, allowed=allowed, ann=ann)
            exact = nearest_vectors(vectors, query, 10, allowed=allowed)
            assert approx and all(allowed[row] for row, _ in approx)
            assert len(approx) == len(exact)
            if share < 0.01:                             # decided by the exact product
                assert [r for r, _ in approx] == [r for r, _ in exact]
                assert [s for _, s in approx] == pytest.approx([s for _, s in exact], abs=1e-5)
            else:
                assert _recall(approx, exact) >= 0.7


def test_the_build_is_deterministic_and_leaves_no_partial_file(tmp_path, monkeypatch):
    vectors = clustered(2_000)
    first, second = tmp_path / "v-1", tmp_path / "v-2"
    first.mkdir(), second.mkdir()
    build_ann(first, vectors, model="m", seed=7)
    build_ann(second, vectors, model="m", seed=7)
    assert (first / ANN_FILE).read_bytes() == (second / ANN_FILE).read_bytes()
    assert sorted(p.name for p in first.iterdir()) == [ANN_FILE, ANN_META]

    import faiss

    def crash(index, path):
        with open(path, "wb") as out:
            out.write(b"half an ind")
        raise OSError("disk full")

    third = tmp_path / "v-3"
    third.mkdir()
    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(OSError):
        build_ann(third, vectors, model="m")
    assert list(third.iterdir()) == []                   # no index, no sidecar, no temporary
    assert load_ann(third, len(vectors), "m") is None
    assert load_ann(first, len(vectors), "other-model") is None     # built over other vectors
    assert load_ann(first, len(vectors) + 1, "m") is None


def _version_dir(app):
    settings = app.config["SETTINGS"]
    return settings.index_dir / index_files.current_version(settings.index_dir)


def test_versions_above_the_threshold_get_their_own_ann_index_and_serve_from_it(make_app):
    from tests.semantic.test_web import ENCODER

    app = make_ann_app(make_app, ENCODER)
    _embed(app)
    first = _version_dir(app)
    assert (first / ANN_FILE).is_file()
    runner = app.test_cli_runner()
    assert "approximate nearest-neighbour index built" in runner.invoke(args=["status"]).output
    assert "ok    embeddings: 42 of 42 papers" in runner.invoke(args=["doctor"]).output

    client = app.test_client()
    found = [h["paper"]["id"] for h in _search(client, QUESTION)["results"]]
    assert PARAPHRASE_ID in found and set(found) <= rl_ids()
    similar = [s["id"] for s in client.get(f"/api/papers/{PARAPHRASE_ID}").get_json()["similar"]]
    assert similar and set(similar[:5]) <= rl_ids()
    from web.services import current_index
    with app.app_context():
        assert semantic.ann_of(current_index()) is not None

    from ingest import indexing
    indexing.build(app.extensions["papersift.engine"], app.config["SETTINGS"], force=True)
    _embed(app)
    second = _version_dir(app)
    assert second != first and (second / ANN_FILE).is_file() and (first / ANN_FILE).is_file()


def make_ann_app(make_app, encoder: str):
    from ingest import indexing
    from tests.factories import add_papers
    from tests.semantic.corpus import corpus

    app = make_app(RECOMMEND_SYNC=True, embedding_encoder=encoder, ann_min_papers=10)
    engine = app.extensions["papersift.engine"]
    add_papers(engine, *corpus())
    indexing.build(engine, app.config["SETTINGS"], force=True)
    return app


def test_below_the_threshold_no_ann_index_is_built(make_app):
    app = _app(make_app)
    _embed(app)
    assert not (_version_dir(app) / ANN_FILE).exists()
    assert "exact vector search (below PAPERSIFT_ANN_MIN_PAPERS" in \
        app.test_cli_runner().invoke(args=["status"]).output


@pytest.fixture
def faiss_missing(monkeypatch):
    """Importing faiss fails, as on an install without the ann extra."""
    monkeypatch.setitem(sys.modules, "faiss", None)
    assert not ann_module.ann_available()


def test_without_faiss_search_stays_exact_and_status_says_so(make_app, faiss_missing):
    from tests.semantic.test_web import ENCODER

    app = make_ann_app(make_app, ENCODER)
    _embed(app)
    assert not (_version_dir(app) / ANN_FILE).exists()
    runner = app.test_cli_runner()
    assert "faiss not installed" in runner.invoke(args=["status"]).output
    doctor = runner.invoke(args=["doctor"]).output
    assert "warn  embeddings: 42 of 42 papers" in doctor and "papersift[ann]" in doctor
    found = [h["paper"]["id"] for h in _search(app.test_client(), QUESTION)["results"]]
    assert PARAPHRASE_ID in found                        # exact vector search still finds it


def test_an_ann_index_built_elsewhere_is_ignored_without_faiss(make_app, monkeypatch):
    from tests.semantic.test_web import ENCODER

    app = make_ann_app(make_app, ENCODER)
    _embed(app)
    assert (_version_dir(app) / ANN_FILE).is_file()
    monkeypatch.setitem(sys.modules, "faiss", None)      # e.g. the extra uninstalled since
    client = app.test_client()
    assert PARAPHRASE_ID in [h["paper"]["id"] for h in _search(client, QUESTION)["results"]]
    assert client.get(f"/api/papers/{PARAPHRASE_ID}").get_json()["similar"]
    lexical = _search(client, "policy gradient")
    assert lexical["total"] > 0


def test_without_faiss_or_an_encoder_search_is_lexical(make_app, faiss_missing):
    app = make_ann_app(make_app, "none")
    client = app.test_client()
    result = _search(client, "policy gradient")
    assert result["total"] > 0 and result["semantic"] is False
    assert "not available" in app.test_cli_runner().invoke(args=["status"]).output


def test_a_version_whose_vectors_lack_the_index_gets_it_on_the_next_embed_run(make_app):
    from ingest.embeddings import embed_current_index
    from tests.semantic.encoder import HashedWordEncoder
    from tests.semantic.test_web import ENCODER

    app = make_ann_app(make_app, ENCODER)
    _embed(app)
    version = _version_dir(app)
    (version / ANN_FILE).unlink()
    (version / ANN_META).unlink()              # as if built before the threshold was lowered
    assert "nearest-neighbour index not built yet" in app.test_cli_runner().invoke(args=["status"]).output
    result = embed_current_index(app.extensions["papersift.engine"], app.config["SETTINGS"],
                                 HashedWordEncoder())
    assert result.status == "current" and (version / ANN_FILE).is_file()
    assert "approximate nearest-neighbour index built" in \
        app.test_cli_runner().invoke(args=["status"]).output
