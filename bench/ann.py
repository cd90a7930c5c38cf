"""The approximate nearest-neighbour index at scale, beside the exact products it replaces.

Synthetic clustered unit vectors (dim 256, as the default encoder gives; no model needed for
these figures) are written as an index version's vectors (recommend/index_vectors.py), then:
- the ANN index is built as the embedding stage builds it (recommend/ann.py): build time,
  disk, and the process's peak RSS;
- per query, interleaved with the exact product over the mapped float32 file (the baseline
  in the same run): semantic search (top 100 above cosine 0.3, the fusion's vector list),
  the same within a filter allowing a quarter of the papers (a category), and the vector
  side of similar papers (a paper's 10 nearest); p95 of each, and recall@10 against exact;
- RSS the loaded index adds to a serving process;
- encode throughput of the default encoder on the bundled sample's real abstracts.

    .venv/bin/python bench/ann.py [--papers 1000000] [--queries 200] [--encode 2000]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._data import corpus, open_text  # noqa: E402
from recommend.ann import ANN_FILE, AnnIndex, build_ann, load_ann  # noqa: E402
from recommend.embedding import load_default_encoder  # noqa: E402
from recommend.hybrid import nearest_vectors  # noqa: E402
from recommend.index_vectors import load_vectors, write_vectors  # noqa: E402

MIN_COSINE = 0.3              # services/semantic_search.py's floor for a vector hit


def clustered_rows(n: int, dim: int, *, clusters: int = 2_000, seed: int = 0) -> np.ndarray:
    """Unit rows around `clusters` random centres (topics), float32, made a chunk at a time."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        noise = rng.standard_normal((size, dim)).astype(np.float32)
        out[start:start + size] = centres[rng.integers(0, clusters, size)] + 0.9 * noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1e3
    return float("nan")


def anonymous_mb() -> float:
    """This process's anonymous (private, unshareable) memory in MB."""
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1]) / 1e3
    return float("nan")


def loaded_memory(version: Path, n: int) -> tuple[float, float]:
    """(RSS, private memory) in MB that loading the ANN index and answering 50 queries add to
    a fresh process (a serving worker); the mapped file's pages count in RSS but are shared."""
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; import numpy as np; "
              "from bench.ann import rss_mb, anonymous_mb; from recommend.ann import load_ann; import faiss; "
              "r, p = rss_mb(), anonymous_mb(); a = load_ann(Path(sys.argv[2]), int(sys.argv[3]), 'bench'); "
              "q = np.random.default_rng(0).standard_normal((50, a.meta['dim'])).astype(np.float32); "
              "[a.search(v / np.linalg.norm(v), 100) for v in q]; print(rss_mb() - r, anonymous_mb() - p)")
    out = subprocess.run([sys.executable, "-c", script, str(ROOT), str(version), str(n)],
                         capture_output=True, text=True, check=True)
    rss, private = out.stdout.strip().splitlines()[-1].split()
    return float(rss), float(private)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def recall(approx: list[tuple[int, float]], exact: list[tuple[int, float]], k: int = 10) -> float:
    truth = {row for row, _ in exact[:k]}
    return len(truth & {row for row, _ in approx[:k]}) / max(len(truth), 1)


def per_query(dense: np.ndarray, ann, queries: np.ndarray, rows: np.ndarray, allowed: np.ndarray) -> dict:
    times: dict[str, list[float]] = {}
    recalls: dict[str, list[float]] = {}
    cases = [("search", lambda q, r: (q, 100, None, MIN_COSINE)),
             ("search_filtered", lambda q, r: (q, 100, allowed, MIN_COSINE)),
             ("similar", lambda q, r: (np.asarray(dense[r]), 11, None, 0.0))]
    for query, row in zip(queries, rows, strict=True):
        for name, args in cases:
            q, k, mask, floor = args(query, row)
            exact_t, exact = timed(lambda q=q, k=k, m=mask, f=floor:
                                   nearest_vectors(dense, q, k, allowed=m, min_score=f))
            ann_t, approx = timed(lambda q=q, k=k, m=mask, f=floor:
                                  nearest_vectors(dense, q, k, allowed=m, min_score=f, ann=ann))
            times.setdefault(f"{name}_exact", []).append(exact_t)
            times.setdefault(f"{name}_ann", []).append(ann_t)
            recalls.setdefault(name, []).append(recall(approx, exact))
    return {"times": times, "recalls": recalls}


