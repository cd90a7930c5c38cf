"""papersift at scale: import, index, a 2,000-paper update and the pages, at N papers.

    .venv/bin/python bench/scale.py --papers 100000            # the figures in docs/scaling.md
    .venv/bin/python bench/scale.py --papers 30000 --requests 50   # make bench's size
    .venv/bin/python bench/scale.py --papers 1000000           # long mode (~30 min to build)
    .venv/bin/python bench/scale.py --papers 300000 --baseline-root /tmp/papersift-main
    .venv/bin/python bench/scale.py --papers 100000 --full-texts 30000   # issue 21's full texts

The corpus is bench/index_build.py's: each abstract a run of real sentences from the
bundled sample (or BENCH_CORPUS), under a real title and categories, with rare words
respelled per paper so the vocabulary grows with N; dates spread over ten years
(2016-2025) and authors drawn from the real author lists. Steps, each a `papersift`
command in its own process (time and peak RSS):

1. `papersift import` of the N papers into a new SQLite store; with --full-texts K, K of
   them (seeded) are then given a synthetic full text of 30-60k characters (real sentences
   resampled, rare words respelled: `index_build.synthetic_fulltexts`), stored as an
   extraction stores it (`store.fulltext.record_result`); the cache is scale-N-ftK;
2. `papersift index` (the full build; its stage log, each stage's time and peak memory,
   is kept with the figures and printed under them; the peaks of its anonymous and its
   file-backed RSS are sampled every 20 ms);
3. the update: `papersift import` of 2,000 newer papers, then `papersift index` again,
   which updates the index incrementally (the bench stops if it rebuilt instead; the
   drift limit is lifted, PAPERSIFT_INDEX_REFIT_DRIFT=1, as 2,000 papers pass the
   default 5% below 40k papers);
4. the pages through gunicorn with 2 sync workers, as a logged-out visitor gets them:
   browse, browse of a category within the last year, a paper page, a search, a quoted
   phrase within a category, trends, a category's new papers ("new only") and a category's
   feed (these two over every category in turn), and the author page of a paper's last
   author; --requests each (>= 50), p50 and p95 of the wall
   time per request seen by the client. The page cache is on, as by default, and every
   measured URL is asked once, after warm-up requests for other URLs: each is a miss, so
   the time is the cache key's look-ups plus the rendering (`--env
   PAPERSIFT_PAGE_CACHE_SECONDS=0` leaves the look-ups out). Then RSS, PSS and USS per
   web worker from /proc/PID/smaps_rollup (the index is memory-mapped: its pages are
   shared between workers and count in RSS but only in part in PSS).

The store and index are cached between runs in $PAPERSIFT_BENCH_CACHE (default
~/.cache/papersift-bench) under scale-N, with each step's figures as it ends: a later run
skips the steps done, prints their figures as comments, and measures the pages again
(--fresh rebuilds; --no-update stops before step 3, which a later run then does).

--baseline-env VAR=VALUE (repeatable) serves the same data dir with this checkout's code a
second time, with those settings, its requests alternating with the first server's, whose
own settings --env gives (the worker memory cap on and off:
`--env PAPERSIFT_WORKER_RSS_MB=1024 --baseline-env PAPERSIFT_WORKER_RSS_MB=0`).

--baseline-root names another papersift checkout (e.g. the files of main:
`git archive main --prefix=papersift-main/ | tar -x -C /tmp`): it serves a copy of the same
store (migrated down to that checkout's schema) and the same index, and its requests
alternate with this checkout's, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _proc_memory import memory_mb, sampled_peaks  # noqa: E402
from _scale_corpus import UPDATE_PAPERS, store_fulltexts, write_corpus  # noqa: E402

SERVER_ENV = {"PAPERSIFT_SCHEDULER": "0",
              "PAPERSIFT_QUERY_RATE_LIMIT": "1000000 per minute", "PAPERSIFT_LOG_LEVEL": "WARNING",
              "SECRET_KEY": "bench-scale-secret"}
# the drift limit lifted (as bench/index_update.py): below 40k papers the 2,000-paper update
# passes the default 5% and `papersift index` would refit instead of updating
BUILD_ENV = {"PAPERSIFT_INDEX_REFIT_DRIFT": "1", "PAPERSIFT_LOG_LEVEL": "INFO"}
PAGES = ("browse", "browse_cat_year", "paper", "search", "phrase_cat", "trends", "browse_cat_new", "feed",
         "author")
WARM_UP = 3      # requests per page kind before the measured ones, for URLs not measured


def cache_dir(n: int, named: Path | None, full_texts: int = 0) -> Path:
    base = named or Path(os.environ.get("PAPERSIFT_BENCH_CACHE")
                         or Path.home() / ".cache" / "papersift-bench")
    return base / (f"scale-{n}-ft{full_texts}" if full_texts else f"scale-{n}")


# -- build steps -------------------------------------------------------------------------


def papersift(data_dir: Path, *args: str) -> dict:
    """Run `papersift ARGS` on data_dir in a child process: seconds, CPU seconds (its
    worker processes' too: on a shared machine the figure that load does not stretch) and
    peak RSS (MB)."""
    env = {**os.environ, "PAPERSIFT_DATA_DIR": str(data_dir), **SERVER_ENV, **BUILD_ENV}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "papersift"), *args], env=env,
                                stdout=out, stderr=err, text=True)
        sampled = sampled_peaks(proc)
        out.seek(0), err.seek(0)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"papersift {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peak = after.ru_maxrss
    # ru_maxrss of children is the largest child so far: only a new maximum is this step's own
    # the build's stage log ("index stage features: 61.2 s, peak RSS so far 912 MB")
    stages = [line.split("papersift.index: ", 1)[-1] for line in done.stderr.splitlines()
              if "index stage " in line]
    return {"seconds": seconds, "cpu_seconds": cpu,
            "peak_mb": peak / 1024 if peak > before.ru_maxrss else None,
            "output": done.stdout.strip().splitlines()[-1:], "stages": stages, **sampled}


STEPS = ("import", "fulltext", "index", "update_import", "update_index")
# cached stores of another format are rebuilt: format 1's update_index was a full rebuild
CACHE_FORMAT = 2


def build(n: int, where: Path, steps: tuple[str, ...], full_texts: int = 0
          ) -> tuple[dict, set[str]]:
    """Run the build steps not yet done into where/data (each step's figures are saved in
    where/build.json as it ends, so an interrupted build resumes); (figures, steps run now).
    The fulltext step gives `full_texts` of the papers a full text (none: skipped)."""
    data, saved = where / "data", where / "build.json"
    figures: dict = json.loads(saved.read_text()) if saved.is_file() else {}
    if figures.get("format") != CACHE_FORMAT:    # built by a papersift whose index rebuilt
        figures = {"format": CACHE_FORMAT}
        shutil.rmtree(where, ignore_errors=True)
        data.mkdir(parents=True)
    ran = set()
    for step in steps:
        if step in figures or (step == "fulltext" and not full_texts):
            continue
        figures[step] = (store_fulltexts(data, full_texts) if step == "fulltext"
                         else _papersift_step(n, where, step))
        ran.add(step)
        saved.write_text(json.dumps(figures))
        print(f"# {step}: {figures[step]['seconds']:.1f} s {figures[step]['output']}", flush=True)
    return figures, ran


def _papersift_step(n: int, where: Path, step: str) -> dict:
    """An import (of a corpus written here) or an index step, run by `papersift`."""
    source = where / f"{step}.jsonl.gz"
    if step.endswith("import"):
        t, main = time.perf_counter(), step == "import"
        write_corpus(source, n if main else UPDATE_PAPERS, seed=0 if main else 1,
                     first_year=2016 if main else 2026)
        print(f"# {step}: corpus written in {time.perf_counter() - t:.0f} s", flush=True)
    figures = papersift(where / "data", *(("import", str(source)) if source.exists() else ("index",)))
    source.unlink(missing_ok=True)
    if step == "update_index" and not figures["output"][0].startswith("Updated"):
        shutil.rmtree(where, ignore_errors=True)     # the next run builds it again
        sys.exit(f"update_index: expected an incremental update, got {figures['output']}")
    return figures


def label_of(n: int, full_texts: int = 0) -> str:
    """scale_100k, or scale_100k_ft30k with full texts."""
    return f"scale_{n // 1000}k" + (f"_ft{full_texts // 1000}k" if full_texts >= 1000 else
                                     f"_ft{full_texts}" if full_texts else "")


def print_build(label: str, figures: dict, ran: set[str]) -> None:
    for step, fig in figures.items():
        if step == "format":
            continue
        peak = f"{fig['peak_mb']:.0f}" if fig.get("peak_mb") else "?"
        if step not in ran:
            print(f"# {label}_{step}_seconds (cached from an earlier run): {fig['seconds']:.1f} s, "
                  f"peak {peak} MB")
            continue
        print(f"{label}_{step}_seconds: {fig['seconds']:.1f} s")
        if fig.get("cpu_seconds"):
            print(f"{label}_{step}_cpu_seconds: {fig['cpu_seconds']:.1f} s")
        if fig.get("peak_mb"):
            print(f"{label}_{step}_peak_rss: {fig['peak_mb']:.0f} MB")
        for what in ("anon", "file"):
            if fig.get(f"peak_{what}_mb"):
                print(f"{label}_{step}_peak_{what}: {fig[f'peak_{what}_mb']:.0f} MB")
        for line in fig.get("stages", []):
            print(f"#   {line}")


# -- serving -----------------------------------------------------------------------------


def baseline_data(data: Path, copy: Path, code_root: Path) -> Path:
    """A data dir for other code: a copy of the store at that code's schema, the same index."""
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    for entry in data.iterdir():
        if not entry.name.startswith("papersift.db"):
            (copy / entry.name).symlink_to(entry)
    source, target = sqlite3.connect(data / "papersift.db"), sqlite3.connect(copy / "papersift.db")
    source.backup(target)
    source.close()
    target.close()
    heads = sorted(p.name[:4] for p in (code_root / "store" / "migrations" / "versions").glob("0*.py"))
    from alembic import command

    import config
    from store.db import make_engine
    from store.migrations import alembic_config

    engine = make_engine(config.load_settings({}, data_dir=str(copy)))
    with engine.begin() as conn:
        cfg = alembic_config(conn)
        command.downgrade(cfg, heads[-1])
    engine.dispose()
    return copy


class Server:
    """gunicorn with 2 workers serving data_dir with the code at code_root."""

    def __init__(self, code_root: Path, data_dir: Path, settings: dict[str, str] | None = None
                 ) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {**os.environ, "PAPERSIFT_DATA_DIR": str(data_dir), **SERVER_ENV, **(settings or {})}
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "python"), "-m", "gunicorn", "--config",
             str(code_root / "gunicorn.conf.py"), "--chdir", str(code_root), "--bind",
             f"127.0.0.1:{self.port}", "--workers", "2", "--max-requests", "0",
             "--access-logfile", "/dev/null"],
            env=env, cwd=code_root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"gunicorn ended: {self.proc.stderr.read().decode()[-3000:]}")
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=5).read()
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        sys.exit("gunicorn did not answer /healthz within 300 s")

    def get_ms(self, path: str) -> float:
        started = time.perf_counter()
        with urllib.request.urlopen(self.base + path, timeout=120) as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
        return (time.perf_counter() - started) * 1000

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def page_paths(data_dir: Path, k: int, seed: int = 7) -> dict[str, list[str]]:
    """k request paths per page kind, drawn (seeded) from the store and real titles."""
    from search import queries

    rng = random.Random(seed)
    db = sqlite3.connect(f"file:{data_dir / 'papersift.db'}?mode=ro", uri=True)
    n = db.execute("SELECT max(rowid) FROM papers").fetchone()[0]
    ids, names = [], []
    while len(ids) < k:
        row = db.execute("SELECT id, authors FROM papers WHERE rowid = ?",
                         (rng.randint(1, n),)).fetchone()
        if row:
            ids.append(row[0])
            names.extend(json.loads(row[1])[-1:])      # the last author: often a senior one
    every_cat = [c for (c,) in db.execute(
        "SELECT category FROM paper_categories GROUP BY category ORDER BY count(*) DESC")]
    cats = every_cat[:8]
    db.close()
    words = queries(k * 3, seed=seed)
    two_words = [q for q in words if len(q.split()) == 2]
    first_words = list(dict.fromkeys(w.split()[0] for w in queries(k * 6, seed=seed)))
    q = urllib.parse.quote
    paths = {
        "browse": [f"/?page={1 + i % 4}" for i in range(k)],
        "browse_cat_year": [f"/?cat={cats[i % len(cats)]}&window=year" for i in range(k)],
        "paper": [f"/paper/{pid}" for pid in ids],
        "search": [f"/search?q={q(w)}" for w in words[:k]],
        "phrase_cat": [f"/search?q={q(chr(34) + w + chr(34))}&cat={cats[i % len(cats)]}"
                       for i, w in enumerate(two_words[:k])],
        "trends": [f"/trends?q={q(w)}" for w in first_words[:k]],
        # every category in turn, the rarest too: a category's new papers, and its feed
        "browse_cat_new": [f"/?cat={every_cat[i % len(every_cat)]}&show=new" for i in range(k)],
        "feed": [f"/feed/category/{every_cat[i % len(every_cat)]}" for i in range(k)],
        "author": [f"/author?name={q(name)}" for name in names],
    }
    # each URL once, so that each request is a page-cache miss: where a page repeats, an
    # argument it ignores (`smooth` is the trends chart's) makes the URL new
    return {kind: [f"{p}{'&' if '?' in p else '?'}smooth={i}" if kind != "trends" else p
                   for i, p in enumerate(kind_paths)] for kind, kind_paths in paths.items()}


