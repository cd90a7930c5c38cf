"""Documents counted per second by the search build's `count_chunk`, against the
one-document-at-a-time reference, on the same chunks in the same run.

    .venv/bin/python bench/count_chunk.py                # 8,000 synthetic papers
    .venv/bin/python bench/count_chunk.py --n 20000 --rounds 3

The papers are bench/index_build.py's synthetic ones (resampled real sentences under real
titles, rare words respelled) with real author lists, cut into chunks of CHUNK_DOCS as
the build cuts them. Each chunk is counted by the reference
(tests/helpers/chunk_reference.py, the code this replaced) and by `count_chunk`,
alternating which goes first, in one process; the outputs are checked equal. Documents
per second are per CPU second of this process (the time.process_time() each call took), so
other work on a busy machine sways them less than wall time; the wall time is printed too.
The last lines print one figure each as `name: value unit`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _data import corpus  # noqa: E402
from index_build import read_jsonl, synthetic_docs  # noqa: E402

from recommend.search_runs import CHUNK_DOCS, count_chunk  # noqa: E402
from tests.helpers.chunk_reference import reference_count_chunk  # noqa: E402


def make_chunks(n: int) -> list[list]:
    """n synthetic papers as the build's chunks of (text, title, authors, categories)."""
    authors = [tuple(r["authors"]) for r in read_jsonl(corpus())]
    docs = [(d.text, d.text.partition(" . ")[0], authors[i % len(authors)], d.categories)
            for i, d in enumerate(synthetic_docs(n))]
    return [docs[i:i + CHUNK_DOCS] for i in range(0, len(docs), CHUNK_DOCS)]


def _same(a, b) -> bool:
    arrays = [(p.terms.blob, p.terms.offsets, p.matrix.data, p.matrix.indices, p.matrix.indptr)
              for p in (*a.fields.values(), *b.fields.values())]
    half = len(arrays) // 2
    return (all(x.tobytes() == y.tobytes() and x.dtype == y.dtype
                for mine, theirs in zip(arrays[:half], arrays[half:], strict=True)
                for x, y in zip(mine, theirs, strict=True))
            and a.lengths.tobytes() == b.lengths.tobytes()
            and a.title_keys.tobytes() == b.title_keys.tobytes() and a.evidence == b.evidence)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8000, help="synthetic papers (8000)")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the chunks (1)")
    args = parser.parse_args()
    chunks = make_chunks(args.n)
    count_chunk(chunks[0][:20])     # imports and warm-up outside the timings
    reference_count_chunk(chunks[0][:20])
    seconds = {"reference": 0.0, "count_chunk": 0.0}
    wall = dict(seconds)
    codes = [("reference", reference_count_chunk), ("count_chunk", count_chunk)]
    for round_no in range(args.rounds):
        for k, chunk in enumerate(chunks):
            out = {}
            for name, code in codes if (round_no + k) % 2 == 0 else codes[::-1]:
                started, cpu = time.perf_counter(), time.process_time()
                out[name] = code(chunk)
                seconds[name] += time.process_time() - cpu
                wall[name] += time.perf_counter() - started
            if not _same(out["reference"], out["count_chunk"]):
                sys.exit(f"chunk {k}: count_chunk differs from the reference")
    n_docs = args.rounds * sum(len(c) for c in chunks)
    print(f"# {n_docs:,} papers in chunks of {CHUNK_DOCS:,}, one process; outputs equal; wall "
          f"time: reference {wall['reference']:.1f} s, count_chunk {wall['count_chunk']:.1f} s")
    for name in ("reference", "count_chunk"):
        print(f"count_chunk_{name}_docs_per_cpu_s: {n_docs / seconds[name]:.0f} docs/s")
    print(f"count_chunk_speedup: {seconds['reference'] / seconds['count_chunk']:.2f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
