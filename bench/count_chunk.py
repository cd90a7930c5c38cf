"""Documents counted per second by the search build's `count_chunk`, against the
one-document-at-a-time reference, on the same chunks in the same run.

    .venv/bin/python bench/count_chunk.py                # 8,000 synthetic papers
    .venv/bin/python bench/count_chunk.py --n 20000 --rounds 3
    .venv/bin/python bench/count_chunk.py --code-root /tmp/papersift-main --rounds 2

The papers are bench/index_build.py's synthetic ones (resampled real sentences under real
titles, rare words respelled) with real author lists, cut into chunks of CHUNK_DOCS as
the build cuts them. Each chunk is counted by the reference
(tests/helpers/chunk_reference.py, the code this replaced) and by `count_chunk`,
alternating which goes first, in one process; the outputs are checked equal. Documents
per second are per CPU second of this process (the time.process_time() each call took), so
other work on a busy machine sways them less than wall time; the wall time is printed too.
The last lines print one figure each as `name: value unit`. With --store DATA_DIR the
papers are instead --n stored ones (from the --skip-th, oldest first), read and chunked
as the build reads them.

--code-root names a checkout of other papersift code (e.g. `git archive main`): then the
chunks are pickled once and each code's `count_chunk` counts all of them in a fresh
process (its stem cache empty, as a build's worker starts), alternating, --rounds times
each; there is no output check across checkouts (the reference is this checkout's). A
second fresh process per code and round counts one chunk as large as CHUNK_CHARS allows
(160 texts of up to 100,000 characters, the papers' texts joined) and reports how far its peak RSS
rose over the peak before it.
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# papersift's modules are imported inside the functions: with --measure, the code named
# by --code-root must come first on sys.path before any of them is imported
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def make_chunks(n: int) -> list[list]:
    """n synthetic papers as the build's chunks of (text, title, authors, categories)."""
    from _data import corpus
    from index_build import read_jsonl, synthetic_docs

    from recommend.search_runs import CHUNK_DOCS
    authors = [tuple(r["authors"]) for r in read_jsonl(corpus())]
    docs = [(d.text, d.text.partition(" . ")[0], authors[i % len(authors)], d.categories)
            for i, d in enumerate(synthetic_docs(n))]
    return [docs[i:i + CHUNK_DOCS] for i in range(0, len(docs), CHUNK_DOCS)]


def store_chunks(data_dir: Path, start: int, n: int) -> list[list]:
    """n papers of the store in `data_dir` from its start-th (oldest first), as the build
    reads them (title, abstract, full text) and cuts them into chunks."""
    from itertools import islice

    from config import load_settings
    from ingest.indexing import index_doc
    from recommend.search_runs import chunk_inputs
    from store.db import make_engine
    from store.papers import iter_index_docs

    engine = make_engine(load_settings({}, data_dir=data_dir))
    with engine.connect() as conn:
        docs = [index_doc(d) for d in islice(iter_index_docs(conn), start, start + n)]
    engine.dispose()
    return list(chunk_inputs(docs))


def _same(a, b) -> bool:
    arrays = [(p.terms.blob, p.terms.offsets, p.matrix.data, p.matrix.indices, p.matrix.indptr)
              for p in (*a.fields.values(), *b.fields.values())]
    half = len(arrays) // 2
    return (all(x.tobytes() == y.tobytes() and x.dtype == y.dtype
                for mine, theirs in zip(arrays[:half], arrays[half:], strict=True)
                for x, y in zip(mine, theirs, strict=True))
            and a.lengths.tobytes() == b.lengths.tobytes()
            and a.title_keys.tobytes() == b.title_keys.tobytes() and a.evidence == b.evidence)


