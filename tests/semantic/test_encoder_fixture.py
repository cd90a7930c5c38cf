"""The test encoder meets the Encoder contract the semantic layer relies on."""

import numpy as np
import pytest

from recommend import encoder_choice
from recommend.encoder_choice import EncoderSpecError, encoder_from_spec
from tests.semantic.encoder import DIM, HashedWordEncoder


def test_rows_are_unit_float32_and_deterministic():
    enc = HashedWordEncoder()
    a = enc.encode(["Graph neural networks", "policy gradient for agents", ""])
    b = HashedWordEncoder().encode(["Graph neural networks", "policy gradient for agents", ""])
    assert a.dtype == np.float32 and a.shape == (3, DIM)
    np.testing.assert_allclose(np.linalg.norm(a[:2], axis=1), 1.0, rtol=1e-5)
    assert not a[2].any()                       # empty text: a zero row
    np.testing.assert_array_equal(a, b)


def test_a_paraphrase_of_synonyms_is_close_and_an_unrelated_text_is_not():
    enc = HashedWordEncoder()
    target, paraphrase, other = enc.encode([
        "A reinforcement learning agent maximises reward in a markov decision process",
        "robots improve through trial and error incentives",
        "language model for machine translation"])
    assert target @ paraphrase > 0.4
    assert abs(target @ other) < 0.3


def test_encoder_spec_none_empty_and_import_path(monkeypatch):
    assert encoder_from_spec("none") is None
    shipped = HashedWordEncoder(name="shipped")
    monkeypatch.setattr(encoder_choice, "load_default_encoder", lambda: shipped)
    assert encoder_from_spec("") is shipped        # empty: whatever papersift ships
    enc = encoder_from_spec("tests.semantic.encoder:make_encoder")
    assert enc.name == "test-hashed-words" and enc.dim == DIM


@pytest.mark.parametrize("spec", ["no_colon", "tests.semantic.encoder:missing", "nosuchmodule:f"])
def test_a_bad_encoder_spec_is_a_clear_error(spec):
    with pytest.raises(EncoderSpecError, match="PAPERSIFT_EMBEDDING_ENCODER"):
        encoder_from_spec(spec)


def test_a_factory_that_fails_is_a_clear_error_not_a_crash():
    with pytest.raises(EncoderSpecError, match="failed to load: OSError: no model at /nowhere"):
        encoder_from_spec("tests.semantic.encoder:failing_factory")


def test_the_default_name_is_read_without_loading_the_table(tmp_path, monkeypatch):
    from recommend import embedding

    assert encoder_choice.encoder_name_from_spec("") == embedding.load_default_encoder().name
    assert encoder_choice.encoder_name_from_spec("none") is None
    monkeypatch.setattr(embedding, "DEFAULT_MODEL", tmp_path / "missing.npz")
    assert encoder_choice.encoder_name_from_spec("") is None
    (tmp_path / "missing.npz").write_bytes(b"not a zip")
    assert encoder_choice.encoder_name_from_spec("") is None
