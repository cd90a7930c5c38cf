"""What dropping the mapped pages of a loaded index costs (recommend/mapped_pages.py).

    .venv/bin/python bench/mapped_pages.py --index ~/.cache/papersift-bench/scale-1000000/data/index
    .venv/bin/python bench/mapped_pages.py      # make bench: an index of the bundled sample

Loads the current version of an existing index (read only; without --index, one built
from the bundled sample in a temporary folder), reads every part through its mapping
twice (the first read may come from disk, the second is all in RSS), then drops the pages
and reads everything again (minor faults from the page cache): RSS at each point, the
time of each read and of the drop itself.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from recommend.index import Index, build_index, load_index  # noqa: E402
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
    parser.add_argument("--index", type=Path, help="an index root (read only)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="papersift-mapped-") as scratch:
        index = load_index(args.index) if args.index else _sample_index(Path(scratch))
        if index is None:
            sys.exit(f"no index version under {args.index}")
        measure(arrays_of(index))
    return 0


def measure(arrays: list[np.ndarray]) -> None:
    print(f"mapped_pages_parts: {len(arrays)}")
    print(f"mapped_pages_mapped_mb: {sum(a.nbytes for a in arrays) / 2**20:.0f} MB")
    print(f"mapped_pages_first_read_seconds: {read_every_page(arrays):.2f} s")
    print(f"mapped_pages_warm_read_seconds: {read_every_page(arrays):.2f} s")
    print(f"mapped_pages_rss_read_mb: {resident_mb():.0f} MB")
    started = time.perf_counter()
    drop_mapped_pages()
    print(f"mapped_pages_drop_ms: {(time.perf_counter() - started) * 1000:.1f} ms")
    print(f"mapped_pages_rss_dropped_mb: {resident_mb():.0f} MB")
    print(f"mapped_pages_read_after_drop_seconds: {read_every_page(arrays):.2f} s")


def _sample_index(root: Path) -> Index | None:
    """An index of the bundled sample (4,001 papers), built into `root`."""
    from _data import corpus

    from recommend.index import Doc
    from recommend.text import document

    with gzip.open(corpus(), "rt", encoding="utf-8") as src:
        docs = [Doc(p["id"], date.fromisoformat(p["listing_date"][:10]), tuple(p["categories"]),
                    document(p["title"], p["summary"]), title=p["title"])
                for p in map(json.loads, src)]
    build_index(root, docs, fingerprint="bench", sample_docs=len(docs))
    return load_index(root)


if __name__ == "__main__":
    sys.exit(main())
