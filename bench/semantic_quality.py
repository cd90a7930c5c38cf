"""Semantic encoders compared: hybrid recommendations, plain-words search, speed and size.

Methods (each beside the TF-IDF baseline measured in the same run):

- lsa: TruncatedSVD (--lsa-dim) over the index's TF-IDF features, scikit-learn only;
- static: the default encoder, token vectors distilled from all-MiniLM-L6-v2
  (recommend/models/, numpy only; another table with --static PATH);
- minilm: the full all-MiniLM-L6-v2 as a numpy forward pass; needs --minilm-dir, a folder
  with model.safetensors and tokenizer.json (scripts/distill_static_encoder.py unpacks one).

Recommendations (the protocol of bench/recommend_quality.py): 5 seed papers of a topic are a
library; one linear SVM over TF-IDF ⊕ alpha·embedding ranks the rest; recall@100 and P@10 of
the topic's other papers, beside the SVM on TF-IDF alone. --alphas and --cs sweep the mix.
Search: two sets of plain-words questions that never name their topic (bench/search_quality.py's
35 and the 35 below), recall@100 and nDCG@10 of the embedding ranking alone and fused with
the lexical search (reciprocal-rank fusion), beside a plain TF-IDF cosine ranking.

    .venv/bin/python bench/semantic_quality.py [--corpus PATH] [--topics PATH] \
        [--methods lsa,static,minilm] [--minilm-dir DIR] [--subset N] [--cache DIR]

--subset N keeps the topic papers plus N seeded random corpus papers (the full model is too
slow on two busy cores for the whole corpus); --cache DIR keeps encoded matrices between runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import recommend_quality as rq  # noqa: E402
import search_quality as sq  # noqa: E402

import config  # noqa: E402
from recommend.embedding import Encoder, load_default_encoder  # noqa: E402
from recommend.features import fit_features, transform  # noqa: E402
from recommend.index import build_index, load_index  # noqa: E402
from recommend.search import build_search_parts, search_index  # noqa: E402
from recommend.svm import centroid_model, train_svm  # noqa: E402

# a second set of plain-words questions, one per topic with 5+ papers, written apart from
# search_quality.QUESTIONS and never naming the topic
QUESTIONS_2 = {
    "Instance_Segmentation": "giving each individual thing in a photo its own mask and class",
    "Medical_Image_Segmentation": "marking which pixels of an MRI or CT volume belong to a lesion",
    "Keyword_Spotting": "recognising a handful of short voice commands with a tiny always-on model",
    "Mamba": "linear time recurrent layers with input dependent gates replacing quadratic attention",
    "Object_Tracking": "keeping the identity of a chosen target as it moves between video frames",
    "Time_Series_Anomaly_Detection": "spotting faults in streams of machine telemetry as they happen",
    "Zero-Shot_Learning": "classifying categories with no labelled examples using attributes or text",
    "Agentic_AI": "autonomous assistants that break a goal into steps and use software tools",
    "Artificial_General_Intelligence": "the path towards machines that think as broadly as humans",
    "GPT": "decoder only text generators trained on web scale data",
    "Surgical_Instrument_Segmentation": "pixel masks of forceps and scissors in keyhole operation footage",
    "Knowledge_Distillation": "compressing a big network by teaching a smaller one its soft outputs",
    "VLA": "policies that read a camera view and an instruction and output robot arm motions",
    "Active_Learning": "saving labelling effort by querying only the most informative samples",
    "Instance_Segmentation_Video": "separating and linking each object's mask across clip frames",
    "Surgical_Instrument_Tracking": "locating tools over time during minimally invasive operations",
    "Metric_Learning": "training a distance so that matching pairs score closer than non matching ones",
    "Quantum_Computation": "computing with superposition and entanglement on noisy hardware",
    "Surgical_Phase_Recognition": "recognising the steps of a procedure from operating room video",
    "Surgical_Instrument_Detection": "localising instruments with bounding boxes in endoscope frames",
    "Medical_Image_Analysis": "computer aided diagnosis from x ray and pathology images",
    "Explainable_AI": "making model decisions understandable with saliency and attributions",
    "Curriculum_Learning": "ordering training data from simple to difficult to learn faster",
    "Foundation_Model": "one huge pretrained network reused for many downstream problems",
    "Low_Rank_Adaptation": "parameter efficient tuning with small trainable update matrices",
    "Transformers": "attention based encoder decoder architectures replacing recurrence",
    "Model_Quantization": "running networks with eight bit or four bit integer arithmetic",
    "Mixture_of_Experts": "sparse models where a router sends inputs to a few specialist blocks",
    "Neural_Turing_Machine": "differentiable memory that a controller network addresses and updates",
    "Reinforcement_Learning": "learning a policy that maximises long term return by interacting",
    "Gaussian_Mixture_Model": "probabilistic clustering with several bell curves and soft assignments",
    "In-context_Learning": "prompting a model with demonstrations instead of updating its weights",
    "Audio_Generation": "creating speech or music waveforms from text or noise",
    "Generative_Model": "learning a data distribution in order to sample new examples from it",
    "Surgical_Robot_Voice_Control": "a surgeon commanding a robotic assistant by talking to it",
}
RRF_K = 60


class LsaEncoder:
    """TruncatedSVD over TF-IDF: a texts -> unit rows encoder over a fitted feature space."""

    def __init__(self, feats, dim: int) -> None:
        from sklearn.decomposition import TruncatedSVD

        self.name, self.dim, self.feats = f"lsa-{dim}", dim, feats
        self.svd = TruncatedSVD(dim, random_state=0).fit(feats.matrix)

    def encode(self, texts, batch_size: int = 256) -> np.ndarray:
        return unit(self.svd.transform(transform(texts, self.feats.vocabulary, self.feats.idf, n_jobs=1)))


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)


def load_corpus(args) -> tuple[list, dict[str, set[str]]]:
    docs, members = sq.load(args.corpus, args.topics)
    if args.subset is not None:
        topical = {pid for ids in members.values() for pid in ids}
        rest = sorted(d.id for d in docs if d.id not in topical)
        keep = topical | set(random.Random(0).sample(rest, min(args.subset, len(rest))))
        docs = [d for d in docs if d.id in keep]
    return docs, members


def encode_cached(enc: Encoder, texts: list[str], cache: Path | None) -> tuple[np.ndarray, float]:
    """(matrix, docs/s); the rate is measured on a fresh encode, NaN when read from the cache."""
    key = hashlib.sha1("\n\x00".join(texts).encode()).hexdigest()[:16]
    path = cache / f"{enc.name}-{key}.npy" if cache else None
    if path and path.exists():
        return np.load(path), float("nan")
    t = time.perf_counter()
    matrix = enc.encode(texts)
    rate = len(texts) / (time.perf_counter() - t)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, matrix)
    return matrix, rate


def throughput(enc: Encoder, texts: list[str], n: int) -> float:
    sample = random.Random(1).sample(texts, min(n, len(texts)))
    t = time.perf_counter()
    enc.encode(sample)
    return len(sample) / (time.perf_counter() - t)


def recommend_figures(tfidf, emb, topics, alphas, cs, weight: float, reps: int) -> dict:
    """(alpha, C) -> (P@10, R@100) for 5-paper libraries; alpha 0 is TF-IDF alone."""
    out = {}
    for alpha in alphas:
        matrix = tfidf if alpha == 0 else sparse.hstack(
            [tfidf, sparse.csr_matrix(alpha * emb)], format="csr", dtype=np.float32)
        for c in cs:
            run = {"svm": lambda m, lib, c=c: train_svm(m, lib, C=c, positive_weight=weight).scores(m)}
            out[(alpha, c)] = rq.evaluate(matrix, topics, run, reps, ks=(5,))["table"][("svm", 5)]
    alone = {"centroid": lambda m, lib: centroid_model(sparse.csr_matrix(m), lib).scores(
        sparse.csr_matrix(m))}
    out["embedding_centroid"] = rq.evaluate(emb, topics, alone, reps, ks=(5,))["table"][("centroid", 5)]
    return out


def rrf(*rankings: list[str]) -> list[str]:
    score: dict[str, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(ranking):
            score[pid] = score.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(score, key=lambda pid: -score[pid])[:100]


def dense_ranker(enc: Encoder, emb: np.ndarray, ids: np.ndarray) -> Callable[[str], list[str]]:
    def rank(text: str) -> list[str]:
        scores = emb @ enc.encode([text])[0]
        top = np.argpartition(-scores, 100)[:100]
        return [str(ids[i]) for i in top[np.argsort(-scores[top], kind="stable")]]

    return rank


def print_search(name: str, rankers: dict[str, Callable], query_sets: dict) -> None:
    for qname, queries in query_sets.items():
        base = sq.evaluate(rankers["tfidf_cosine"], queries)
        for who, rank in rankers.items():
            fig = base if who == "tfidf_cosine" else sq.evaluate(rank, queries)
            ratio = fig["recall_at_100"] / max(base["recall_at_100"], 1e-9)
            print(f"search_{qname}_{name}_{who}_recall_at_100: {fig['recall_at_100']:.3f} fraction "
                  f"({ratio:.2f}x tfidf_cosine; nDCG@10 {fig['ndcg_at_10']:.3f})", flush=True)


def encoders(args, feats) -> dict[str, Callable[[], Encoder]]:
    def static() -> Encoder:
        if args.static:
            from recommend.encoders.static import StaticEncoder

            return StaticEncoder.load(args.static)
        enc = load_default_encoder()
        if enc is None:
            sys.exit("static: the default encoder's model file is missing")
        return enc

    def minilm() -> Encoder:
        if not args.minilm_dir:
            sys.exit("minilm: give --minilm-dir (model.safetensors + tokenizer.json)")
        from recommend.encoders.minilm import MiniLMEncoder

        return MiniLMEncoder(args.minilm_dir)

    return {"lsa": lambda: LsaEncoder(feats, args.lsa_dim), "static": static, "minilm": minilm}


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=sq.CORPUS)
    ap.add_argument("--topics", type=Path, default=sq.TOPICS)
    ap.add_argument("--methods", default="lsa,static")
    ap.add_argument("--static", type=Path, help="another static table (.npz) than the shipped one")
    ap.add_argument("--minilm-dir", type=Path)
    ap.add_argument("--lsa-dim", type=int, default=256)
    ap.add_argument("--subset", type=int, help="topic papers + N random corpus papers")
    ap.add_argument("--cache", type=Path, help="keep encoded matrices here between runs")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--alphas", default="0.5,1,1.5")
    ap.add_argument("--cs", default="")
    ap.add_argument("--speed-docs", type=int, default=2000)
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    settings = config.load_settings({})
    cs = [float(c) for c in args.cs.split(",")] if args.cs else [settings.svm_c]
    alphas = [float(a) for a in args.alphas.split(",")]
    docs, members = load_corpus(args)
    texts, ids = [d.text for d in docs], np.array([d.id for d in docs])
    row = {pid: i for i, pid in enumerate(ids)}
    topics = {t: {row[p] for p in pids} for t, pids in members.items() if all(p in row for p in pids)}
    feats = fit_features(texts, max_features=100_000, min_df=2, max_df=0.5, sample_docs=20_000, n_jobs=1)
    print(f"{len(docs):,} papers, {feats.matrix.shape[1]:,} terms, {len(topics)} topics; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    base = recommend_figures(feats.matrix, np.zeros((len(docs), 1), np.float32), topics, [0], cs,
                             settings.svm_positive_weight, args.reps)
    for c in cs:
        p10, r100 = base[(0, c)]
        print(f"recommend_tfidf_svm_C{c}: P@10 {p10:.3f}  R@100 {r100:.3f}", flush=True)
    query_sets = {name: [(qs[t], ids_) for t, ids_ in sorted(members.items())
                         if len(ids_) >= sq.MIN_TOPIC_PAPERS and t in qs]
                  for name, qs in (("questions", sq.QUESTIONS), ("questions2", QUESTIONS_2))}
    with tempfile.TemporaryDirectory() as tmp:
        build_index(Path(tmp), docs, fingerprint="bench", extra=[build_search_parts], n_jobs=1)
        lexical = sq.search_ranker(search_index(load_index(Path(tmp))))
        rankers = {"tfidf_cosine": sq.baseline_ranker(docs), "lexical_search": lexical}
        print_search("baseline", rankers, query_sets)
        for name in args.methods.split(","):
            run_method(name, encoders(args, feats)[name], feats.matrix, texts, ids, topics, alphas, cs,
                       settings, args, rankers, query_sets)
    print(f"total_seconds: {time.perf_counter() - started:.0f} s")


def run_method(name, make, tfidf, texts, ids, topics, alphas, cs, settings, args, rankers,
               query_sets) -> None:
    t = time.perf_counter()
    enc = make()
    print(f"\n{name}: {enc.name}, {enc.dim} dims, ready in {time.perf_counter() - t:.2f} s", flush=True)
    emb, rate = encode_cached(enc, texts, args.cache)
    if np.isnan(rate):
        rate = throughput(enc, texts, args.speed_docs)
    print(f"{name}_docs_per_second: {rate:.1f} docs/s (load average {os.getloadavg()[0]:.1f})")
    print(f"{name}_float16_mb_per_100k: {enc.dim * 2 * 100_000 / 1e6:.1f} MB", flush=True)
    figs = recommend_figures(tfidf, emb, topics, alphas, cs, settings.svm_positive_weight, args.reps)
    for key, (p10, r100) in figs.items():
        label = key if isinstance(key, str) else f"hybrid_alpha{key[0]}_C{key[1]}"
        print(f"recommend_{name}_{label}: P@10 {p10:.3f}  R@100 {r100:.3f}", flush=True)
    dense = dense_ranker(enc, emb, ids)
    print_search(name, {"tfidf_cosine": rankers["tfidf_cosine"], "embedding": dense,
                        "rrf_lexical_embedding": lambda q: rrf(rankers["lexical_search"](q), dense(q))},
                 query_sets)


if __name__ == "__main__":
    main()
