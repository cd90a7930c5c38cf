"""Recommendation ranking methods on held-out topic libraries, each beside the same-run baseline.

Protocol (issue 18's, as bench/recommend_quality.py and bench/semantic_quality.py run it):
the candidates are every paper of --corpus plus every labelled paper of --topics (each id
once); a library is 5 papers drawn (seeded per topic and draw) from one topic with 15 or more
papers; every other paper is ranked; precision@10 and recall@100 of the topic's other papers
(hits among them / how many there are), averaged over topics and --reps draws. Papers of other
topics and unlabelled corpus papers count as misses. With more than 100 other papers a topic's
recall@100 cannot reach 1, so the bench also prints the ceiling that implies.

Methods, scored on the same libraries in one interleaved loop:
- tfidf_svm: the lexical SVM as served before (C PAPERSIFT_SVM_C, sampled negatives);
- hybrid_svm: one SVM over TF-IDF ⊕ 0.5·embedding (the served ranking before fusion);
- embedding_centroid: cosine to the library's mean embedding alone;
- fused: recommend.fusion.train_fused as served (the hybrid SVM, TF-IDF and embedding
  centroids z-scored and added, 20 papers of pseudo-relevance feedback);
- fused_no_feedback, fused_lexical (no vectors: the fallback);
- with --lsa: fused_plus_lsa_centroid, the fused score plus a z-scored LSA centroid
  (TruncatedSVD 256 over the TF-IDF features, fitted in the bench);
- oracle_svm_whole_topic: an SVM trained on all the topic's papers, scored on them: not a
  method (it has seen the answers), a ceiling for what these features can separate.

    .venv/bin/python bench/recommend_fusion.py [--corpus PATH] [--topics PATH] [--reps 2] [--lsa]

The defaults are the repository's files (the 4,001-paper sample and the topic collections in
tests/data); docs/semantic.md gives the figures on the 24k-paper shared corpus.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import search_quality as sq  # noqa: E402

import config  # noqa: E402
from recommend.embedding import load_default_encoder  # noqa: E402
from recommend.features import fit_features  # noqa: E402
from recommend.fusion import train_fused  # noqa: E402
from recommend.hybrid import train_hybrid  # noqa: E402
from recommend.svm import train_svm  # noqa: E402

SEEDS = 5
MIN_TOPIC = SEEDS + 10


def metrics(scores: np.ndarray, library: np.ndarray, relevant: np.ndarray) -> tuple[float, float]:
    scores = scores.astype(np.float64, copy=True)
    scores[library] = -np.inf
    top = np.argpartition(-scores, 100)[:100]
    top = top[np.argsort(-scores[top], kind="stable")]
    hits = np.isin(top, relevant)
    return float(hits[:10].mean()), float(hits.sum() / len(relevant))


def zscore(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return (x - x.mean()) / (x.std() or 1.0)


def centroid_scores(vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    mean = vectors[rows].mean(axis=0)
    return vectors @ (mean / (np.linalg.norm(mean) or 1.0))


def methods(matrix, emb, lsa, settings) -> dict:
    c, w, hc = settings.svm_c, settings.svm_positive_weight, settings.hybrid_svm_c
    alpha, fb = settings.hybrid_alpha, settings.recommend_feedback

    def fused(lib, vectors=emb, feedback=fb):
        return train_fused(matrix, vectors, lib, alpha=alpha, C=hc if vectors is not None else c,
                           positive_weight=w, feedback=feedback).scores(matrix, vectors)

    runs = {
        "tfidf_svm": lambda lib: train_svm(matrix, lib, C=c, positive_weight=w).scores(matrix),
        "hybrid_svm": lambda lib: train_hybrid(matrix, emb, lib, alpha=alpha, C=hc,
                                               positive_weight=w).scores(matrix, emb),
        "embedding_centroid": lambda lib: centroid_scores(emb, lib),
        "fused": fused,
        "fused_no_feedback": lambda lib: fused(lib, feedback=0),
        "fused_lexical": lambda lib: fused(lib, vectors=None),
    }
    if lsa is not None:
        runs["fused_plus_lsa_centroid"] = lambda lib: zscore(fused(lib)) + zscore(centroid_scores(lsa, lib))
    return runs


def evaluate(matrix, topics: dict[str, np.ndarray], runs: dict, reps: int, settings) -> dict:
    out: dict = defaultdict(list)
    seconds: dict = defaultdict(float)
    for topic, rows in sorted(topics.items()):
        if len(rows) < MIN_TOPIC:
            continue
        whole = train_svm(matrix, rows, C=settings.svm_c, positive_weight=settings.svm_positive_weight)
        whole_scores = whole.scores(matrix)
        for rep in range(reps):
            rng = np.random.default_rng(zlib.crc32(f"{topic}/{SEEDS}/{rep}".encode()))
            library = rng.choice(rows, size=SEEDS, replace=False)
            relevant = np.setdiff1d(rows, library)
            out["recall_ceiling"].append((1.0, min(1.0, 100 / len(relevant))))
            out["oracle_svm_whole_topic"].append(metrics(whole_scores, library, relevant))
            for name, run in runs.items():
                t = time.perf_counter()
                out[name].append(metrics(run(library), library, relevant))
                seconds[name] += time.perf_counter() - t
    return {"table": {k: np.mean(v, axis=0) for k, v in out.items()},
            "n": len(out["recall_ceiling"]), "seconds": dict(seconds)}


def lsa_vectors(matrix) -> np.ndarray:
    from sklearn.decomposition import TruncatedSVD

    x = TruncatedSVD(256, random_state=0).fit_transform(matrix).astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=sq.CORPUS)
    ap.add_argument("--topics", type=Path, default=sq.TOPICS)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--lsa", action="store_true", help="also fuse an LSA centroid (fitted here)")
    args = ap.parse_args()
    started = time.perf_counter()
    settings = config.load_settings({})
    docs, members = sq.load(args.corpus, args.topics)
    row = {d.id: i for i, d in enumerate(docs)}
    topics = {t: np.array(sorted(row[p] for p in ids)) for t, ids in members.items()}
    texts = [d.text for d in docs]
    matrix = fit_features(texts, max_features=100_000, min_df=2, max_df=0.5, sample_docs=20_000,
                          n_jobs=1).matrix
    encoder = load_default_encoder()
    if encoder is None:
        sys.exit("the default encoder's model file is missing")
    emb = encoder.encode(texts)
    lsa = lsa_vectors(matrix) if args.lsa else None
    print(f"{len(docs):,} papers, {matrix.shape[1]:,} terms, encoder {encoder.name}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    result = evaluate(matrix, topics, methods(matrix, emb, lsa, settings), args.reps, settings)
    print(f"{result['n']} libraries of {SEEDS} papers (topics with {MIN_TOPIC}+ papers, {args.reps} draws)")
    for name, (p10, r100) in result["table"].items():
        secs = result["seconds"].get(name)
        per = f"  ({secs / result['n']:.2f} s a library)" if secs is not None else ""
        print(f"{name}: P@10 {p10:.3f}  R@100 {r100:.3f}{per}")
    print()
    for name, (p10, r100) in result["table"].items():
        print(f"reco_fusion_{name}_precision_at_10: {p10:.3f} fraction")
        print(f"reco_fusion_{name}_recall_at_100: {r100:.3f} fraction")
    print(f"total_seconds: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
