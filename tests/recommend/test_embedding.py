"""The default encoder: the static table distilled from all-MiniLM-L6-v2, shipped in the repo."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from recommend import embedding
from recommend.embedding import load_default_encoder
from recommend.encoders.static import StaticEncoder
from tests.helpers.paths import ROOT

CAR = "a car drives fast on the motorway"
CAR_PARAPHRASE = "an automobile speeds along the highway"
FRUIT = "the banana is ripe and yellow"


@pytest.fixture(scope="module")
def encoder():
    enc = load_default_encoder()
    assert enc is not None, f"the shipped model {embedding.DEFAULT_MODEL} should load"
    return enc


def test_default_encoder_is_the_shipped_static_table(encoder):
    assert isinstance(encoder, StaticEncoder)
    assert encoder.name == "minilm-l6-static-256"
    assert encoder.dim == 256
    assert embedding.DEFAULT_MODEL.stat().st_size < 30_000_000


def test_rows_are_unit_float32_of_the_encoder_width(encoder):
    vectors = encoder.encode([CAR, CAR_PARAPHRASE, FRUIT])
    assert vectors.shape == (3, encoder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_text_and_text_without_known_tokens_give_zero_rows(encoder):
    vectors = encoder.encode(["", "   ", "🙂", CAR])
    assert not vectors[:3].any()
    assert np.linalg.norm(vectors[3]) == pytest.approx(1.0, abs=1e-5)
    assert encoder.encode([]).shape == (0, encoder.dim)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(encoder):
    car, paraphrase, fruit = encoder.encode([CAR, CAR_PARAPHRASE, FRUIT])
    assert car @ paraphrase > car @ fruit + 0.1


def test_papers_on_one_topic_are_closer_than_papers_on_another(encoder):
    segmentation = "outlining organs and tumours in patient scans"
    papers = encoder.encode([
        "U-Net for liver lesion segmentation in abdominal CT images",
        "Reward shaping for deep reinforcement learning agents in Atari games",
    ])
    query = encoder.encode([segmentation])[0]
    assert query @ papers[0] > query @ papers[1]


def test_a_row_does_not_depend_on_its_batch(encoder):
    texts = [CAR, FRUIT * 40, CAR_PARAPHRASE, ""]
    together = encoder.encode(texts, batch_size=2)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    np.testing.assert_array_equal(together, alone)


def test_vectors_are_the_same_in_another_process(encoder):
    probe = ("import json, sys; from recommend.embedding import load_default_encoder; "
             f"print(json.dumps(load_default_encoder().encode([{CAR!r}])[0].tolist()))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    np.testing.assert_array_equal(np.array(json.loads(out), dtype=np.float32), encoder.encode([CAR])[0])


def test_missing_model_file_means_no_encoder(tmp_path, monkeypatch):
    monkeypatch.setattr(embedding, "DEFAULT_MODEL", tmp_path / "absent.npz")
    assert load_default_encoder() is None


@pytest.mark.parametrize("content", [b"", b"not a model", b"PK\x03\x04 broken zip"])
def test_unreadable_model_file_means_no_encoder_and_a_warning(tmp_path, monkeypatch, caplog, content):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(content)
    monkeypatch.setattr(embedding, "DEFAULT_MODEL", broken)
    assert load_default_encoder() is None
    assert "unreadable" in caplog.text


def test_an_npz_that_is_not_a_token_table_is_refused(tmp_path, monkeypatch):
    other = tmp_path / "other.npz"
    np.savez(other, format=np.array("something-else"), vectors=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="not a papersift-static-encoder"):
        StaticEncoder.load(other)
    monkeypatch.setattr(embedding, "DEFAULT_MODEL", other)
    assert load_default_encoder() is None


def test_a_saved_table_loads_back_identical(tmp_path):
    vocabulary = ["[PAD]", "[UNK]", "graph", "##s", "neural", "café"]
    vectors = np.random.default_rng(0).normal(size=(len(vocabulary), 4)).astype(np.float16)
    StaticEncoder("tiny", vectors, vocabulary).save(tmp_path / "tiny.npz")
    loaded = StaticEncoder.load(tmp_path / "tiny.npz")
    assert (loaded.name, loaded.dim, loaded.tokeniser.vocabulary) == ("tiny", 4, vocabulary)
    np.testing.assert_array_equal(loaded.vectors, vectors.astype(np.float32))


def test_a_text_is_the_normalised_sum_of_its_token_vectors():
    vocabulary = ["[UNK]", "graph", "##s", "neural"]
    vectors = np.array([[9, 9], [1, 0], [0, 1], [1, 1]], dtype=np.float32)
    enc = StaticEncoder("tiny", vectors, vocabulary)
    (row,) = enc.encode(["Graphs neural"])
    expected = np.array([2.0, 2.0]) / np.sqrt(8.0)
    np.testing.assert_allclose(row, expected, rtol=1e-6)


def test_vectors_and_vocabulary_must_match():
    with pytest.raises(ValueError, match="3 vectors for 2 tokens"):
        StaticEncoder("bad", np.zeros((3, 2), dtype=np.float32), ["[UNK]", "a"])


def test_abstracts_on_different_subjects_do_not_all_point_one_way(encoder):
    # raw sums of token vectors of any two abstracts have cosine ~0.9; the shipped table
    # takes the shared directions out so unrelated papers are far apart
    vectors = encoder.encode([
        "We propose a convolutional network for semantic segmentation of street scenes.",
        "A lattice-based signature scheme secure against quantum adversaries.",
        "Large language models answer questions about legal contracts.",
        "A sorting algorithm with optimal cache behaviour on external memory.",
    ])
    off_diagonal = (vectors @ vectors.T)[~np.eye(4, dtype=bool)]
    assert off_diagonal.max() < 0.5
