"""Which encoder papersift uses: the shipped default, none, or one named by import path.

PAPERSIFT_EMBEDDING_ENCODER is empty for the default (`load_default_encoder()`, which may
be None on an install without the model), `none` to stay lexical, or `module:factory`, a
callable returning an Encoder (a heavier model, or a test encoder).
"""

from __future__ import annotations

import importlib

from recommend.embedding import Encoder, load_default_encoder

NONE = "none"


class EncoderSpecError(ValueError):
    """The configured encoder cannot be loaded; the message says why."""


def encoder_from_spec(spec: str) -> Encoder | None:
    """The encoder `spec` names (see the module docstring), or None for none available."""
    spec = spec.strip()
    if not spec:
        return load_default_encoder()
    if spec.lower() == NONE:
        return None
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise EncoderSpecError(f"PAPERSIFT_EMBEDDING_ENCODER={spec!r}: use module:factory, "
                               "'none', or leave it empty for the default")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise EncoderSpecError(f"PAPERSIFT_EMBEDDING_ENCODER={spec!r} cannot be loaded: {exc}") from None
    encoder = factory()
    for needed in ("name", "dim", "encode"):
        if not hasattr(encoder, needed):
            raise EncoderSpecError(f"PAPERSIFT_EMBEDDING_ENCODER={spec!r} gave an object without "
                                   f"{needed!r}; an encoder has name, dim and encode(texts)")
    return encoder
