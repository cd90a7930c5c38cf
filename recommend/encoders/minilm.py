"""all-MiniLM-L6-v2 as a numpy forward pass: six BERT layers, mean pooling, unit rows.

No PyTorch: the weights are read straight from the model's safetensors file (a JSON
header and raw little-endian arrays, opened with mmap). This is the heavy encoder of the
optional `papersift[semantic-large]` extra and the teacher scripts/distill_static_encoder.py
distils the default static encoder from. Texts are tokenised with the `tokenizers`
package when it is installed (the extra), else with the plain-Python WordPiece tokeniser,
which gives the same ids (tests/recommend/test_embedding_tokeniser.py).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import erf

from recommend.encoders.wordpiece import WordPieceTokeniser

MAX_TOKENS = 256            # sentence-transformers' max_seq_length for this model
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
_CLS, _SEP = "[CLS]", "[SEP]"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor in a .safetensors file, as read-only arrays over one mmap."""
    with path.open("rb") as fh:
        (header_len,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(header_len))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        tensors[name] = raw[start:end].view(_DTYPES[spec["dtype"]]).reshape(spec["shape"])
    return tensors


def vocabulary_from_tokenizer_json(path: Path) -> list[str]:
    """The WordPiece vocabulary of a Hugging Face tokenizer.json, in id order."""
    vocab = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    return [token for token, _ in sorted(vocab.items(), key=lambda kv: kv[1])]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * weight + bias


def _is_projection(name: str) -> bool:
    return name.endswith(("query.weight", "key.weight", "value.weight"))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x * np.float32(1 / np.sqrt(2.0))))


@dataclass
class Bert:
    """The BERT encoder stack over a dict of weights named as in the safetensors file."""

    weights: dict[str, np.ndarray]
    heads: int = 12

    def __post_init__(self) -> None:
        # own float32 copies, dense layers stored transposed: numpy hands a 2-D product of
        # contiguous arrays to BLAS, while products over mmap'ed views ran ~100x slower here
        self.weights = {name: np.ascontiguousarray(w.T if name.endswith("dense.weight") or
                                                   _is_projection(name) else w, dtype=np.float32)
                        for name, w in self.weights.items() if name != "embeddings.position_ids"}

    def _w(self, name: str) -> np.ndarray:
        return self.weights[name]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        flat = x.reshape(-1, x.shape[-1]) @ self.weights[name + ".weight"] + self.weights[name + ".bias"]
        return flat.reshape(*x.shape[:-1], flat.shape[-1])

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(batch, tokens, 384) last-layer states for padded `ids` with attention `mask`."""
        e = "embeddings."
        x = (self._w(e + "word_embeddings.weight")[ids] + self._w(e + "position_embeddings.weight")[
            : ids.shape[1]] + self._w(e + "token_type_embeddings.weight")[0])
        x = _layer_norm(x, self._w(e + "LayerNorm.weight"), self._w(e + "LayerNorm.bias"))
        blocked = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        layer = 0
        while f"encoder.layer.{layer}.attention.self.query.weight" in self.weights:
            x = self._layer(x, blocked, f"encoder.layer.{layer}.")
            layer += 1
        return x

    def _layer(self, x: np.ndarray, blocked: np.ndarray, p: str) -> np.ndarray:
        b, n, d = x.shape
        h = self.heads

        def split(t: np.ndarray) -> np.ndarray:
            # contiguous per-head blocks: stacked products over strided views skip BLAS
            return np.ascontiguousarray(t.reshape(b, n, h, d // h).transpose(0, 2, 1, 3))

        q, k, v = (split(self._dense(x, f"{p}attention.self.{m}")) for m in ("query", "key", "value"))
        scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2))
        scores *= np.float32(1 / np.sqrt(d // h))
        scores += blocked
        scores -= scores.max(-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(b, n, d)
        x = _layer_norm(x + self._dense(context, f"{p}attention.output.dense"),
                        self._w(f"{p}attention.output.LayerNorm.weight"),
                        self._w(f"{p}attention.output.LayerNorm.bias"))
        inner = _gelu(self._dense(x, f"{p}intermediate.dense"))
        return _layer_norm(x + self._dense(inner, f"{p}output.dense"),
                           self._w(f"{p}output.LayerNorm.weight"), self._w(f"{p}output.LayerNorm.bias"))

    def mean_pooled(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean of the last-layer states over each sequence's tokens (one padded batch)."""
        width = max(len(s) for s in sequences)
        ids = np.zeros((len(sequences), width), dtype=np.int64)
        mask = np.zeros((len(sequences), width), dtype=np.float32)
        for row, seq in enumerate(sequences):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        states = self.hidden_states(ids, mask)
        return (states * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)


class MiniLMEncoder:
    """The full all-MiniLM-L6-v2: slow (a handful of abstracts a second on two busy cores).

    `model_dir` holds model.safetensors, tokenizer.json and config.json (width and heads).
    fast_tokeniser=False uses the plain-Python tokeniser even when `tokenizers` is installed.
    """

    def __init__(self, model_dir: Path, *, fast_tokeniser: bool = True) -> None:
        model_dir = Path(model_dir)
        vocabulary = vocabulary_from_tokenizer_json(model_dir / "tokenizer.json")
        shape = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.name = "all-MiniLM-L6-v2"
        self.dim = int(shape["hidden_size"])
        self.bert = Bert(read_safetensors(model_dir / "model.safetensors"),
                         heads=int(shape["num_attention_heads"]))
        fast = _fast_tokeniser(model_dir / "tokenizer.json") if fast_tokeniser else None
        self._tokenise = fast or WordPieceTokeniser(vocabulary).tokenise
        self._cls, self._sep = vocabulary.index(_CLS), vocabulary.index(_SEP)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit rows, zero for empty text; texts are cut to MAX_TOKENS tokens as in training."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        seqs = {i: [self._cls, *ids[: MAX_TOKENS - 2], self._sep]
                for i, ids in ((i, self._tokenise(t)) for i, t in enumerate(texts)) if ids}
        # batches of similar length waste little on padding
        order = sorted(seqs, key=lambda i: len(seqs[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start: start + batch_size]
            out[rows] = self.bert.mean_pooled([seqs[i] for i in rows])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=out, where=norms > 0)


def _fast_tokeniser(path: Path):
    """The Rust tokeniser's encode as ids without special tokens, or None without the extra."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        return None
    tok = Tokenizer.from_file(str(path))
    tok.no_truncation()
    tok.no_padding()
    return lambda text: tok.encode(text, add_special_tokens=False).ids
