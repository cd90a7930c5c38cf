"""Search fusion variants compared: how plain-words questions and title queries fare.

Every query is ranked once by each side (the lexical search as served, the static encoder's
cosine, LSA's cosine over the index's own TF-IDF features, and the plain TF-IDF cosine
baseline of bench/search_quality.py), deep enough for every variant; the fusions are then
computed from those lists, so a sweep costs little more than one run. Figures: recall@100
and nDCG@10 on the two question sets of bench/semantic_quality.py and on the 300 title
queries of bench/search_quality.py, each beside the TF-IDF cosine baseline of the same run.

    .venv/bin/python bench/fusion_quality.py [--corpus PATH] [--topics PATH] [--lsa-dim 128]

The defaults are the repository's files (the bundled sample and the topic collections in
tests/data); docs/semantic.md has the figures on the shared 24k-paper corpus.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import search_quality as sq  # noqa: E402
from semantic_quality import QUESTIONS_2  # noqa: E402

from recommend.embedding import load_default_encoder  # noqa: E402
from recommend.index import build_index, load_index  # noqa: E402
from recommend.search import build_search_parts, search, search_index  # noqa: E402
from recommend.search_query import parse_query  # noqa: E402

DEPTH = 200           # each side's list is kept this deep, enough for every variant below
Ranked = list[tuple[str, float]]


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)


def top(scores: np.ndarray, ids: np.ndarray, k: int = DEPTH) -> Ranked:
    best = np.argpartition(-scores, k)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(str(ids[i]), float(scores[i])) for i in best]


def rrf(lists: Sequence[Ranked], weights: Sequence[float], k: float, depths: Sequence[int],
        floors: Sequence[float]) -> list[str]:
    fused: dict[str, float] = {}
    for ranked, weight, depth, floor in zip(lists, weights, depths, floors, strict=True):
        kept = [pid for pid, score in ranked[:depth] if score >= floor]
        for rank, pid in enumerate(kept, start=1):
            fused[pid] = fused.get(pid, 0.0) + weight / (k + rank)
    order = {pid: i for i, pid in enumerate(fused)}
    return sorted(fused, key=lambda pid: (-fused[pid], order[pid]))[:100]


def score_fusion(lexical: Ranked, vector: Ranked, weight: float, depth: int) -> list[str]:
    """BM25 scaled by the query's best BM25 score, plus weight x cosine (missing = 0)."""
    best = max((s for _, s in lexical[:depth]), default=1.0) or 1.0
    fused: dict[str, float] = {pid: s / best for pid, s in lexical[:depth]}
    for pid, cos in vector[:depth]:
        fused[pid] = fused.get(pid, 0.0) + weight * max(cos, 0.0)
    return sorted(fused, key=lambda pid: -fused[pid])[:100]


def figures(ranked: list[list[str]], queries: list[tuple[str, set[str]]]) -> tuple[float, float]:
    rc = [sq.recall_at_100(r, rel) for r, (_, rel) in zip(ranked, queries, strict=True)]
    nd = [sq.ndcg_at_10(r, rel) for r, (_, rel) in zip(ranked, queries, strict=True)]
    return float(np.mean(rc)), float(np.mean(nd))


def variants() -> dict[str, Callable[[dict[str, Ranked]], list[str]]]:
    """name -> fusion of one query's side lists ('lex', 'static', 'lsa', 'static_q')."""
    out: dict[str, Callable[[dict[str, Ranked]], list[str]]] = {
        "lexical": lambda s: [p for p, _ in s["lex"][:100]],
        "static_alone": lambda s: [p for p, _ in s["static"][:100]],
        "lsa_alone": lambda s: [p for p, _ in s["lsa"][:100]],
        "served_rrf_static": lambda s: rrf([s["lex"], s["static"]], [1, 1], 60, [100, 100], [-9, 0.3]),
    }
    for k in (10, 30, 60):
        for w in (1.0, 1.5, 2.0):
            for depth in (100, 200):
                for floor in (0.0, 0.3):
                    out[f"rrf_static_k{k}_w{w}_d{depth}_min{floor}"] = (
                        lambda s, k=k, w=w, d=depth, f=floor:
                        rrf([s["lex"], s["static"]], [1, w], k, [100, d], [-9, f]))
    for k in (20, 30, 60):
        for w in (0.5, 0.75, 1.0, 1.5):
            out[f"rrf_lsa_k{k}_w{w}"] = (lambda s, k=k, w=w:
                                         rrf([s["lex"], s["lsa"]], [1, w], k, [100, 100], [-9, 0.0]))
            out[f"rrf3_k{k}_w{w}"] = (lambda s, k=k, w=w: rrf(
                [s["lex"], s["static"], s["lsa"]], [1, w, w], k, [100, 100, 100], [-9, 0.3, 0.0]))
            out[f"rrf3_k{k}_w{w}_nomin"] = (lambda s, k=k, w=w: rrf(
                [s["lex"], s["static"], s["lsa"]], [1, w, w], k, [100, 100, 100], [-9, 0.0, 0.0]))
    for w in (0.5, 1.0, 2.0, 4.0):
        out[f"score_static_w{w}"] = lambda s, w=w: score_fusion(s["lex"], s["static"], w, 100)
    out["served_rrf_static_query_content_words"] = (
        lambda s: rrf([s["lex"], s["static_q"]], [1, 1], 60, [100, 100], [-9, 0.3]))
    out["rrf_static_query_content_words_k30_w1.5"] = (
        lambda s: rrf([s["lex"], s["static_q"]], [1, 1.5], 30, [100, 100], [-9, 0.0]))
    return out


