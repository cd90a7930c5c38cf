"""What dropping the mapped pages of a loaded index costs (recommend/mapped_pages.py).

    .venv/bin/python bench/mapped_pages.py --index ~/.cache/papersift-bench/scale-1000000/data/index

Loads the current version of an existing index (read only), reads every part through its
mapping twice (the first read may come from disk, the second is all in RSS), then drops the
pages and reads everything again (minor faults from the page cache): RSS at each point, the
time of each read and of the drop itself.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommend.index import Index, load_index  # noqa: E402
from recommend.mapped_pages import drop_mapped_pages, resident_mb  # noqa: E402


def arrays_of(index: Index) -> list[np.ndarray]:
    """Every mapped array of the version."""
    found = [index.ids, index.published, index.primary_category, index.categories,
             index.vocabulary, index.idf, index.df]
    for part in [index.matrix, *index.parts.values()]:
        found.extend([part.data, part.indices, part.indptr] if hasattr(part, "indptr") else [part])
    return found


def read_every_page(arrays: list[np.ndarray]) -> float:
    """Seconds to touch one byte in every 4 KB page of every array."""
    started = time.perf_counter()
    for array in arrays:
        raw = np.asarray(array).reshape(-1).view(np.uint8)
        int(raw[::4096].sum(dtype=np.uint64))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="an index root (read only)")
    args = parser.parse_args()
    index = load_index(args.index)
    if index is None:
        sys.exit(f"no index version under {args.index}")
    arrays = arrays_of(index)
    print(f"mapped_parts: {len(arrays)} ({sum(a.nbytes for a in arrays) / 2**20:,.0f} MB)")
    print(f"rss_loaded: {resident_mb():,.0f} MB")
    print(f"first_read: {read_every_page(arrays):.2f} s")
    print(f"warm_read: {read_every_page(arrays):.2f} s (rss {resident_mb():,.0f} MB)")
    started = time.perf_counter()
    n = drop_mapped_pages()
    print(f"drop: {(time.perf_counter() - started) * 1000:.1f} ms for {n} mappings "
          f"(rss {resident_mb():,.0f} MB)")
    print(f"read_after_drop: {read_every_page(arrays):.2f} s (rss {resident_mb():,.0f} MB)")
    started = time.perf_counter()
    drop_mapped_pages()
    print(f"drop_again: {(time.perf_counter() - started) * 1000:.1f} ms "
          f"(rss {resident_mb():,.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
