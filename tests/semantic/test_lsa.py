"""LSA vectors built with each index version, and their side of the fused plain-words search:
a question finds a paper that lacks its words when they occur in that paper's company."""

from __future__ import annotations

import numpy as np
import pytest

from ingest import indexing
from recommend import lsa
from recommend.features import fit_features
from recommend.search import Filters
from recommend.search_like import query_tfidf
from recommend.search_query import parse_query
from services import semantic_search
from services.index_holder import holder_of
from tests.semantic.test_web import _app, _embed, _search

MEDICAL = ["tumour lesion scan", "lesion scan radiology", "tumour radiology scan",
           "tumour lesion radiology", "lesion radiology mri", "tumour scan mri"]
RL = ["policy reward agent", "agent reward robot", "policy robot agent", "reward policy robot"]
NO_TUMOUR = 4                               # MEDICAL[4] lacks the word "tumour"
SEG_WITHOUT_MASKS = "2405.10002"            # a segmentation paper that never says "masks"


def _features():
    return fit_features(MEDICAL + RL, max_features=1000, min_df=1, max_df=1.0, n_jobs=1)


def test_lsa_vectors_are_unit_rows_and_the_same_on_every_fit():
    feats = _features()
    terms, vectors = lsa.fit_lsa(feats.matrix, 2)
    assert terms.shape == (feats.matrix.shape[1], 2) and vectors.shape == (10, 2)
    assert terms.dtype == vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    again_terms, again_vectors = lsa.fit_lsa(feats.matrix, 2)
    assert np.array_equal(terms, again_terms) and np.array_equal(vectors, again_vectors)


def test_a_corpus_too_small_for_two_dimensions_gets_no_lsa():
    feats = fit_features(["one paper alone"], max_features=10, min_df=1, max_df=1.0, n_jobs=1)
    assert lsa.fit_lsa(feats.matrix, 256) is None


def test_a_word_finds_the_papers_it_keeps_company_with():
    feats = _features()
    terms, vectors = lsa.fit_lsa(feats.matrix, 2)
    column = list(feats.vocabulary).index("tumour")
    query = terms[column] / np.linalg.norm(terms[column])
    ranked = np.argsort(-(vectors @ query), kind="stable")
    assert "tumour" not in MEDICAL[NO_TUMOUR]
    assert set(ranked[:len(MEDICAL)]) == set(range(len(MEDICAL)))   # every medical paper first
    assert float(vectors[NO_TUMOUR] @ query) > 0.9


def test_each_index_version_carries_lsa_parts_unless_turned_off(make_app):
    index = holder_of(*_served(_app(make_app))).get()
    assert lsa.has_lsa(index)
    assert index.parts[lsa.VECTORS_PART].shape[0] == len(index)
    assert index.parts[lsa.TERMS_PART].shape[0] == len(index.vocabulary)

    off = make_app(RECOMMEND_SYNC=True, search_lsa_dim=0)
    indexing.build(off.extensions["papersift.engine"], off.config["SETTINGS"], force=True)
    assert not lsa.has_lsa(holder_of(*_served(off)).get())


def test_the_lsa_side_finds_a_paper_without_the_query_words(make_app):
    app = _app(make_app, search_lsa_dim=4)
    index = holder_of(*_served(app)).get()
    hits = semantic_search.lsa_hits(index, parse_query("semantic masks"), Filters())
    found = [pid for pid, _ in hits]
    assert SEG_WITHOUT_MASKS in found[:10]
    assert all(pid.startswith("2405.1") for pid in found[:10])    # the segmentation topic
    assert semantic_search.lsa_hits(index, parse_query("zzzunknownword"), Filters()) == []
    assert query_tfidf(index, "zzzunknownword") is None


@pytest.mark.parametrize("lsa_dim, found", [(4, True), (0, False)])
def test_fused_search_ranks_by_lsa_beside_words_and_embeddings(make_app, monkeypatch, lsa_dim,
                                                               found):
    monkeypatch.setattr(semantic_search, "MIN_COSINE", 1.01)   # the embedding side finds nothing
    app = _app(make_app, search_lsa_dim=lsa_dim)
    _embed(app)
    body = _search(app.test_client(), "semantic masks")
    ids = [hit["paper"]["id"] for hit in body["results"]]
    assert body["semantic"] and body["score_kind"] == "rrf"
    assert (SEG_WITHOUT_MASKS in ids) is found
    assert ids[0] != SEG_WITHOUT_MASKS                           # papers with the words lead


def _served(app):
    return app.extensions, app.config["SETTINGS"]


@pytest.mark.parametrize("raw", ["-1", "many"])
def test_a_bad_lsa_dimension_setting_is_refused_with_its_name(raw):
    import config

    with pytest.raises(config.ConfigError, match="PAPERSIFT_SEARCH_LSA_DIM"):
        config.load_settings({"PAPERSIFT_SEARCH_LSA_DIM": raw})
    assert config.load_settings({"PAPERSIFT_SEARCH_LSA_DIM": "0"}).search_lsa_dim == 0
