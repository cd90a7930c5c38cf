"""The papers that explain a trends keyword (`recommend.trend_papers.term_papers`) on an
existing store's index: time per call, and with --baseline-root the same calls made by
another checkout's module, interleaved, the answers compared.

    .venv/bin/python bench/trend_papers.py --store ~/.cache/papersift-bench/scale-2900000/data \
        --baseline-root /work/main

Keywords are the first words of bench/search.py's queries (seed 7, as `bench/scale.py`'s
trends page), asked four ways each: the page's default (newest month, all papers), an
earlier month, the largest category, and 50 papers instead of 5. The index is loaded
memory-mapped as a web worker loads it; it is only read. Without --store, the store
`bench/scale.py` caches at `make bench`'s size (scale-30000) is used when it exists, and
nothing is measured when it does not. The last lines print one figure each as
`name: value unit`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search import queries  # noqa: E402

from recommend import trend_papers  # noqa: E402
from recommend.index import load_index  # noqa: E402
from recommend.text import stems  # noqa: E402
from recommend.trends import TrendTable  # noqa: E402


def other_module(root: Path):
    """recommend/trend_papers.py of another checkout, over this checkout's table."""
    spec = importlib.util.spec_from_file_location("baseline_trend_papers",
                                                  root / "recommend" / "trend_papers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a data dir with an index (scale-30000's)")
    parser.add_argument("--keywords", type=int, default=60, help="keywords asked (60)")
    parser.add_argument("--baseline-root", type=Path, help="other papersift code to compare")
    args = parser.parse_args(argv)
    store = args.store or Path(os.environ.get("PAPERSIFT_BENCH_CACHE")
                               or Path.home() / ".cache" / "papersift-bench") / "scale-30000" / "data"
    if not (store / "index").is_dir():
        print(f"# no index at {store}: run bench/scale.py first, or name one with --store")
        return 0
    index = load_index(store / "index")
    table = TrendTable.from_index(index)
    if table is None:
        sys.exit("this index has no trend table")
    columns = index.column_of
    modules = {"this": trend_papers}
    if args.baseline_root:
        modules["baseline"] = other_module(args.baseline_root.resolve())
    words = [q.split()[0] for q in queries(args.keywords * 3, seed=7)[:args.keywords]]
    earlier = table.months[max(0, len(table.months) - 21)]
    asked = [{}, {"month": earlier}, {"category": str(table.cats[0])}, {"n": 50}]
    times: dict[str, list[float]] = {name: [] for name in modules}
    differ = 0
    for i, word in enumerate(words):
        term = " ".join(w or "" for w in stems([word]))
        for kw in asked:
            answers = {}
            for name in (list(modules) if i % 2 == 0 else list(reversed(modules))):
                started = time.perf_counter()
                answers[name] = modules[name].term_papers(table, term, matrix=index.matrix,
                                                          column_of=columns, **kw)
                times[name].append((time.perf_counter() - started) * 1000)
            differ += len({tuple(a) for a in answers.values()}) > 1
    print(f"# {table.n_papers:,} papers, {len(words)} keywords x {len(asked)} questions")
    for name, ms in times.items():
        label = "trend_papers" + ("" if name == "this" else f"_{name}")
        p50, p95 = np.percentile(ms, [50, 95])
        print(f"{label}_p50: {p50:.1f} ms")
        print(f"{label}_p95: {p95:.1f} ms")
        print(f"{label}_max: {max(ms):.1f} ms")
    if len(modules) > 1:
        print(f"trend_papers_answers_differing: {differ} calls")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
