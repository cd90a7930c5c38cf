"""Incremental search update vs a full search build, and the disk cost of the update state.

    .venv/bin/python bench/search_update.py                   # 10k papers + 2,000 new
    .venv/bin/python bench/search_update.py --n 100000        # the figures in docs
    .venv/bin/python bench/search_update.py --n 300000
    .venv/bin/python bench/search_update.py --n 20000 --remove 500   # also drop papers

The base corpus is `bench/index_build.py`'s synthetic one (real sentences resampled,
rare words respelled so the vocabulary grows with n). The base's search parts are built,
written as an index version's parts and memory-mapped back; then, in the same run,
`update_search_parts` adds the 2,000 new papers (and drops `--remove` random ones) and
`build_search_parts` builds the same papers in full (the baseline). The two results are
checked equal. Disk cost: bytes per paper of the search parts, with and without the
update state, on the bundled sample corpus and on the base corpus.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from index_build import sample_docs, synthetic_docs  # noqa: E402

from recommend.index import read_part, write_part  # noqa: E402
from recommend.search_build import build_search_parts  # noqa: E402
from recommend.search_update import STATE_PARTS, update_search_parts  # noqa: E402

STATE = {f"search_{name}" for name in STATE_PARTS}


class Stub:
    """The attributes of recommend.index.Index that the search builder and updater read."""

    def __init__(self, ids, parts=None) -> None:
        self.ids, self.parts = np.asarray(ids), parts or {}

    def __len__(self) -> int:
        return len(self.ids)


def nbytes(part) -> int:
    if sparse.issparse(part):
        return part.data.nbytes + part.indices.nbytes + part.indptr.nbytes
    return np.asarray(part).nbytes


def disk_cost(parts: dict, n: int) -> tuple[float, float]:
    """Bytes per paper of the search parts without and with the update state."""
    state = sum(nbytes(v) for k, v in parts.items() if k in STATE)
    total = sum(nbytes(v) for v in parts.values())
    return (total - state) / n, total / n


def mapped(parts: dict, directory: Path) -> dict:
    """The parts written as an index version writes them and memory-mapped back."""
    kinds = {name: write_part(directory, name, value) for name, value in parts.items()}
    return {name: read_part(directory, name, kind) for name, kind in kinds.items()}


def same(a: dict, b: dict) -> bool:
    if sorted(a) != sorted(b):
        return False
    for name, value in b.items():
        other = a[name]
        pairs = ([(getattr(other, x), getattr(value, x)) for x in ("indptr", "indices", "data")]
                 if sparse.issparse(value) else [(other, value)])
        if not all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in pairs):
            print(f"  differs: {name}")
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000,
                    help="papers in the base index (10k keeps `make bench` short)")
    ap.add_argument("--new", type=int, default=2_000, help="papers added by the update")
    ap.add_argument("--remove", type=int, default=0, help="base papers the update drops")
    args = ap.parse_args()

    name, sample = sample_docs()
    before, after = disk_cost(build_search_parts(Stub([d.id for d in sample]), sample),
                              len(sample))
    print(f"sample corpus ({name}, {len(sample)} papers): search parts {before:,.0f} B/paper, "
          f"with update state {after:,.0f} B/paper (+{after / before - 1:.0%})")

    docs = synthetic_docs(args.n + args.new)
    base_docs, new_docs = docs[:args.n], docs[args.n:]
    keep = np.ones(args.n, dtype=bool)
    keep[np.random.default_rng(1).choice(args.n, size=args.remove, replace=False)] = False
    result = [d for d, k in zip(base_docs, keep, strict=True) if k] + new_docs
    t = time.perf_counter()
    base_parts = build_search_parts(Stub([d.id for d in base_docs]), base_docs)
    base_seconds = time.perf_counter() - t
    before, after = disk_cost(base_parts, args.n)
    print(f"base: {args.n:,} papers built in {base_seconds:.1f} s; search parts "
          f"{before:,.0f} B/paper, with update state {after:,.0f} B/paper "
          f"(+{after / before - 1:.0%})")
    with tempfile.TemporaryDirectory() as tmp:
        base = Stub([d.id for d in base_docs], mapped(base_parts, Path(tmp)))
        del base_parts
        new_index = Stub([d.id for d in result])
        t = time.perf_counter()
        updated = update_search_parts(base, keep, new_docs, new_index)
        update_seconds = time.perf_counter() - t
        t = time.perf_counter()
        full = build_search_parts(new_index, result)
        full_seconds = time.perf_counter() - t
        equal = same(updated, full)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"update: +{args.new:,} -{args.remove:,} papers into {args.n:,}; "
          f"peak RSS of the run (builds included) {peak:,.0f} MB")
    print(f"search_update_seconds: {update_seconds:.2f} s")
    print(f"search_full_build_seconds: {full_seconds:.2f} s")
    print(f"search_update_speedup: {full_seconds / update_seconds:.1f} x")
    print(f"search_update_equals_full_build: {int(equal)}")
    print(f"search_update_state_share: {after / before - 1:.2f} fraction")
    if not equal:
        sys.exit(1)


if __name__ == "__main__":
    main()
