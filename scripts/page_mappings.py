"""Which mapped index parts one page maps into a web worker's RSS, and how many MB each.

    .venv/bin/python scripts/page_mappings.py --store ~/.cache/papersift-bench/scale-1000000/data

Serves the pages of an existing data dir in this process (the app with the Flask test
client, read only, page cache off, worker RSS cap off), drawn as bench/scale.py draws them.
After a few warm-up requests per page kind, before each request every mapped part's pages
are dropped (recommend/mapped_pages.py), and after it /proc/self/smaps gives the RSS of
each mapping of the index version's files: what that one page mapped, part by part. Prints
per page kind and part the mean and the largest MB over the requests (parts under 1 MB
left out), the whole of them, how many file reads (`os.preadv`: row_reads) a page made and
its time. To measure another checkout's code, copy this file into its scripts/ folder and
run it there (its folder comes first on sys.path).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import PAGES, SERVER_ENV, page_paths  # noqa: E402

from recommend.mapped_pages import drop_mapped_pages  # noqa: E402


def mapped_rss_kb(under: str) -> dict[str, int]:
    """RSS (kB) of this process's mappings of files under `under`, by file name."""
    out: dict[str, int] = defaultdict(int)
    current = None
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):     # a mapping's header line
                fields = line.split()
                current = fields[5] if len(fields) > 5 and fields[5].startswith(under) else None
            elif current and first == "Rss:":
                out[Path(current).name.removesuffix(".npy")] += int(line.split()[1])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a data dir (read only)")
    parser.add_argument("--requests", type=int, default=20, help="requests per page kind")
    parser.add_argument("--pages", nargs="*", choices=PAGES,
                        default=["paper", "search", "phrase_cat", "trends"])
    args = parser.parse_args()
    os.environ.update({**SERVER_ENV, "PAPERSIFT_WORKER_RSS_MB": "0"})
    from app import create_app

    app = create_app({"data_dir": str(args.store.resolve())})
    client = app.test_client()
    paths = page_paths(args.store.resolve(), args.requests)
    under = str((args.store / "index").resolve())
    reads = [0]
    preadv = os.preadv

    def counted(fd: int, buffers: list, position: int) -> int:
        reads[0] += 1
        return preadv(fd, buffers, position)

    os.preadv = counted
    for kind in args.pages:
        for path in paths[kind][:3]:
            client.get(path)
        grown: dict[str, list[float]] = defaultdict(list)
        totals, n_reads, ms = [], [], []
        for path in paths[kind]:
            drop_mapped_pages()
            before = mapped_rss_kb(under)
            reads[0], started = 0, time.perf_counter()
            response = client.get(path)
            ms.append((time.perf_counter() - started) * 1000)
            n_reads.append(reads[0])
            if response.status_code != 200:
                sys.exit(f"{path}: HTTP {response.status_code}")
            after = mapped_rss_kb(under)
            for part in after:
                grown[part].append((after[part] - before.get(part, 0)) / 1024)
            totals.append(sum(after.values()) / 1024 - sum(before.values()) / 1024)
        print(f"{kind}: mapped parts' RSS after one page: mean {np.mean(totals):.1f} MB, "
              f"max {max(totals):.1f} MB ({len(totals)} requests); file reads a page: mean "
              f"{np.mean(n_reads):.0f}, max {max(n_reads)}; ms: p50 {np.percentile(ms, 50):.1f}")
        for part, mbs in sorted(grown.items(), key=lambda kv: -np.mean(kv[1])):
            if max(mbs) >= 1:
                print(f"  {part}: mean {np.mean(mbs):.1f} MB, max {max(mbs):.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
