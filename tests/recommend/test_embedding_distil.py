"""The teacher's numpy forward pass and the distillation steps, on a tiny made-up BERT."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from recommend.encoders.distil import (
    common_directions,
    reduce_dimensions,
    sif_weights,
    teacher_token_vectors,
    token_probabilities,
)
from recommend.encoders.minilm import Bert, MiniLMEncoder, read_safetensors
from recommend.encoders.wordpiece import WordPieceTokeniser

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "graph", "neural", "network", "##s", "the", "cat", "sat"]
HIDDEN, HEADS, INNER = 8, 2, 16


def tiny_bert_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """A one-layer BERT with random weights, named as in all-MiniLM-L6-v2's safetensors."""
    rng = np.random.default_rng(seed)

    def r(*shape: int) -> np.ndarray:
        return rng.normal(scale=0.3, size=shape).astype(np.float32)

    w = {"embeddings.word_embeddings.weight": r(len(VOCAB), HIDDEN),
         "embeddings.position_embeddings.weight": r(16, HIDDEN),
         "embeddings.token_type_embeddings.weight": r(2, HIDDEN),
         "embeddings.LayerNorm.weight": np.ones(HIDDEN, np.float32),
         "embeddings.LayerNorm.bias": np.zeros(HIDDEN, np.float32)}
    p = "encoder.layer.0."
    for name, (out, inp) in {"attention.self.query": (HIDDEN, HIDDEN), "attention.self.key": (HIDDEN, HIDDEN),
                             "attention.self.value": (HIDDEN, HIDDEN),
                             "attention.output.dense": (HIDDEN, HIDDEN),
                             "intermediate.dense": (INNER, HIDDEN), "output.dense": (HIDDEN, INNER)}.items():
        w[f"{p}{name}.weight"], w[f"{p}{name}.bias"] = r(out, inp), r(out)
    for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
        w[f"{p}{norm}.weight"], w[f"{p}{norm}.bias"] = np.ones(HIDDEN, np.float32), r(HIDDEN)
    return w


def write_safetensors(path, tensors: dict[str, np.ndarray]) -> None:
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


@pytest.fixture
def tiny_model(tmp_path):
    write_safetensors(tmp_path / "model.safetensors", tiny_bert_weights())
    vocab = {"model": {"vocab": {tok: i for i, tok in enumerate(VOCAB)}}}
    (tmp_path / "tokenizer.json").write_text(json.dumps(vocab))
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": HIDDEN, "num_attention_heads": HEADS}))
    return tmp_path


def test_safetensors_round_trip(tmp_path):
    weights = tiny_bert_weights()
    write_safetensors(tmp_path / "w.safetensors", weights)
    loaded = read_safetensors(tmp_path / "w.safetensors")
    assert loaded.keys() == weights.keys()
    for name, array in weights.items():
        np.testing.assert_array_equal(loaded[name], array)


def test_padding_does_not_change_a_sequence_s_vector():
    bert = Bert(tiny_bert_weights(), heads=HEADS)
    short, long = [2, 4, 5, 3], [2, 8, 9, 10, 4, 5, 6, 7, 3]
    together = bert.mean_pooled([short, long])
    np.testing.assert_allclose(together[0], bert.mean_pooled([short])[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(together[1], bert.mean_pooled([long])[0], rtol=1e-5, atol=1e-6)


def test_full_encoder_gives_unit_rows_and_zero_rows_for_empty_text(tiny_model):
    enc = MiniLMEncoder(tiny_model, fast_tokeniser=False)
    vectors = enc.encode(["Graph neural networks", "", "the cat sat", "graph neural networks"])
    assert vectors.shape == (4, HIDDEN)
    assert not vectors[1].any()
    np.testing.assert_allclose(np.linalg.norm(vectors[[0, 2, 3]], axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[3], atol=1e-6)   # case folded: the same tokens


def test_teacher_vectors_pool_each_token_between_cls_and_sep():
    seen = []

    def pooled(sequences):
        seen.extend(map(tuple, sequences))
        return np.array([[s[1], 1.0] for s in sequences], dtype=np.float32)

    vectors = teacher_token_vectors(pooled, 6, cls_id=2, sep_id=3, batch_size=2, skip=[0, 2, 3])
    assert vectors.shape == (6, 2)
    np.testing.assert_array_equal(vectors[:, 0], [0, 1, 0, 0, 4, 5])
    assert not vectors[[0, 2, 3]].any()
    assert {(2, t, 3) for t in (1, 4, 5)} <= set(seen)


def test_reduce_dimensions_keeps_the_main_directions_and_leaves_skipped_rows_zero():
    rng = np.random.default_rng(1)
    signal = rng.normal(size=(200, 1)) @ rng.normal(size=(1, 10))
    vectors = (signal + 0.01 * rng.normal(size=(200, 10))).astype(np.float32)
    keep = np.ones(200, dtype=bool)
    keep[:5] = False
    reduced = reduce_dimensions(vectors, 3, keep=keep)
    assert reduced.shape == (200, 3) and reduced.dtype == np.float32
    assert not reduced[:5].any()
    assert reduced[5:, 0].var() > 100 * reduced[5:, 1:].var()   # the one real direction comes first


def test_frequent_tokens_weigh_less_than_rare_ones():
    tok = WordPieceTokeniser(VOCAB)
    words = [("the", 0.05), ("networks", 0.001), ("graph", 0.0001)]
    p = token_probabilities(words, tok.tokenise, len(VOCAB))
    assert p.sum() == pytest.approx(1.0)
    assert (p > 0).all()
    ids = {t: VOCAB.index(t) for t in ("the", "network", "graph", "cat")}
    assert p[ids["the"]] > p[ids["network"]] > p[ids["graph"]] >= p[ids["cat"]]
    weights = sif_weights(p, a=1e-3)
    assert weights[ids["the"]] < weights[ids["network"]] < weights[ids["graph"]] <= weights[ids["cat"]] <= 1.0


def test_common_directions_are_the_mean_and_orthonormal_main_axes():
    rng = np.random.default_rng(2)
    shared = np.array([1.0, 0, 0, 0])
    rows = (shared + 0.1 * rng.normal(size=(300, 4)) + np.outer(rng.normal(size=300), [0, 1.0, 0, 0]))
    mean, common = common_directions(rows.astype(np.float32), 1)
    np.testing.assert_allclose(mean, rows.mean(axis=0), atol=1e-5)
    assert common.shape == (1, 4)
    assert abs(common[0] @ [0, 1.0, 0, 0]) > 0.99        # the axis along which the rows vary most
