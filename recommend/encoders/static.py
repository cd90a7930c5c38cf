"""The default encoder: a table of token vectors, pooled and normalised (numpy only).

A model2vec-style static embedding: every WordPiece token of all-MiniLM-L6-v2's vocabulary
has one vector (the teacher's output for that token alone, reduced by PCA and weighted down
for frequent tokens; scripts/distill_static_encoder.py makes the table). A text is the sum
of its tokens' vectors scaled to unit length, so encoding is a tokeniser pass and one sparse
matrix product: thousands of abstracts a second, no model server, no GPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from recommend.encoders.wordpiece import WordPieceTokeniser

FORMAT = "papersift-static-encoder/1"


class StaticEncoder:
    """name, dim and encode() as recommend.embedding.Encoder asks."""

    def __init__(self, name: str, vectors: np.ndarray, vocabulary: Sequence[str], *,
                 mean: np.ndarray | None = None, common: np.ndarray | None = None) -> None:
        if vectors.ndim != 2 or vectors.shape[0] != len(vocabulary):
            raise ValueError(f"{vectors.shape[0]} vectors for {len(vocabulary)} tokens")
        self.name = name
        self.dim = int(vectors.shape[1])
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.tokeniser = WordPieceTokeniser(vocabulary)
        # Summed token vectors of any two abstracts point almost the same way (the mean of
        # unit rows has length ~0.9); subtracting the mean text and the top shared directions
        # (fitted once on a reference corpus, see distil.common_directions) spreads them out.
        self.mean = np.zeros(self.dim, np.float32) if mean is None else np.asarray(mean, np.float32)
        self.common = (np.zeros((0, self.dim), np.float32) if common is None
                       else np.asarray(common, np.float32))

    @classmethod
    def load(cls, path: Path) -> StaticEncoder:
        """Read a table written by `save` (ValueError when it is not one)."""
        # numpy leaves the file open when a zip is broken; this `with` always closes it
        with Path(path).open("rb") as fh:
            data = np.load(fh, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile) or data.get("format") is None or \
                    str(data["format"]) != FORMAT:
                raise ValueError(f"{path}: not a {FORMAT} file")
            vocabulary = bytes(data["vocabulary"]).decode("utf-8").split("\n")
            return cls(str(data["name"]), data["vectors"], vocabulary, mean=data.get("mean"),
                       common=data.get("common"))

    def save(self, path: Path) -> None:
        """Write the table as float16 vectors and a newline-separated vocabulary (.npz)."""
        vocabulary = np.frombuffer("\n".join(self.tokeniser.vocabulary).encode("utf-8"), dtype=np.uint8)
        with Path(path).open("wb") as fh:
            np.savez(fh, format=np.array(FORMAT), name=np.array(self.name),
                     vectors=self.vectors.astype(np.float16), vocabulary=vocabulary,
                     mean=self.mean, common=self.common)

    def token_counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """(texts x vocabulary) counts of each text's word pieces."""
        indptr, indices = [0], []
        for text in texts:
            indices.extend(self.tokeniser.tokenise(text) if text else ())
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        counts = sparse.csr_matrix((data, np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
                                   shape=(len(texts), len(self.tokeniser.vocabulary)))
        counts.sum_duplicates()
        return counts

    def pooled(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Unit sums of token vectors, before the shared directions are taken out."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            counts = self.token_counts(texts[start: start + batch_size])
            out[start: start + batch_size] = counts @ self.vectors
        return _unit(out)

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """float32 (len(texts), dim), unit rows; zero rows for texts with no known token."""
        out = self.pooled(texts, batch_size)
        known = out.any(axis=1)
        out[known] -= self.mean
        # broadcast products, not BLAS: a BLAS product's rounding depends on the batch size,
        # and a text must get the same bytes alone or in any batch
        along = (out[known, None, :] * self.common[None]).sum(axis=2)
        out[known] -= (along[:, :, None] * self.common[None]).sum(axis=1)
        return _unit(out)


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norms, out=rows, where=norms > 0)
