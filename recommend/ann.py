"""Approximate nearest neighbours over an index version's vectors, for corpora too large for
an exact matrix product per query.

An inverted-file index (faiss IndexIVFFlat, inner product): k-means cuts the unit vectors
into about 2·sqrt(n) cells, each paper is filed under its nearest centre, and a query scans
only the papers of its `nprobe` nearest cells, exact products within them. It was chosen
over HNSW graphs (usearch, hnswlib) by measurement (docs/semantic.md): on two busy cores a
graph over 200k papers took over 14 minutes to build, the inverted file under four, with
recall@10 1.0 against the exact product. The build is deterministic: the training sample
and k-means start from `seed`, and faiss assigns and files papers in row order.

faiss is optional (`pip install papersift[ann]`): without it `ann_available()` is False,
`load_ann` answers None and callers take the exact product. The file `embeddings.ann` (and
its sidecar `embeddings.ann.json`, written after it) sits beside the version's vectors;
both are written under a temporary name and renamed, so a reader finds a whole one or none.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from domain.index_files import fsync_path

ANN_FILE = "embeddings.ann"
ANN_META = "embeddings.ann.json"
KIND = "faiss-ivf-flat-ip"
POINTS_PER_CELL = 39           # faiss's minimum of training points per k-means centre
TRAIN_PER_CELL = 40            # training sample: this many papers per cell (at most every paper)
KMEANS_ITERATIONS = 10         # faiss's default 25 costs 2.5x the build for no recall on the bench
log = logging.getLogger("papersift.ann")


def ann_available() -> bool:
    """Whether the ANN library (faiss) can be imported on this install."""
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def cells_for(n: int) -> int:
    """k-means cells for n papers: about 2·sqrt(n), with enough training points for each."""
    return max(1, min(int(2 * math.sqrt(max(n, 1))), n // POINTS_PER_CELL))


def probes_for(cells: int) -> int:
    """Cells a query scans: 1/128 of them, at least 16. bench/ann.py's clustered vectors,
    recall@10: 0.955 at 50k papers (16 of 447 cells), 1.000 at 1M with 8, 16, 31 or 125 of
    2,000 cells, where 16 probes answer in a third of the time 31 take."""
    return min(cells, max(16, cells // 128))


@dataclass(frozen=True, eq=False)
class AnnIndex:
    """A loaded ANN index: `search` gives (rows, cosines) best first, rows of the vectors."""

    index: Any                    # faiss.IndexIVFFlat
    meta: dict[str, Any]

    @property
    def probes(self) -> int:
        return int(self.meta["nprobe"])

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k rows nearest a unit `query` by inner product (cosine), best first; fewer when
        the scanned cells hold fewer papers."""
        import faiss

        k = max(1, min(int(k), int(self.index.ntotal)))
        params = faiss.SearchParametersIVF(nprobe=self.probes)
        scores, rows = self.index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k,
                                         params=params)
        kept = rows[0] >= 0
        return rows[0][kept].astype(np.int64), scores[0][kept].astype(np.float32)


def build_ann(version_dir: Path, vectors: np.ndarray, *, model: str, seed: int = 0) -> AnnIndex:
    """Build the ANN index over `vectors` (n x dim unit rows; zero rows are left out) and save
    it into `version_dir`. Raises ImportError without faiss."""
    import faiss

    dense = np.ascontiguousarray(vectors, dtype=np.float32)
    rows = np.flatnonzero(np.any(dense != 0, axis=1))
    n, dim = int(rows.size), int(dense.shape[1])
    cells = cells_for(n)
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, cells, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    index.cp.niter = KMEANS_ITERATIONS
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(rows, size=min(n, cells * TRAIN_PER_CELL), replace=False))
    index.train(dense[sample])
    for start in range(0, n, 100_000):           # bounded extra memory while filing
        chunk = rows[start:start + 100_000]
        index.add_with_ids(dense[chunk], chunk.astype(np.int64))
    meta = {"kind": KIND, "model": model, "n_docs": int(dense.shape[0]), "indexed": n, "dim": dim,
            "cells": cells, "nprobe": probes_for(cells), "seed": seed,
            "version": version_dir.name, "faiss": faiss.__version__}
    _save(version_dir, index, meta)
    return AnnIndex(index, meta)


def read_ann_meta(version_dir: Path) -> dict[str, Any] | None:
    """The sidecar of a version's ANN index (json only, no faiss), or None when it has none."""
    try:
        meta = json.loads((version_dir / ANN_META).read_text())
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None
    return meta if isinstance(meta, dict) else None


def load_ann(version_dir: Path, n_docs: int, model: str) -> AnnIndex | None:
    """The version's ANN index, or None when there is none, faiss is missing, or it was built
    over other vectors (another paper count or model)."""
    meta = read_ann_meta(version_dir)
    if meta is None or meta.get("n_docs") != n_docs or meta.get("model") != model:
        return None
    if meta.get("kind") != KIND or not ann_available():
        return None
    import faiss

    try:
        # mapped, not read: every worker of a server shares the file's pages (page cache)
        index = faiss.read_index(str(version_dir / ANN_FILE), faiss.IO_FLAG_MMAP)
    except (RuntimeError, OSError) as exc:       # faiss reports a bad file as RuntimeError
        log.warning("cannot read %s (%s); vector search stays exact", version_dir / ANN_FILE, exc)
        return None
    return AnnIndex(index, meta)


def _save(version_dir: Path, index: Any, meta: dict[str, Any]) -> None:
    """The index, then its sidecar, each under a name of this process and thread, renamed."""
    import faiss

    tag = f"{os.getpid()}.{threading.get_ident()}"
    tmp = version_dir / f".{ANN_FILE}.{tag}.tmp"
    tmp_meta = version_dir / f".{ANN_META}.{tag}.tmp"
    try:
        faiss.write_index(index, str(tmp))
        fsync_path(tmp)
        os.replace(tmp, version_dir / ANN_FILE)
        tmp_meta.write_text(json.dumps(meta, indent=2, sort_keys=True))
        fsync_path(tmp_meta)
        os.replace(tmp_meta, version_dir / ANN_META)
    finally:
        tmp.unlink(missing_ok=True)
        tmp_meta.unlink(missing_ok=True)

