"""Encoded papers kept on disk between index versions: batches that survive kill -9.

Each finished batch of papers is one file `batch-<n>-<writer>.npz` (paper ids, the hash of
the text encoded, float16 vectors) written under a temporary name, flushed to disk and renamed,
so a run that dies loses at most the batch it was encoding and the next run starts where
it stopped. One folder per encoder: a different model never reuses another's vectors.
Later batches win over earlier ones (a paper whose text changed is encoded again), and
`compact` folds the batches into one file when they pile up. The random writer part of the
name means two processes writing the same folder (a lock that expired under a long run) never
replace each other's files, and `compact` only removes the files its own cache has read.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

BATCH_FILE = re.compile(r"^batch-(\d{8})(?:-[0-9a-f]{12})?\.npz$")   # older files: no writer part
COMPACT_AFTER = 64            # batch files before they are folded into one
_STALE_TMP_SECONDS = 3600


def text_hash(text: str) -> str:
    """What "the paper changed" means for its vector: a different encoded text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def encoder_dir(root: Path, encoder_name: str) -> Path:
    """The folder of one encoder's batches (its name made safe as a folder name)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder_name).strip("._") or "encoder"
    return root / slug


class EmbeddingCache:
    """Paper id -> (text hash, vector) for one encoder, loaded from its batch files."""

    def __init__(self, directory: Path, dim: int) -> None:
        self.directory, self.dim = directory, dim
        self.hashes: dict[str, str] = {}
        self.vectors: dict[str, np.ndarray] = {}
        self._next = 1
        self._files: list[Path] = []
        directory.mkdir(parents=True, exist_ok=True)
        self._remove_stale_tmp()
        for path in sorted(self._batch_files(), key=_write_order):
            self._read(path)

    def fresh(self, paper_id: str, digest: str) -> bool:
        """Whether the paper's vector was encoded from this very text."""
        return self.hashes.get(paper_id) == digest

    def add_batch(self, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray) -> Path:
        """Save one encoded batch durably, then remember it."""
        vectors = np.asarray(vectors, dtype=np.float16)
        if vectors.shape != (len(ids), self.dim) or len(hashes) != len(ids):
            raise ValueError(f"a batch of {len(ids)} papers needs {len(ids)} hashes and "
                             f"({len(ids)}, {self.dim}) vectors, got {vectors.shape}")
        path = self._write(ids, hashes, vectors)
        self._remember(ids, hashes, vectors)
        return path

    def matrix(self, ids: Sequence[str]) -> np.ndarray:
        """Vectors of `ids` in that order (float16); zero rows for papers not encoded."""
        out = np.zeros((len(ids), self.dim), dtype=np.float16)
        for i, pid in enumerate(ids):
            vec = self.vectors.get(str(pid))
            if vec is not None:
                out[i] = vec
        return out

    def compact(self, keep_ids: Sequence[str]) -> bool:
        """Fold the batches into one holding only `keep_ids` (when they number COMPACT_AFTER
        or more). The new file is written before the old ones go, so a kill loses nothing."""
        if len(self._files) < COMPACT_AFTER:
            return False
        ids = [str(p) for p in keep_ids if str(p) in self.vectors]
        old = list(self._files)
        self._write(ids, [self.hashes[p] for p in ids], self.matrix(ids))
        for path in old:
            path.unlink(missing_ok=True)
        self._files = self._files[-1:]
        return True

    def _write(self, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray) -> Path:
        # after any batch another writer saved meanwhile, so later files keep winning on load
        self._next = max([self._next] + [_counter(p) + 1 for p in self._batch_files()])
        path = self.directory / f"batch-{self._next:08d}-{uuid.uuid4().hex[:12]}.npz"
        tmp = self.directory / f".tmp-{path.name}"
        with open(tmp, "wb") as out:
            np.savez(out, ids=np.array(list(ids), dtype=str), hashes=np.array(list(hashes), dtype=str),
                     vectors=vectors)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        _fsync_dir(self.directory)
        self._next += 1
        self._files.append(path)
        return path

    def _read(self, path: Path) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                ids, hashes, vectors = data["ids"], data["hashes"], data["vectors"]
        except (OSError, ValueError, KeyError):   # unreadable: its papers are encoded again
            path.unlink(missing_ok=True)
            return
        self._next = max(self._next, _counter(path) + 1)
        self._files.append(path)
        if vectors.ndim == 2 and vectors.shape[1] == self.dim:
            self._remember([str(i) for i in ids], [str(h) for h in hashes], vectors)

    def _batch_files(self) -> list[Path]:
        return [p for p in self.directory.iterdir() if BATCH_FILE.match(p.name)]

    def _remember(self, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray) -> None:
        for pid, digest, vec in zip(ids, hashes, vectors, strict=True):
            self.hashes[pid] = digest
            self.vectors[pid] = vec

    def _remove_stale_tmp(self) -> None:
        cutoff = time.time() - _STALE_TMP_SECONDS
        for path in self.directory.glob(".tmp-*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except FileNotFoundError:
                pass


def _counter(path: Path) -> int:
    match = BATCH_FILE.match(path.name)
    return int(match.group(1)) if match else 0


def _write_order(path: Path) -> tuple[int, int]:
    """Oldest first: by counter, then (two writers with one counter) by when it was written."""
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = 0
    return _counter(path), mtime


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (the directory entry), where the OS allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
