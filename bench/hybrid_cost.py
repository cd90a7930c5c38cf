"""What the semantic layer costs on a synthetic 100k-paper index, beside the lexical baseline.

Measured in the same run, interleaved (the machine has 2 cores shared with other work):
- cold ranking: train the per-user SVM and score every paper, over TF-IDF alone (baseline)
  and over TF-IDF ⊕ 0.5·embedding (recommend/hybrid.py), and the fused model as served
  (recommend/fusion.py, with and without vectors), library of 10 and 200 papers;
- similar papers for one paper: TF-IDF cosine (baseline) and the blend with embeddings;
- vector search: the top 100 papers by cosine to a query vector (the fusion's second list);
- vector search over the float32 file mapped read-only (what services use: `Vectors.dense`)
  beside a float32 copy private to the process (what they used before), interleaved;
- memory per 100k papers: the float16 and float32 files on disk (mapped, shared by every
  process through the page cache), and the anonymous (private, unshareable) memory one
  serving process grows by when it scores over the map, and over a private copy.

The vectors are random unit rows (dim 256, as a static MiniLM-style model gives): cost does
not depend on what they mean. Quality is measured with the real encoder elsewhere.

    .venv/bin/python bench/hybrid_cost.py [--papers 100000] [--dim 256] [--queries 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.recommend_latency import synthetic_index  # noqa: E402
from recommend.fusion import train_fused  # noqa: E402
from recommend.hybrid import blended_similar, nearest_vectors, train_hybrid  # noqa: E402
from recommend.index_vectors import load_vectors, write_vectors  # noqa: E402
from recommend.similar import similar  # noqa: E402
from recommend.svm import train_svm  # noqa: E402


def unit_rows(n: int, dim: int, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float16)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cold_rankings(index, vectors, rng, runs: int = 3) -> None:
    for size in (10, 200):
        positives = rng.choice(len(index), size, replace=False)
        lexical, hybrid, fused, fused_lexical = [], [], [], []
        for _ in range(runs):
            lexical.append(timed(lambda p=positives: train_svm(index.matrix, p).scores(index.matrix)))
            hybrid.append(timed(lambda p=positives: train_hybrid(index.matrix, vectors, p)
                                .scores(index.matrix, vectors)))
            fused.append(timed(lambda p=positives: train_fused(index.matrix, vectors, p)
                               .scores(index.matrix, vectors)))
            fused_lexical.append(timed(lambda p=positives: train_fused(index.matrix, None, p)
                                       .scores(index.matrix)))
        print(f"cold_ranking_lexical_lib{size}: {np.median(lexical):.2f} s")
        print(f"cold_ranking_hybrid_lib{size}: {np.median(hybrid):.2f} s")
        print(f"cold_ranking_fused_lib{size}: {np.median(fused):.2f} s (served; hybrid SVM + "
              "centroids + feedback)")
        print(f"cold_ranking_fused_lexical_lib{size}: {np.median(fused_lexical):.2f} s "
              "(served without vectors)")


def anonymous_mb() -> float:
    """This process's anonymous memory (private: no other process can share it), in MB."""
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1]) / 1e3
    return float("nan")


def per_query(index, vectors, private, rng, queries: int) -> None:
    rows = rng.choice(len(index), queries, replace=False)
    lexical, blended, vector, vector_private = [], [], [], []
    for row in rows:
        lexical.append(timed(lambda r=row: similar(index.matrix, int(r), k=10)))
        blended.append(timed(lambda r=row: blended_similar(index.matrix, vectors, int(r), k=10)))
        query = np.asarray(vectors[row], dtype=np.float32)
        vector_private.append(timed(lambda q=query: nearest_vectors(private, q, 100, min_score=0.3)))
        vector.append(timed(lambda q=query: nearest_vectors(vectors, q, 100, min_score=0.3)))
    for name, values in (("similar_lexical", lexical), ("similar_blended", blended),
                         ("vector_search_top100_private_copy", vector_private),
                         ("vector_search_top100", vector)):
        print(f"{name}_p50: {np.percentile(values, 50) * 1e3:.1f} ms")
        print(f"{name}_p95: {np.percentile(values, 95) * 1e3:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--queries", type=int, default=100)
    args = ap.parse_args()
    index = synthetic_index(args.papers)
    with tempfile.TemporaryDirectory() as version_dir:
        write_vectors(Path(version_dir), "bench", unit_rows(args.papers, args.dim))
        before = anonymous_mb()
        loaded = load_vectors(Path(version_dir), args.papers)
        vectors = loaded.dense                   # what services use: the mapped float32 file
        nearest_vectors(vectors, np.asarray(vectors[0]), 100)     # every page touched
        mapped_growth = anonymous_mb() - before
        before = anonymous_mb()
        private = np.array(loaded.matrix, dtype=np.float32)       # the old per-process copy
        private_growth = anonymous_mb() - before
        print(f"synthetic index: {len(index):,} papers, {index.matrix.nnz:,} non-zeros, vectors "
              f"{loaded.matrix.shape} float16 + float32, mapped")
        rng = np.random.default_rng(1)
        cold_rankings(index, vectors, rng)
        per_query(index, vectors, private, rng, args.queries)
        scale = 100_000 / args.papers
        disk = (loaded.matrix.nbytes + loaded.dense.nbytes) / 1e6 * scale
        print(f"vectors_disk_mb_per_100k: {disk:.1f} MB (float16 + float32 files)")
        print(f"private_ram_mb_per_100k_per_process_mapped: {mapped_growth * scale:.1f} MB")
        print(f"private_ram_mb_per_100k_per_process_private_copy: {private_growth * scale:.1f} MB")


if __name__ == "__main__":
    main()
