"""A small deterministic encoder for the semantic-layer tests (no model download).

Each word maps to a fixed pseudo-random unit vector seeded by its hash; a text is the
normalised sum of its words' vectors. Words of one CONCEPTS group share a vector, so a
paraphrase built from synonyms lands near its target while sharing no word with it: the
property a real sentence encoder brings and TF-IDF cannot.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Sequence

import numpy as np

DIM = 128
STOP = {"a", "an", "and", "the", "of", "on", "in", "by", "with", "we", "to", "for", "how", "do",
        "does", "that", "is", "are", "from", "through", "new"}
CONCEPTS = {
    "rl": {"reinforcement", "agent", "agents", "policy", "reward", "markov", "decision", "robots",
           "trial", "error", "incentives", "machines", "act", "automata", "behave",
           "payoff"},
    "seg": {"segmentation", "masks", "pixel", "outlining", "regions", "picture"},
}
_CANON = {word: group for group, words in CONCEPTS.items() for word in words}
_WORD = re.compile(r"[a-z]+")


def word_vector(word: str, dim: int = DIM) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha1(_CANON.get(word, word).encode()).digest()[:8], "little")
    vec = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return vec / np.linalg.norm(vec)


class HashedWordEncoder:
    """Meets recommend.embedding.Encoder: name, dim, encode(texts) -> unit float32 rows."""

    def __init__(self, dim: int = DIM, delay: float = 0.0, name: str = "test-hashed-words") -> None:
        self.name, self.dim, self.delay = name, dim, delay
        self.calls: list[int] = []          # texts per encode() call, for the tests

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        self.calls.append(len(texts))
        if self.delay:
            time.sleep(self.delay)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = [w for w in _WORD.findall(text.lower()) if w not in STOP]
            if words:
                total = np.sum([word_vector(w, self.dim) for w in words], axis=0)
                out[i] = total / np.linalg.norm(total)
        return out


def make_encoder() -> HashedWordEncoder:
    """The factory PAPERSIFT_EMBEDDING_ENCODER=tests.semantic.encoder:make_encoder names."""
    return HashedWordEncoder()


def slow_encoder() -> HashedWordEncoder:
    """The same vectors, slowly (PAPERSIFT_TEST_ENCODE_DELAY seconds a batch): a process can
    be killed mid-run."""
    return HashedWordEncoder(delay=float(os.environ.get("PAPERSIFT_TEST_ENCODE_DELAY", "0.2")))


def failing_factory():
    """An operator's encoder whose model file is missing."""
    raise OSError("no model at /nowhere")
