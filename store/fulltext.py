"""Extracted full texts: stored zlib-compressed with their status and statistics."""

from __future__ import annotations

import zlib


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


def decompress(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")
