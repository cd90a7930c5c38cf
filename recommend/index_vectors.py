"""Paper embeddings of an index version: a float16 matrix beside the version's other parts.

The vectors arrive after the version is published (encoding takes longer than the lexical
build), so they are not a `build_index` part: `write_vectors` saves `embeddings.npy` and
its sidecar `embeddings.json` into the version directory, each written under a temporary
name, flushed and renamed, so a reader finds either no vectors or complete ones. Row i is
paper `index.ids[i]`; a zero row is a paper without vectors (no text, or not encoded).
The sidecar names the encoder, so vectors of another model are never mixed with a query
encoded by this one. `load_vectors` maps the matrix read-only (mmap), as the other parts.

Scoring runs over a float32 copy (`embeddings.f32.npy`, dim x 4 bytes a paper on disk):
a matrix-vector product over float32 runs in BLAS, where float16 would be widened on every
query. The copy is a file mapped read-only, not a per-process array, so every worker of a
server shares one set of pages through the page cache instead of holding its own copy.
`write_vectors` writes it; `load_vectors` writes it (atomically) for versions that lack it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommend.mapped_pages import track

VECTORS = "embeddings.npy"
DENSE_VECTORS = "embeddings.f32.npy"
VECTORS_META = "embeddings.json"
DTYPE = np.float16
log = logging.getLogger("papersift.vectors")


@dataclass(frozen=True, eq=False)
class Vectors:
    """The embeddings of one index version: `matrix` rows align with the index's papers."""

    model: str
    matrix: np.ndarray            # (n_papers, dim) float16, memory-mapped
    covered: int                  # rows that hold a vector (non-zero)
    meta: dict[str, Any]
    dense: np.ndarray             # the same vectors as float32, memory-mapped, for scoring

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def __len__(self) -> int:
        return int(self.matrix.shape[0])


def write_vectors(version_dir: Path, model: str, matrix: np.ndarray, **extra: Any) -> Vectors:
    """Save `matrix` (n_papers x dim, any float dtype) as the version's embeddings of `model`."""
    if matrix.ndim != 2:
        raise ValueError(f"embeddings must be a 2-d matrix, got shape {matrix.shape}")
    values = np.asarray(matrix, dtype=DTYPE)
    covered = int(np.count_nonzero(np.any(values != 0, axis=1)))
    meta = {"model": model, "n_docs": int(values.shape[0]), "dim": int(values.shape[1]),
            "covered": covered, "dtype": str(values.dtype), "version": version_dir.name, **extra}
    _write_npy(version_dir / VECTORS, values)
    # the float32 copy is written before the sidecar, so a reader that finds the sidecar
    # finds a copy at least as new as the float16 matrix
    _write_npy(version_dir / DENSE_VECTORS, values.astype(np.float32))
    _write_json(version_dir / VECTORS_META, meta)
    return Vectors(model, values, covered, meta, _dense_of(version_dir, values))


def read_vectors_meta(version_dir: Path) -> dict[str, Any] | None:
    """The sidecar of a version's embeddings, or None when it has none (json only, no numpy)."""
    try:
        return json.loads((version_dir / VECTORS_META).read_text())
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None


def load_vectors(version_dir: Path, n_docs: int) -> Vectors | None:
    """The version's embeddings memory-mapped, or None when there are none or they do not
    match the index (a different paper count)."""
    meta = read_vectors_meta(version_dir)
    if meta is None:
        return None
    try:
        matrix = track(np.load(version_dir / VECTORS, mmap_mode="r", allow_pickle=False),
                       version_dir)
    except (FileNotFoundError, ValueError):
        return None
    if matrix.ndim != 2 or matrix.shape[0] != n_docs or matrix.shape[0] != meta.get("n_docs"):
        return None
    return Vectors(str(meta["model"]), matrix, int(meta.get("covered", 0)), meta,
                   _dense_of(version_dir, matrix))


def _dense_of(version_dir: Path, matrix: np.ndarray) -> np.ndarray:
    """The float32 copy of `matrix` mapped read-only, written first when it is missing or
    older than the float16 file (a version written before the copy existed)."""
    path = version_dir / DENSE_VECTORS
    try:
        if path.stat().st_mtime_ns >= (version_dir / VECTORS).stat().st_mtime_ns:
            dense = track(np.load(path, mmap_mode="r", allow_pickle=False), version_dir)
            if dense.shape == matrix.shape and dense.dtype == np.float32:
                return dense
    except (FileNotFoundError, ValueError):
        pass
    try:
        _write_npy(path, np.asarray(matrix, dtype=np.float32))
    except OSError as exc:    # a read-only or full disk: serve, at the cost of a private copy
        log.warning("cannot write %s (%s); this process keeps its own float32 copy", path, exc)
        return np.asarray(matrix, dtype=np.float32)
    return track(np.load(path, mmap_mode="r", allow_pickle=False), version_dir)


def _write_npy(path: Path, values: np.ndarray) -> None:
    """Save under a name of this process and thread, then rename: workers converting the
    same version at once each write whole files, and readers only ever see a whole one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as out:
            np.save(out, values, allow_pickle=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_json(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as out:
        out.write(json.dumps(value, indent=2, sort_keys=True))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
