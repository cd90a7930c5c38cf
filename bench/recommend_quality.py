"""Recommendation quality with simulated users, against centroid and random baselines.

Users are built from the 45 labelled research topics in
tests/data/metadata/topic_collections_shared.jsonl.gz, mixed into the corpus (the bundled
4,001-paper sample, or the file named by BENCH_CORPUS, e.g. the 24k-paper listings): a user's
library is k papers (k = 5, 20) of one topic, and the ranking of every paper not in the
library is scored by precision@10 and recall@100 of that topic's other papers.

Methods: the SVM as trained for serving (sampled negatives, importance-weighted; the site
fuses it with centroid similarities, measured by bench/recommend_fusion.py), the plain SVM on
every negative (arxiv-sanity's way), cosine to the library centroid, and random. Figures are
means over topics and repetitions; the last lines print `name: value unit`.

    .venv/bin/python bench/recommend_quality.py [--reps 2] [--sweep]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _data import TOPICS, corpus, open_text  # noqa: E402

import config  # noqa: E402
from recommend.features import fit_features  # noqa: E402
from recommend.svm import centroid_model, train_svm  # noqa: E402
from recommend.text import document  # noqa: E402

KS = (5, 20)


def load() -> tuple[list[str], list[str], dict[str, set[int]]]:
    """(ids, texts, topic -> rows) with topic papers added to the main corpus once each."""
    ids, texts, row_of = [], [], {}
    with open_text(corpus()) as fh:
        for line in fh:
            r = json.loads(line)
            row_of[r["id"]] = len(ids)
            ids.append(r["id"])
            texts.append(document(r["title"], r["summary"]))
    topics: dict[str, set[int]] = defaultdict(set)
    with open_text(TOPICS) as fh:
        for line in fh:
            r = json.loads(line)
            pid = r["arxiv_id"]
            if pid not in row_of:
                row_of[pid] = len(ids)
                ids.append(pid)
                texts.append(document(r["title"], r["abstract"] or ""))
            topics[r["topic"]].add(row_of[pid])
    return ids, texts, topics


def metrics(scores: np.ndarray, library: np.ndarray, relevant: set[int]) -> tuple[float, float]:
    scores = scores.astype(np.float64, copy=True)
    scores[library] = -np.inf
    top = np.argpartition(-scores, 100)[:100]
    top = top[np.argsort(-scores[top], kind="stable")]
    hits = np.fromiter((r in relevant for r in top), dtype=bool)
    return hits[:10].mean(), hits.sum() / len(relevant)


def methods(c: float, w: float) -> dict:
    return {
        "svm": lambda m, lib: train_svm(m, lib, C=c, positive_weight=w).scores(m),
        "svm_plain": lambda m, lib: train_svm(m, lib, C=c, positive_weight=w,
                                              max_negatives=None).scores(m),
        "centroid": lambda m, lib: centroid_model(m, lib).scores(m),
        "random": lambda m, lib: np.random.default_rng(len(lib)).random(m.shape[0]),
    }


def evaluate(matrix, topics, runs: dict, reps: int, ks: tuple[int, ...] = KS) -> dict:
    out: dict = defaultdict(list)
    seconds: dict = defaultdict(float)
    for topic, rows in sorted(topics.items()):
        rows_arr = np.array(sorted(rows))
        for k in ks:
            if len(rows_arr) < k + 10:
                continue
            for rep in range(reps):
                rng = np.random.default_rng(zlib.crc32(f"{topic}/{k}/{rep}".encode()))
                library = rng.choice(rows_arr, size=k, replace=False)
                relevant = set(rows_arr.tolist()) - set(library.tolist())
                for name, fn in runs.items():
                    t = time.perf_counter()
                    p10, r100 = metrics(fn(matrix, library), library, relevant)
                    seconds[name] += time.perf_counter() - t
                    out[(name, k)].append((p10, r100))
    return {"table": {key: np.mean(v, axis=0) for key, v in out.items()},
            "n": {key: len(v) for key, v in out.items()}, "seconds": dict(seconds)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--sweep", action="store_true", help="Also try other C and positive weights.")
    defaults = config.load_settings({})
    ap.add_argument("--c", type=float, default=defaults.svm_c)
    ap.add_argument("--weight", type=float, default=defaults.svm_positive_weight)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ids, texts, topics = load()
    feats = fit_features(texts, max_features=100_000, min_df=2, max_df=0.5, sample_docs=20_000)
    matrix = feats.matrix
    print(f"corpus: {len(ids)} papers, {matrix.shape[1]} terms, {len(topics)} topics "
          f"({time.perf_counter() - t0:.0f} s to load and fit)")
    result = evaluate(matrix, topics, methods(args.c, args.weight), args.reps)
    print(f"\nC={args.c} positive_weight={args.weight}; mean over {result['n'][('svm', 5)]} users per k")
    print(f"{'method':<12}" + "".join(f"{'P@10 k=' + str(k):>12}{'R@100 k=' + str(k):>13}" for k in KS))
    for name in ("svm", "svm_plain", "centroid", "random"):
        row = "".join(f"{result['table'][(name, k)][0]:>12.3f}{result['table'][(name, k)][1]:>13.3f}"
                      for k in KS)
        print(f"{name:<12}{row}   ({result['seconds'][name]:.0f} s total)")
    if args.sweep:
        print("\nsweep (sampled SVM, mean over k):")
        for c in (0.002, 0.005, 0.01, 0.05, 0.1):
            for w in (1.0, 5.0, 10.0):
                r = evaluate(matrix, topics, {"svm": methods(c, w)["svm"]}, 1)["table"]
                p = np.mean([r[("svm", k)] for k in KS], axis=0)
                print(f"  C={c:<6} w={w:<5} P@10 {p[0]:.3f}  R@100 {p[1]:.3f}", flush=True)
    t = result["table"]
    print()
    for name in ("svm", "svm_plain", "centroid", "random"):
        for k in KS:
            print(f"{name}_precision_at_10_k{k}: {t[(name, k)][0]:.3f} fraction")
            print(f"{name}_recall_at_100_k{k}: {t[(name, k)][1]:.3f} fraction")
    for k in KS:
        gap = (t[("svm_plain", k)][1] - t[("svm", k)][1]) * 100
        print(f"svm_recall_at_100_gap_to_plain_k{k}: {gap:.2f} points")
    for i, metric in enumerate(("precision_at_10", "recall_at_100")):
        ratio = np.mean([t[("svm", k)][i] for k in KS]) / np.mean([t[("centroid", k)][i] for k in KS])
        print(f"svm_vs_centroid_{metric}: {ratio:.3f} x")
    print(f"total_seconds: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
