"""What the semantic layer costs on a synthetic 100k-paper index, beside the lexical baseline.

Measured in the same run, interleaved (the machine has 2 cores shared with other work):
- cold ranking: train the per-user SVM and score every paper, over TF-IDF alone (baseline)
  and over TF-IDF ⊕ 0.5·embedding (recommend/hybrid.py), library of 10 and 200 papers;
- similar papers for one paper: TF-IDF cosine (baseline) and the blend with embeddings;
- vector search: the top 100 papers by cosine to a query vector (the fusion's second list);
- memory per 100k papers: the float16 vectors on disk (mapped, shared by every process) and
  the float32 copy each serving process widens them to for per-query products.

The vectors are random unit rows (dim 256, as a static MiniLM-style model gives): cost does
not depend on what they mean. Quality is measured with the real encoder elsewhere.

    .venv/bin/python bench/hybrid_cost.py [--papers 100000] [--dim 256] [--queries 100]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.recommend_latency import synthetic_index  # noqa: E402
from recommend.hybrid import blended_similar, nearest_vectors, train_hybrid  # noqa: E402
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
        lexical, hybrid = [], []
        for _ in range(runs):
            lexical.append(timed(lambda p=positives: train_svm(index.matrix, p).scores(index.matrix)))
            hybrid.append(timed(lambda p=positives: train_hybrid(index.matrix, vectors, p)
                                .scores(index.matrix, vectors)))
        print(f"cold_ranking_lexical_lib{size}: {np.median(lexical):.2f} s")
        print(f"cold_ranking_hybrid_lib{size}: {np.median(hybrid):.2f} s")


def per_query(index, vectors, rng, queries: int) -> None:
    rows = rng.choice(len(index), queries, replace=False)
    lexical, blended, vector = [], [], []
    for row in rows:
        lexical.append(timed(lambda r=row: similar(index.matrix, int(r), k=10)))
        blended.append(timed(lambda r=row: blended_similar(index.matrix, vectors, int(r), k=10)))
        query = np.asarray(vectors[row], dtype=np.float32)
        vector.append(timed(lambda q=query: nearest_vectors(vectors, q, 100, min_score=0.3)))
    for name, values in (("similar_lexical", lexical), ("similar_blended", blended),
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
    stored = unit_rows(args.papers, args.dim)
    vectors = stored.astype(np.float32)          # what services use (Vectors.dense)
    print(f"synthetic index: {len(index):,} papers, {index.matrix.nnz:,} non-zeros, vectors "
          f"{stored.shape} float16, widened to float32")
    rng = np.random.default_rng(1)
    cold_rankings(index, vectors, rng)
    per_query(index, vectors, rng, args.queries)
    scale = 100_000 / args.papers
    print(f"vectors_disk_mb_per_100k: {stored.nbytes / 1e6 * scale:.1f} MB")
    print(f"vectors_ram_mb_per_100k_per_process: {(stored.nbytes + vectors.nbytes) / 1e6 * scale:.1f} MB")


if __name__ == "__main__":
    main()
