"""Which encoder papersift uses: the shipped default, none, or one named by import path.

PAPERSIFT_EMBEDDING_ENCODER is empty for the default (`load_default_encoder()`, which may
be None on an install without the model), `none` to stay lexical, or `module:factory`, a
callable returning an Encoder (a heavier model, or a test encoder).
"""

from __future__ import annotations

import importlib

from recommend.embedding import Encoder, default_encoder_name, load_default_encoder

NONE = "none"


class EncoderSpecError(ValueError):
    """The configured encoder cannot be loaded; the message says why."""


def encoder_name_from_spec(spec: str) -> str | None:
    """The name of the encoder `spec` names, loading it only when it is not the default."""
    spec = spec.strip()
    if not spec:
        return default_encoder_name()
    if spec.lower() == NONE:
        return None
    encoder = encoder_from_spec(spec)
    return None if encoder is None else encoder.name


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
    try:
        encoder = factory()
    except Exception as exc:  # noqa: BLE001 - any failure of operator code is a setting error
        raise EncoderSpecError(f"PAPERSIFT_EMBEDDING_ENCODER={spec!r} failed to load: "
                               f"{exc.__class__.__name__}: {exc}") from None
    for needed in ("name", "dim", "encode"):
        if not hasattr(encoder, needed):
            raise EncoderSpecError(f"PAPERSIFT_EMBEDDING_ENCODER={spec!r} gave an object without "
                                   f"{needed!r}; an encoder has name, dim and encode(texts)")
    return encoder
