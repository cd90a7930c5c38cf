"""Dense text embeddings: the interface every encoder meets.

An encoder turns texts into float32 rows of unit length (an empty text gives a zero
row), deterministically: the same text gives the same row in every process. Its `name`
is part of the index fingerprint, so a different model means new vectors.

`load_default_encoder()` returns the encoder papersift ships by default, or None when
its model file or optional dependencies are missing; callers then stay lexical and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """float32 array of shape (len(texts), dim); rows L2-normalised, zero for empty text."""
        ...


def load_default_encoder() -> Encoder | None:
    """The default encoder, or None when it is not available on this install."""
    return None