def _count_in_this_process(chunks_file: Path, big: bool) -> dict:
    """CPU seconds of this process's `count_chunk` (from the code first on sys.path) over
    the pickled chunks; or, if `big`, its peak RSS over one chunk as large as CHUNK_CHARS
    allows (160 texts of up to 100,000 characters, the papers' texts joined)."""
    from recommend import search_runs

    chunks = pickle.loads(chunks_file.read_bytes())
    out = {"code": search_runs.__file__, "n_docs": sum(len(c) for c in chunks)}
    if not big:
        started = time.process_time()
        for chunk in chunks:
            search_runs.count_chunk(chunk)
        return {**out, "cpu_seconds": time.process_time() - started}
    docs = [d for chunk in chunks for d in chunk]
    texts = [(" ".join(d[0] for d in docs[i::160])[:100_000], *docs[i][1:]) for i in range(160)]
    del docs, chunks
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    search_runs.count_chunk(texts)
    return {**out, "big_chunk_chars": sum(len(t[0]) for t in texts),
            "big_chunk_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            - before}


def _measure_in_fresh_process(chunks_file: Path, root: Path, big: bool) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--measure", str(chunks_file),
           "--code-root", str(root)] + (["--big"] if big else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def compare_checkouts(chunks: list[list], other: Path, rounds: int) -> None:
    """This checkout's count_chunk against `other`'s, each in fresh processes, alternating."""
    codes = [("this", ROOT), ("other", other.resolve())]
    seconds = {name: 0.0 for name, _ in codes}
    peaks: dict[str, list[float]] = {name: [] for name, _ in codes}
    with tempfile.TemporaryDirectory() as tmp:
        chunks_file = Path(tmp) / "chunks.pkl"
        chunks_file.write_bytes(pickle.dumps(chunks))
        for round_no in range(rounds):
            for name, root in codes if round_no % 2 == 0 else codes[::-1]:
                r, b = (_measure_in_fresh_process(chunks_file, root, big) for big in (False, True))
                seconds[name] += r["cpu_seconds"]
                peaks[name].append(b["big_chunk_peak_mb"])
                print(f"# {name} ({r['code']}): {r['n_docs']:,} papers, "
                      f"{r['cpu_seconds']:.1f} CPU s; a chunk of {b['big_chunk_chars']:,} "
                      f"characters: peak RSS {b['big_chunk_peak_mb']:.0f} MB over the "
                      "process's peak before it", flush=True)
    n_docs = rounds * sum(len(c) for c in chunks)
    for name, _ in codes:
        print(f"count_chunk_{name}_code_docs_per_cpu_s: {n_docs / seconds[name]:.0f} docs/s")
        print(f"count_chunk_{name}_code_big_chunk_peak: {max(peaks[name]):.0f} MB")
    print(f"count_chunk_speedup_over_other_code: {seconds['other'] / seconds['this']:.2f} x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8000, help="synthetic papers (8000)")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the chunks (1)")
    parser.add_argument("--code-root", type=Path, help="other papersift code to compare")
    parser.add_argument("--store", type=Path, metavar="DATA_DIR",
                        help="count stored papers of this data folder, not synthetic ones")
    parser.add_argument("--skip", type=int, default=0,
                        help="with --store: stored papers passed over first (0)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--big", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:    # one measurement, in this fresh process, with the named code
        sys.path.insert(0, str(args.code_root.resolve()))
        print(json.dumps(_count_in_this_process(args.measure, args.big)))
        return 0
    chunks = (store_chunks(args.store, args.skip, args.n) if args.store
              else make_chunks(args.n))
    if args.code_root:
        compare_checkouts(chunks, args.code_root, args.rounds)
        return 0
    return compare_with_reference(chunks, args.rounds)


def compare_with_reference(chunks: list[list], rounds: int) -> int:
    """count_chunk against the per-document reference, chunk by chunk in this process."""
    from recommend.search_runs import CHUNK_DOCS, count_chunk
    from tests.helpers.chunk_reference import reference_count_chunk

    count_chunk(chunks[0][:20])     # imports and warm-up outside the timings
    reference_count_chunk(chunks[0][:20])
    seconds = {"reference": 0.0, "count_chunk": 0.0}
    wall = dict(seconds)
    codes = [("reference", reference_count_chunk), ("count_chunk", count_chunk)]
    for round_no in range(rounds):
        for k, chunk in enumerate(chunks):
            out = {}
            for name, code in codes if (round_no + k) % 2 == 0 else codes[::-1]:
                started, cpu = time.perf_counter(), time.process_time()
                out[name] = code(chunk)
                seconds[name] += time.process_time() - cpu
                wall[name] += time.perf_counter() - started
            if not _same(out["reference"], out["count_chunk"]):
                sys.exit(f"chunk {k}: count_chunk differs from the reference")
    n_docs = rounds * sum(len(c) for c in chunks)
    print(f"# {n_docs:,} papers in chunks of {CHUNK_DOCS:,}, one process; outputs equal; wall "
          f"time: reference {wall['reference']:.1f} s, count_chunk {wall['count_chunk']:.1f} s")
    for name in ("reference", "count_chunk"):
        print(f"count_chunk_{name}_docs_per_cpu_s: {n_docs / seconds[name]:.0f} docs/s")
    print(f"count_chunk_speedup: {seconds['reference'] / seconds['count_chunk']:.2f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
