"""The plain-Python WordPiece tokeniser gives the ids all-MiniLM-L6-v2's Rust tokeniser gives.

Expected tokens were produced with `tokenizers` (tokenizer.json of the model package,
add_special_tokens=False); over the 24,094 abstracts of the shared corpus the two differ
only where a text contains the literal string "[CLS]", which the Rust tokeniser reads as a
special token and papersift reads as text.
"""

from __future__ import annotations

import pytest

from recommend.embedding import load_default_encoder
from recommend.encoders.wordpiece import WordPieceTokeniser, normalise, split_words

CASES = [
    ("Graph Neural Networks for Molecule Generation",
     ["graph", "neural", "networks", "for", "molecule", "generation"]),
    ("Schrödinger's café: naïve résumé",
     ["sc", "##hr", "##od", "##inger", "'", "s", "cafe", ":", "naive", "resume"]),
    ("rotated by 90° (±5%) in ℝ³ → output",
     ["rotated", "by", "90", "##°", "(", "±", "##5", "%", ")", "in", "ℝ", "##³", "→", "output"]),
    ("x_1=f(y);", ["x", "_", "1", "=", "f", "(", "y", ")", ";"]),
    ("unbelievabilityxyzzyquux",
     ["un", "##bel", "##ie", "##va", "##bility", "##xy", "##zzy", "##qu", "##ux"]),
    ("中文 text", ["中", "文", "text"]),
    ("emoji 🙂 here", ["em", "##oj", "##i", "[UNK]", "here"]),
    ("a" * 101, ["[UNK]"]),
]


@pytest.fixture(scope="module")
def tokeniser() -> WordPieceTokeniser:
    return load_default_encoder().tokeniser


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:20] for c in CASES])
def test_tokens_match_the_reference_tokeniser(tokeniser, text, expected):
    assert tokeniser.tokens(text) == expected


def test_repeated_words_come_from_the_cache_unchanged(tokeniser):
    text = "transformers transformers transformers"
    assert tokeniser.tokenise(text) == tokeniser.tokenise(text)
    assert len(tokeniser.tokenise(text)) == 3 * len(tokeniser.tokenise("transformers"))


def test_normalise_drops_control_characters_and_folds_case_and_accents():
    assert normalise("Ünïcode\x00\u200bA\tB") == "unicodea b"


def test_split_words_keeps_symbols_and_splits_punctuation():
    assert split_words("a-b  c.d 90° $x") == ["a", "-", "b", "c", ".", "d", "90°", "$", "x"]


def test_a_word_that_cannot_be_spelled_is_one_unknown():
    tok = WordPieceTokeniser(["[UNK]", "ab", "##c"])
    assert tok.tokens("abc abd") == ["ab", "##c", "[UNK]"]
