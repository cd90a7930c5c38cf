"""The one analyser: word stems shared by search, features and trends; a new analyser
makes an existing index stale."""

from __future__ import annotations

import json

import numpy as np

from ingest import indexing
from recommend.index import load_index
from recommend.search import search_index
from recommend.text import ANALYZER, analyze, stem, words
from store.papers import INDEX_ANALYZER, index_fingerprint
from tests.factories import add_papers, record


def test_word_forms_are_one_term():
    assert analyze("graph neural networks") == analyze("Graph Neural Network")
    assert stem("transformers") == stem("transformer")
    assert stem("segmenting") == stem("segmentation")
    assert stem("llms") == "llm" and stem("gnns") == "gnn"   # an acronym's plural


def test_bigrams_still_never_join_words_apart():
    assert "batch normaliz" not in analyze("batch of normalization")
    assert "learn batch" not in analyze("learning. Batch")
    assert "batch normaliz" in analyze("batch normalization")


def test_a_verb_made_from_a_common_adjective_keeps_its_own_term():
    # Snowball alone folds these into "general", "normal", "regular", "person"
    assert {stem(w) for w in ("generalization", "generalize", "generalized", "generalizes",
                              "generalizing", "generalisation", "generalizable")} == {"generaliz"}
    assert stem("general") == stem("generally") == "general"
    assert stem("normalization") == stem("normalized") != stem("normal")
    assert stem("regularization") == stem("regularizer") != stem("regular")
    assert stem("personalization") == stem("personalized") != stem("person")
    assert stem("optimization") == stem("optimize")          # not an adjective: as before


def test_words_keep_the_forms_as_written():
    assert words("Neural Networks") == ["neural", "networks"]


def test_the_fingerprint_names_the_analyser(app):
    assert INDEX_ANALYZER == ANALYZER
    engine = app.extensions["papersift.engine"]
    with engine.connect() as conn:
        assert f"analyzer={ANALYZER}" in index_fingerprint(conn, app.config["SETTINGS"])


def test_an_index_built_by_another_analyser_is_rebuilt(app):
    engine = app.extensions["papersift.engine"]
    settings = app.config["SETTINGS"]
    add_papers(engine, record(title="Graph networks", abstract="Neural networks on graphs."))
    info = indexing.build(engine, settings, force=True).info
    assert not indexing.build(engine, settings).built           # current: nothing to do
    meta_path = info.path / "meta.json"
    meta = json.loads(meta_path.read_text())                    # as an older build wrote it
    meta["fingerprint"] = meta["fingerprint"].replace(f"|analyzer={ANALYZER}", "")
    meta_path.write_text(json.dumps(meta))
    assert indexing.build(engine, settings).built               # stale: rebuilt
    assert search_index(load_index(settings.index_dir)) is not None
    loaded = load_index(settings.index_dir)
    loaded.parts["search_analyzer"] = np.array(["plain-1"])
    assert search_index(loaded) is None                         # older search parts: not used