def measure_pages(servers: dict[str, Server], paths: dict[str, list[str]]) -> dict:
    """Per server and page kind, the request times (ms); requests alternate between servers."""
    times: dict[str, dict[str, list[float]]] = {name: defaultdict(list) for name in servers}
    for kind, kind_paths in paths.items():
        measured, warm_up = kind_paths[:-WARM_UP], kind_paths[-WARM_UP:]
        for server in servers.values():   # first loads of the index, imports; never a cache hit
            for path in warm_up:
                server.get_ms(path)
        for i, path in enumerate(measured):
            order = list(servers.items())
            for name, server in order if i % 2 == 0 else reversed(order):
                times[name][kind].append(server.get_ms(path))
    return times


def report_pages(label: str, name: str, times: dict[str, list[float]], server: Server) -> None:
    label += "" if name == "this" else f"_{name}"
    for kind in PAGES:
        if kind in times:
            p50, p95 = np.percentile(times[kind], [50, 95])
            print(f"{label}_{kind}_p50: {p50:.1f} ms")
            print(f"{label}_{kind}_p95: {p95:.1f} ms")
    for i, pid in enumerate(sorted(server.workers())):
        mem = memory_mb(pid)
        for what in ("rss", "pss", "uss", "anon", "peak_rss"):
            print(f"{label}_worker{i + 1}_{what}: {mem[what]:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000, help="corpus size (100000)")
    parser.add_argument("--requests", type=int, default=60, help="requests per page kind (60)")
    parser.add_argument("--cache-dir", type=Path, help="where stores are kept between runs")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached store")
    parser.add_argument("--no-update", action="store_true",
                        help="leave the 2,000-paper update for a later run (pages before it)")
    parser.add_argument("--baseline-root", type=Path, help="other papersift code to compare")
    parser.add_argument("--pages", nargs="*", choices=PAGES, default=list(PAGES))
    parser.add_argument("--full-texts", type=int, default=0, metavar="K",
                        help="give K of the papers a synthetic full text (30-60k characters)")
    parser.add_argument("--env", action="append", default=[], metavar="VAR=VALUE",
                        help="a setting of this checkout's server (repeatable)")
    parser.add_argument("--baseline-env", action="append", default=[], metavar="VAR=VALUE",
                        help="serve the same data dir with this code a second time, with this "
                             "setting (repeatable); requests alternate")
    parser.add_argument("--store", type=Path,
                        help="time the pages of this existing data dir (no build; --papers labels)")
    args = parser.parse_args(argv)
    if args.papers < 1000 or args.requests < 1 or not 0 <= args.full_texts <= args.papers:
        parser.error("--papers must be at least 1000, --requests at least 1 and "
                     "--full-texts between 0 and --papers")
    where = cache_dir(args.papers, args.cache_dir, args.full_texts)
    if args.store:
        data, where = args.store.resolve(), Path(tempfile.mkdtemp(prefix="papersift-scale-"))
    else:
        if args.fresh:
            shutil.rmtree(where, ignore_errors=True)
        figures, ran = build(args.papers, where, STEPS[:3] if args.no_update else STEPS,
                             args.full_texts)
        print_build(label_of(args.papers, args.full_texts), figures, ran)
        data = where / "data"
    other = args.baseline_root.resolve() if args.baseline_root else None
    other_data = baseline_data(data, where / "baseline-data", other) if other else None
    servers = {"this": Server(ROOT, data, _settings(args.env))}
    try:
        if other and other_data:
            servers["baseline"] = Server(other, other_data)
        elif args.baseline_env:
            servers["baseline"] = Server(ROOT, data, _settings(args.baseline_env))
        paths = {k: v for k, v in page_paths(data, args.requests + WARM_UP).items()
                 if k in args.pages}
        times = measure_pages(servers, paths)
        for name, server in servers.items():
            report_pages(label_of(args.papers, args.full_texts), name, times[name], server)
    finally:
        for server in servers.values():
            server.stop()
        if args.store:
            shutil.rmtree(where, ignore_errors=True)
    return 0


def _settings(pairs: list[str]) -> dict[str, str]:
    """VAR=VALUE arguments as an environment mapping."""
    return dict(pair.split("=", 1) for pair in pairs)


if __name__ == "__main__":
    sys.exit(main())
