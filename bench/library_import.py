"""Library import speed: a 2,000-entry BibTeX file into one user's library, network excluded.

The store is the bundled sample corpus (4,001 real papers, or BENCH_CORPUS), imported and
indexed once into --data-dir. The .bib is written from real papers of that store in the
shapes reference managers export, so every matching path is exercised:

- 40%: @misc with eprint + archivePrefix (matched by arXiv id)
- 15%: an arXiv DOI (10.48550/arXiv.*) only
- 15%: an arxiv.org URL or an "arXiv:..." note only
- 20%: title only, exactly as stored, with braces and a LaTeX accent (exact title match)
- 10%: title only with one word dropped (fuzzy title match over the search index)

plus keywords on every entry (tags). Fetching from arXiv is off (`fetch=False`): the
figure is parsing, matching and writing the library. The import runs twice (a fresh
library, then the same file again, which must add nothing).

    .venv/bin/python bench/library_import.py [--entries 2000] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _data import corpus  # noqa: E402


def bib_entry(i: int, row: dict, rng: random.Random) -> str:
    kind = rng.random()
    title = " ".join(row["title"].split())
    keywords = f"keywords = {{bench, topic {i % 7}}}"
    if kind < 0.40:
        body = f"title = {{{title}}},\n  eprint = {{{row['id']}}},\n  archivePrefix = {{arXiv}}"
    elif kind < 0.55:
        body = f"title = {{{title}}},\n  doi = {{10.48550/arXiv.{row['id']}}}"
    elif kind < 0.70:
        body = (f"title = {{{title}}},\n  url = {{https://arxiv.org/abs/{row['id']}v1}}" if i % 2 else
                f"title = {{{title}}},\n  note = {{arXiv:{row['id']} [cs.LG]}}")
    elif kind < 0.90:
        words = title.split()
        words[0] = "{" + words[0] + "}"
        body = f"title = {{{' '.join(words)}}},\n  author = {{M{{\\\"u}}ller, J. and Doe, A.}}"
    else:
        words = title.split()
        if len(words) > 6:
            del words[len(words) // 2]
        body = f"title = {{{' '.join(words)}}}"
    return f"@article{{entry{i},\n  {body},\n  {keywords}\n}}\n"


def write_bib(rows: list[dict], n: int, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    chosen = rng.sample(rows, min(n, len(rows)))
    return "\n".join(bib_entry(i, row, rng) for i, row in enumerate(chosen)).encode()


def prepare(data_dir: Path):
    from app import create_app
    from ingest import indexing
    from ingest.pipeline import import_files

    app = create_app({"data_dir": str(data_dir), "scheduler_enabled": False})
    engine = app.extensions["papersift.engine"]
    settings = app.config["SETTINGS"]
    if not (settings.index_dir / "current").exists():
        import_files(engine, [corpus()], progress=False)
        indexing.build(engine, settings, force=True)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-libimport-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    app = prepare(data_dir)
    engine = app.extensions["papersift.engine"]
    settings = app.config["SETTINGS"]

    from ingest.library_import import import_library
    from recommend.index import load_index
    from store.users import create_user, find_user

    with gzip.open(corpus(), "rt") as fh:
        rows = [json.loads(line) for line in fh]
    bib = write_bib(rows, args.entries)
    name = f"bench{int(time.time())}"      # a fresh, empty library on every run
    with engine.begin() as conn:
        user = find_user(conn, name) or create_user(conn, name, "a long bench password")
    index = load_index(settings.index_dir)
    started = time.perf_counter()
    report = import_library(engine, settings, user.id, bib, "bench.bib", index=index, fetch=False)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = import_library(engine, settings, user.id, bib, "bench.bib", index=index, fetch=False)
    second = time.perf_counter() - started
    print(f"# {report.summary()}; again: {len(again.added)} added, {len(again.already)} already",
          file=sys.stderr)
    print(f"library_import_entries: {report.entries} count")
    print(f"library_import_matched_share: {len(report.matched) / report.entries:.3f}")
    print(f"library_import_{args.entries}_seconds: {first:.2f} s")
    print(f"library_reimport_{args.entries}_seconds: {second:.2f} s")


if __name__ == "__main__":
    main()
