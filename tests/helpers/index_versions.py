"""Index versions built for comparison, and the comparison itself."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from recommend.index import build_index, load_index


def built_version(root: Path, docs: Sequence, extra, **kw) -> Path:
    """Build a version of `docs` into `root` (fingerprint "fp") and give its folder."""
    build_index(root, docs, fingerprint="fp", extra=extra, **kw)
    index = load_index(root)
    assert index is not None
    return index.path


def assert_same_version(a: Path, b: Path, *, holding: Sequence[str] = ()) -> None:
    """Every part file of both versions byte for byte, and their meta.json but for the
    version name, times; `holding`: prefixes of part files each version must hold."""
    files = sorted(p.name for p in a.glob("*.npy"))
    assert files == sorted(p.name for p in b.glob("*.npy"))
    for prefix in holding:
        assert any(name.startswith(prefix) for name in files), prefix
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    meta_a, meta_b = (json.loads((p / "meta.json").read_text()) for p in (a, b))
    for key in ("version", "created", "build_seconds"):
        meta_a.pop(key), meta_b.pop(key)
    assert meta_a == meta_b