def content_words(text: str) -> str:
    """The query without stop words (the analyser's list), as written otherwise."""
    from recommend.stop_words import ENGLISH_STOP_WORDS as STOP_WORDS

    kept = [w for w in text.split() if w.lower().strip(",.?!") not in STOP_WORDS]
    return " ".join(kept) or text


def side_lists(docs, queries: list[str], lsa_dim: int) -> dict[str, list[Ranked]]:
    ids = np.array([d.id for d in docs])
    out: dict[str, list[Ranked]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        build_index(Path(tmp), docs, fingerprint="bench", extra=[build_search_parts], n_jobs=1)
        index = load_index(Path(tmp))
        si = search_index(index)
        print(f"index built in {time.perf_counter() - t:.0f} s", flush=True)
        out["lex"] = [[(p, s) for p, s in search(si, parse_query(q), limit=DEPTH).hits] for q in queries]
        base = sq.baseline_ranker(docs)
        out["tfidf"] = [[(p, 0.0) for p in base(q)] for q in queries]
        encoder = load_default_encoder()
        t = time.perf_counter()
        emb = encoder.encode([d.text for d in docs])
        print(f"static: {len(docs) / (time.perf_counter() - t):.0f} docs/s", flush=True)
        out["static"] = [top(emb @ v, ids) for v in encoder.encode(queries)]
        out["static_q"] = [top(emb @ v, ids) for v in encoder.encode([content_words(q) for q in queries])]
        out["lsa"] = lsa_lists(index, queries, lsa_dim, ids)
    return out


def lsa_lists(index, queries: list[str], dim: int, ids: np.ndarray) -> list[Ranked]:
    """The LSA side as served: recommend.lsa fitted on the index's features, queries projected
    from their TF-IDF weights."""
    from recommend import lsa
    from recommend.search_like import query_tfidf

    t = time.perf_counter()
    terms, vectors = lsa.fit_lsa(index.matrix, dim)
    print(f"lsa {dim}: fitted and projected {index.matrix.shape[0]:,} papers x "
          f"{index.matrix.shape[1]:,} terms in {time.perf_counter() - t:.0f} s; term directions "
          f"{terms.nbytes / 1e6:.0f} MB, vectors {vectors.nbytes / 1e6:.0f} MB (float32)", flush=True)
    index.parts.update({lsa.TERMS_PART: terms, lsa.VECTORS_PART: vectors})
    out = []
    for q in queries:
        weighted = query_tfidf(index, q)
        vector = None if weighted is None else lsa.query_vector(index, *weighted)
        out.append([] if vector is None else top(vectors @ vector, ids))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=sq.CORPUS)
    ap.add_argument("--topics", type=Path, default=sq.TOPICS)
    ap.add_argument("--lsa-dim", type=int, default=128)
    args = ap.parse_args()
    started = time.perf_counter()
    docs, members = sq.load(args.corpus, args.topics)
    sets = {name: [(qs[t], ids) for t, ids in sorted(members.items())
                   if len(ids) >= sq.MIN_TOPIC_PAPERS and t in qs]
            for name, qs in (("questions", sq.QUESTIONS), ("questions2", QUESTIONS_2))}
    sets["titles"] = sq.title_queries(docs, members, sq.TITLE_QUERIES)
    print(f"{len(docs):,} papers; load average {os.getloadavg()[0]:.1f}", flush=True)
    queries = [q for qs in sets.values() for q, _ in qs]
    lists = side_lists(docs, queries, args.lsa_dim)
    at = 0
    rows: dict[str, list[str]] = {}
    for name, qs in sets.items():
        span = range(at, at + len(qs))
        at += len(qs)
        base_rc, base_nd = figures([[p for p, _ in lists["tfidf"][i]] for i in span], qs)
        print(f"{name}_tfidf_cosine: R@100 {base_rc:.3f} nDCG@10 {base_nd:.3f}")
        for vname, fuse in variants().items():
            rc, nd = figures([fuse({s: lists[s][i] for s in lists}) for i in span], qs)
            rows.setdefault(vname, []).append(f"{rc:.3f} ({rc / base_rc:.2f}x) / {nd:.3f}")
    print("variant | " + " | ".join(f"{n} R@100 (x tfidf) / nDCG@10" for n in sets))
    for vname, cells in rows.items():
        print(f"{vname} | " + " | ".join(cells))
    print(f"total_seconds: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