def encode_throughput(n: int) -> tuple[int, float] | None:
    """(abstracts, seconds) the default encoder takes for n real abstracts of the sample."""
    import json

    encoder = load_default_encoder()
    if encoder is None:
        return None
    with open_text(corpus()) as fh:
        texts = [f"{r.get('title', '')}. {r.get('abstract', '')}" for r in map(json.loads, fh)]
    sample = random.Random(1).sample(texts, min(n, len(texts)))
    encoder.encode(sample[:32])                       # table loaded, caches warm
    seconds, _ = timed(lambda: encoder.encode(sample))
    return len(sample), seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=200_000)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--encode", type=int, default=2_000, help="real abstracts to encode (0: skip)")
    ap.add_argument("--probes", default="", help="also measure search at these probe counts (e.g. 8,16)")
    args = ap.parse_args()
    n = args.papers
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        version = Path(tmp)
        write_vectors(version, "bench", clustered_rows(n, args.dim))
        dense = load_vectors(version, n).dense
        build_s, _ = timed(lambda: build_ann(version, dense, model="bench", seed=0))
        build_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        ann_rss, ann_private = loaded_memory(version, n)
        ann = load_ann(version, n, "bench")
        rows = rng.choice(n, args.queries, replace=False)
        noise = rng.standard_normal((args.queries, args.dim)).astype(np.float32) * 0.02
        queries = np.asarray(dense[rows]) + noise
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        allowed = rng.random(n) < 0.25
        found = per_query(dense, ann, queries, rows, allowed)
        print(f"synthetic vectors: {n:,} x {args.dim} float32 (clustered), {ann.meta['cells']:,} cells, "
              f"{ann.probes} probed; {args.queries} queries, exact and ANN interleaved")
        print(f"ann_build_seconds: {build_s:.1f} s")
        print(f"ann_build_peak_rss: {build_peak:.0f} MB")
        print(f"ann_disk: {(version / ANN_FILE).stat().st_size / 1e6:.0f} MB")
        print(f"ann_serving_rss_after_50_queries: {ann_rss:.0f} MB")
        print(f"ann_serving_private_mb: {ann_private:.0f} MB")
        for name, values in found["times"].items():
            print(f"ann_{name}_p95: {np.percentile(values, 95) * 1e3:.1f} ms")
        for name, values in found["recalls"].items():
            print(f"ann_{name}_recall_at_10: {np.mean(values):.3f} fraction")
        for probes in [int(p) for p in args.probes.split(",") if p]:
            tuned = AnnIndex(ann.index, {**ann.meta, "nprobe": probes})
            swept = per_query(dense, tuned, queries, rows, allowed)
            print(f"ann_probes_{probes}_search_p95: "
                  f"{np.percentile(swept['times']['search_ann'], 95) * 1e3:.1f} ms")
            recall_at_10 = np.mean(swept["recalls"]["search"])
            print(f"ann_probes_{probes}_search_recall_at_10: {recall_at_10:.3f} fraction")
    if args.encode:
        measured = encode_throughput(args.encode)
        if measured is not None:
            docs, seconds = measured
            print(f"encode_default_docs_per_second: {docs / seconds:.0f} docs/s")
            print(f"encode_default_2000_abstracts_seconds: {seconds * 2000 / docs:.1f} s")


if __name__ == "__main__":
    main()
