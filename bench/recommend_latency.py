"""Recommendation latency on a synthetic 100k-paper index: cold, warm, and per-request.

cold  = train the SVM as served (sampled negatives) + score every paper + one page with reasons
warm  = the cached ranking: filter, top 50, reasons (what a repeat page view costs)
lite  = arxiv-sanity-lite's way: a LinearSVC on every paper, trained on every request
        (class_weight="balanced", C=0.01, tol=1e-6, max_iter=10000, as in its serve.py)

The matrix mimics the real index: L2-normalised TF-IDF-like rows, ~120 terms each, terms
drawn from a Zipf-like distribution over a 100k vocabulary. Libraries of 10 and 200 papers.
The machine has 2 cores shared with other work, so figures vary by a few tens of percent.

    .venv/bin/python bench/recommend_latency.py [--papers 100000] [--warm 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import config  # noqa: E402
from recommend.index import Index  # noqa: E402
from services.recommendations import RecoQuery, TrainingSets, local_ranking_cache, rank_page  # noqa: E402


def synthetic_index(n: int, d: int = 100_000, nnz: int = 120, seed: int = 0) -> Index:
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, d + 1) ** 1.05
    p /= p.sum()
    cols = rng.choice(d, size=n * nnz, p=p)
    rows = np.repeat(np.arange(n), nnz)
    m = sparse.csr_matrix((rng.random(n * nnz).astype(np.float32), (rows, cols)), shape=(n, d))
    m.sum_duplicates()
    m = normalize(m).astype(np.float32)
    days = np.datetime64("2024-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]")
    return Index(version="synthetic", path=Path("."), meta={}, ids=np.array([f"p{i}" for i in range(n)]),
                 published=days, primary_category=np.array(["cs.LG"] * n),
                 categories=np.array(["cs.LG"] * n), matrix=m,
                 vocabulary=np.array([f"t{j}" for j in range(d)]), idf=np.ones(d, np.float32),
                 df=np.ones(d, np.int64))


def lite(index: Index, positives: np.ndarray) -> None:
    y = np.zeros(len(index), dtype=np.int8)
    y[positives] = 1
    clf = LinearSVC(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01)
    clf.fit(index.matrix, y)
    s = clf.decision_function(index.matrix)
    np.argsort(-s)[:50]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--warm", type=int, default=200)
    ap.add_argument("--lite-runs", type=int, default=2)
    args = ap.parse_args()
    t = time.perf_counter()
    index = synthetic_index(args.papers)
    print(f"synthetic index: {len(index):,} papers, {index.matrix.nnz:,} non-zeros "
          f"({time.perf_counter() - t:.0f} s to make)")
    settings = config.load_settings({})
    rng = np.random.default_rng(1)
    figures = {}
    for size in (10, 200):
        positives = rng.choice(len(index), size, replace=False)
        sets = TrainingSets(tuple(f"p{i}" for i in positives), (), frozenset(f"p{i}" for i in positives))
        query = RecoQuery(k=50)
        cold = []
        for _ in range(3):
            cache = local_ranking_cache()
            t = time.perf_counter()
            rank_page(index, sets, query, settings, cache)
            cold.append(time.perf_counter() - t)
        warm = []
        for _ in range(args.warm):
            t = time.perf_counter()
            rank_page(index, sets, query, settings, cache)
            warm.append(time.perf_counter() - t)
        lite_s = []
        for _ in range(args.lite_runs):
            t = time.perf_counter()
            lite(index, positives)
            lite_s.append(time.perf_counter() - t)
        figures[size] = (np.median(cold), np.percentile(warm, 50), np.percentile(warm, 95), np.median(lite_s))
        print(f"library {size}: cold {cold} warm p50 {figures[size][1] * 1e3:.1f} ms "
              f"p95 {figures[size][2] * 1e3:.1f} ms, per-request lite {lite_s}")
    print()
    for size, (cold, p50, p95, lite_s) in figures.items():
        print(f"recommend_cold_lib{size}: {cold:.2f} s")
        print(f"recommend_warm_p50_lib{size}: {p50 * 1e3:.1f} ms")
        print(f"recommend_warm_p95_lib{size}: {p95 * 1e3:.1f} ms")
        print(f"per_request_full_svm_lib{size}: {lite_s:.2f} s")

if __name__ == "__main__":
    main()
