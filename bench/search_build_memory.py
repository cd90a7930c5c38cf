"""Peak memory of the search builder alone, on bench/index_build.py's synthetic papers.

    .venv/bin/python bench/search_build_memory.py --n 60000
    .venv/bin/python bench/search_build_memory.py --n 60000 --code-root /tmp/papersift-merge

The documents are made once and pickled; each measurement runs `build_search_parts(None,
docs, n_jobs=2)` in a fresh process with the named code and reports the process's peak
RSS less its RSS with the documents loaded (the builder's own memory), and the time.
Given --code-root, this checkout and that one alternate, --rounds times each.
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


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(docs_file: Path) -> dict:
    """One build of the search parts, in this (fresh) process."""
    from recommend.search_build import build_search_parts

    docs = pickle.loads(docs_file.read_bytes())
    before = _rss_mb()
    started = time.perf_counter()
    parts = build_search_parts(None, docs, n_jobs=2)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"code": sys.modules["recommend.search_build"].__file__,
            "n": len(docs), "terms": len(parts["search_terms_offsets"]) - 1,
            "words": len(parts["search_surface_offsets"]) - 1,
            "builder_mb": peak - before, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60_000, help="synthetic papers (60000)")
    parser.add_argument("--code-root", type=Path, help="other papersift code to compare")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    sys.path.insert(0, str(ROOT / "bench"))
    from index_build import synthetic_docs

    codes = [("this", ROOT)] + ([("other", args.code_root.resolve())] if args.code_root else [])
    with tempfile.TemporaryDirectory() as tmp:
        docs_file = Path(tmp) / "docs.pkl"
        docs_file.write_bytes(pickle.dumps(synthetic_docs(args.n)))
        for _ in range(args.rounds):
            for name, code in codes:
                cmd = [sys.executable, "-c", "import runpy, sys; sys.path.insert(0, sys.argv[1]); "
                       "sys.argv = sys.argv[2:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                       str(code), str(Path(__file__).resolve()), "--measure", str(docs_file)]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=code)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"# {name} ({r['code']}): {r['n']:,} papers, {r['terms']:,} terms, "
                      f"{r['words']:,} words, {r['seconds']:.1f} s", flush=True)
                print(f"search_build_{args.n // 1000}k_{name}_memory: {r['builder_mb']:.0f} MB",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
