"""Dense text embeddings: the interface every encoder meets.

An encoder turns texts into float32 rows of unit length (an empty text gives a zero
row), deterministically: the same text gives the same row in every process. Its `name`
is part of the index fingerprint, so a different model means new vectors.

`load_default_encoder()` returns the encoder papersift ships by default, or None when
its model file or optional dependencies are missing; callers then stay lexical and say so.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

# all-MiniLM-L6-v2 distilled to a static token table (scripts/distill_static_encoder.py;
# docs/semantic.md has the measurements that made it the default)
log = logging.getLogger(__name__)
DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "minilm-static-256.npz"


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """float32 array of shape (len(texts), dim); rows L2-normalised, zero for empty text."""
        ...


def default_encoder_name() -> str | None:
    """The default encoder's name, read from its model file without loading the table (for
    status lines, which must stay quick); None when the model is missing or unreadable."""
    if not DEFAULT_MODEL.is_file():
        return None
    try:
        with np.load(DEFAULT_MODEL, allow_pickle=False) as data:
            return str(data["name"])
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def load_default_encoder() -> Encoder | None:
    """The default encoder, or None when it is not available on this install.

    The static encoder ships in the package (recommend/models/, 15 MB) and needs numpy only;
    it loads in a fraction of a second. None when its file is missing or is not a model table.
    """
    from recommend.encoders.static import StaticEncoder

    if not DEFAULT_MODEL.is_file():
        return None
    try:
        return StaticEncoder.load(DEFAULT_MODEL)
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("the default encoder's model %s is unreadable (%s); staying lexical", DEFAULT_MODEL, exc)
        return None
