"""Search quality: does search find what a person means? Against a plain TF-IDF baseline.

The corpus is the papers of --corpus plus the labelled papers of --topics (each added
once). It is indexed the way `papersift index` indexes a store (recommend.index with the
search builder) and searched with recommend.search, as the site does. Three query sets:

- questions: one plain-words question per topic with 5 or more papers, written so it never
  names the topic ("training a small student network to mimic a large teacher" for
  Knowledge_Distillation); the relevant papers are the topic's papers.
- titles: 300 papers drawn (seeded) from the topic papers; the query is the title's
  content words with a third of them dropped and the rest shuffled; the relevant paper is
  that paper.
- word forms: pairs of queries that differ only by word form ("graph neural networks" /
  "graph neural network"); the figure is the mean share of their top-50 results in common.

For questions and titles: nDCG@10 (binary gains) and recall@100, for the search as served
and for the baseline measured in the same run: scikit-learn's TfidfVectorizer
(sublinear tf, English stop words) fitted on the same texts, cosine ranking of all papers.

    .venv/bin/python bench/search_quality.py [--corpus PATH] [--topics PATH]

The defaults are files in the repository (the shipped sample and the topic collections
in tests/data); the figures in docs/benchmarks.md use the shared 24k-paper corpus.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommend.index import Doc, build_index, load_index  # noqa: E402
from recommend.search import build_search_parts, search, search_index  # noqa: E402
from recommend.search_query import parse_query  # noqa: E402
from recommend.text import document, words  # noqa: E402

CORPUS = ROOT / "data" / "sample" / "arxiv_cs_sample.jsonl.gz"
TOPICS = ROOT / "tests" / "data" / "metadata" / "topic_collections_shared.jsonl.gz"
MIN_TOPIC_PAPERS = 5
TITLE_QUERIES = 300

QUESTIONS = {
    "Instance_Segmentation": "how to outline every separate object in a picture pixel by pixel",
    "Medical_Image_Segmentation": "outlining organs and tumours in patient scans",
    "Keyword_Spotting": "detecting when a spoken wake word is said on a small device",
    "Mamba": "selective state space sequence models as a faster alternative to attention",
    "Object_Tracking": "following a moving target across the frames of a video",
    "Time_Series_Anomaly_Detection": "finding unusual readings in sensor measurements over time",
    "Zero-Shot_Learning": "recognising classes never seen during training from their descriptions",
    "Agentic_AI": "language model systems that plan, call tools and act on their own",
    "Artificial_General_Intelligence": "can machines reach human level intelligence across all tasks",
    "GPT": "large pretrained generative language models that predict the next token",
    "Surgical_Instrument_Segmentation": "separating surgical tools from tissue in endoscopic video",
    "Knowledge_Distillation": "training a small student network to mimic a large teacher",
    "VLA": "robots that turn camera images and spoken instructions into actions",
    "Active_Learning": "choosing which unlabelled examples are worth asking a person to annotate",
    "Instance_Segmentation_Video": "masking and following every object through a video clip",
    "Surgical_Instrument_Tracking": "following the position of surgical tools in operation videos",
    "Metric_Learning": "learning an embedding where similar items are close and different ones far",
    "Quantum_Computation": "algorithms that run on qubits and quantum circuits",
    "Surgical_Phase_Recognition": "which stage of an operation is happening in a surgery video",
    "Surgical_Instrument_Detection": "finding boxes around tools in laparoscopic surgery images",
    "Medical_Image_Analysis": "deep networks reading radiology scans for diagnosis",
    "Explainable_AI": "explaining to people why a black box model made its prediction",
    "Curriculum_Learning": "training on easy examples first and harder ones later",
    "Foundation_Model": "very large models pretrained on broad data and adapted to many tasks",
    "Low_Rank_Adaptation": "fine tuning big models cheaply by training a few small added matrices",
    "Transformers": "networks built only from self attention layers for sequences",
    "Model_Quantization": "storing network weights in fewer bits to make inference cheaper",
    "Mixture_of_Experts": "routing each token to a few specialised sub networks chosen by a gate",
    "Neural_Turing_Machine": "neural networks with an external memory they can read and write",
    "Reinforcement_Learning": "agents learning by trial and error from rewards",
    "Gaussian_Mixture_Model": ("clustering data as a sum of normal distributions fitted by "
                               "expectation maximization"),
    "In-context_Learning": "how do language models learn a new task from a few examples in the prompt",
    "Audio_Generation": "synthesizing music and sound with neural networks",
    "Generative_Model": "models that learn to produce new realistic samples such as images",
    "Surgical_Robot_Voice_Control": "controlling a surgical robot with spoken commands",
}
WORD_FORM_PAIRS = [
    ("graph neural networks", "graph neural network"),
    ("transformers", "transformer"),
    ("diffusion models", "diffusion model"),
    ("segmenting medical images", "medical image segmentation"),
    ("robots learning to grasp", "robot learns grasping"),
    ("optimizing neural networks", "neural network optimization"),
    ("language models reasoning", "language model reasons"),
    ("detecting objects", "object detection"),
]


def _open(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def load(corpus: Path, topics: Path) -> tuple[list[Doc], dict[str, set[str]]]:
    """Docs of the corpus and topic papers (once each), and topic -> paper ids."""
    docs: dict[str, Doc] = {}
    with _open(corpus) as fh:
        for line in fh:
            r = json.loads(line)
            docs[r["id"]] = _doc(r["id"], r["title"], r.get("summary") or "",
                                 r.get("authors") or [], r.get("categories") or ["cs.LG"])
    members: dict[str, set[str]] = defaultdict(set)
    with _open(topics) as fh:
        for line in fh:
            r = json.loads(line)
            pid = r["arxiv_id"]
            members[r["topic"]].add(pid)
            if pid not in docs:
                authors = [a.strip() for a in (r.get("authors") or "").split(",") if a.strip()]
                docs[pid] = _doc(pid, r["title"], r.get("abstract") or "", authors, ["cs.LG"])
    return list(docs.values()), dict(members)


def _doc(pid: str, title: str, abstract: str, authors: Sequence[str],
         categories: Sequence[str]) -> Doc:
    return Doc(pid, date(2025, 1, 1), tuple(categories), document(title, abstract),
               title=title, authors=tuple(authors))


def title_queries(docs: list[Doc], members: dict[str, set[str]], k: int, seed: int = 0
                  ) -> list[tuple[str, set[str]]]:
    """(title words with a third dropped, the rest shuffled; {that paper})."""
    rng = random.Random(seed)
    by_id = {d.id: d for d in docs}
    pool = sorted({pid for ids in members.values() for pid in ids})
    out = []
    for pid in rng.sample(pool, min(k, len(pool))):
        seq = list(dict.fromkeys(w for w in words(by_id[pid].title) if w))
        if len(seq) < 3:
            continue
        kept = rng.sample(seq, max(2, len(seq) - len(seq) // 3))
        rng.shuffle(kept)
        out.append((" ".join(kept), {pid}))
    return out


def ndcg_at_10(ranked: Sequence[str], relevant: set[str]) -> float:
    gains = [1.0 / np.log2(i + 2) for i, pid in enumerate(ranked[:10]) if pid in relevant]
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(10, len(relevant))))
    return float(sum(gains) / ideal) if ideal else 0.0


def recall_at_100(ranked: Sequence[str], relevant: set[str]) -> float:
    return len(set(ranked[:100]) & relevant) / len(relevant) if relevant else 0.0


def evaluate(rank: Callable[[str], list[str]], queries: list[tuple[str, set[str]]]
             ) -> dict[str, float]:
    nd, rc, empty = [], [], 0
    for text, relevant in queries:
        ranked = rank(text)
        empty += not ranked
        nd.append(ndcg_at_10(ranked, relevant))
        rc.append(recall_at_100(ranked, relevant))
    return {"ndcg_at_10": float(np.mean(nd)), "recall_at_100": float(np.mean(rc)),
            "empty": empty / len(queries)}


def baseline_ranker(docs: list[Doc]) -> Callable[[str], list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float32)
    matrix = vec.fit_transform([d.text for d in docs])
    ids = np.array([d.id for d in docs])

    def rank(text: str) -> list[str]:
        scores = (matrix @ vec.transform([text]).T).toarray().ravel()
        top = np.argpartition(-scores, 100)[:100]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [str(ids[i]) for i in top if scores[i] > 0]

    return rank


def search_ranker(si) -> Callable[[str], list[str]]:
    def rank(text: str) -> list[str]:
        return [pid for pid, _ in search(si, parse_query(text), limit=100).hits]

    return rank


def word_form_overlap(rank: Callable[[str], list[str]]) -> float:
    shares = []
    for a, b in WORD_FORM_PAIRS:
        ra, rb = set(rank(a)[:50]), set(rank(b)[:50])
        shares.append(len(ra & rb) / max(1, min(50, max(len(ra), len(rb)))))
    return float(np.mean(shares))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--topics", type=Path, default=TOPICS)
    args = parser.parse_args()
    started = time.perf_counter()
    docs, members = load(args.corpus, args.topics)
    question_set = [(QUESTIONS[t], ids) for t, ids in sorted(members.items())
                    if len(ids) >= MIN_TOPIC_PAPERS and t in QUESTIONS]
    title_set = title_queries(docs, members, TITLE_QUERIES)
    with tempfile.TemporaryDirectory() as tmp:
        build_index(Path(tmp), docs, fingerprint="bench", extra=[build_search_parts], n_jobs=1)
        si = search_index(load_index(Path(tmp)))
        ours, base = search_ranker(si), baseline_ranker(docs)
        print(f"{len(docs):,} papers; {len(question_set)} questions, {len(title_set)} title "
              "queries", file=sys.stderr)
        for name, qs in (("questions", question_set), ("titles", title_set)):
            figures = {who: evaluate(rank, qs) for who, rank in (("search", ours),
                                                                 ("baseline", base))}
            for who, values in figures.items():
                for metric, value in values.items():
                    print(f"quality_{name}_{who}_{metric}: {value:.3f} fraction")
            for metric, short in (("ndcg_at_10", "ndcg"), ("recall_at_100", "recall")):
                ratio = figures["search"][metric] / max(figures["baseline"][metric], 1e-9)
                print(f"quality_{name}_{short}_vs_baseline: {ratio:.3f} x")
        print(f"quality_word_forms_top50_overlap: {word_form_overlap(ours):.3f} fraction")
        print(f"quality_word_forms_top50_overlap_baseline: {word_form_overlap(base):.3f} fraction")
    print(f"quality_total_seconds: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
