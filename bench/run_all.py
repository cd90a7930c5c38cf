"""Run every benchmark and write the figures table of docs/benchmarks.md (`make bench`).

    .venv/bin/python bench/run_all.py                 # everything, ~10 minutes on 2 cores
    .venv/bin/python bench/run_all.py --only load search
    .venv/bin/python bench/run_all.py --list
    .venv/bin/python bench/run_all.py --long --only ann   # LONG_SIZES: ann and scale at 1M papers

Each bench/*.py (and bench/load.sh) runs in a fresh process with the arguments in SIZES,
chosen so the whole run fits in about ten minutes on two cores; a bench not listed runs
with its defaults. Figures are the `name: value unit` lines a bench prints. A bench that
is missing, fails or times out gets a row saying so, and the others still run.

The table in docs/benchmarks.md between the two `bench-table` markers is rewritten:
rows of the benches run now are replaced, rows from other benches (or added by hand)
are kept. Each figure is compared with its target (TARGETS) and marked met or missed.
"""

from __future__ import annotations

import argparse
import fcntl
import operator
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DOC = ROOT / "docs" / "benchmarks.md"
PYTHON = ROOT / ".venv" / "bin" / "python"
START, END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"
HEADER = "| What | Figure | Target | Command |\n|---|---|---|---|"

# bench name -> (arguments, environment, time limit in seconds). The limits add up to less
# than 45 minutes (tests/ops/test_bench_runner.py). Repeats are trimmed where the figure keeps
# its meaning: percentiles over hundreds of calls, wrk over thousands of requests a page,
# medians over several fresh processes, each beside its baseline in the same run.
SIZES: dict[str, tuple[list[str], dict[str, str], int]] = {
    "extract": (["--rounds", "2"], {}, 240),              # best of 2 alternating rounds
    "trends": (["--n", "100000", "--queries", "500"], {}, 300),
    "index_build": ([], {}, 300),                         # the sample and 100k abstracts
    "search": (["--papers", "100000", "--queries", "300"], {}, 480),
    "load": ([], {"LOAD_SECONDS": "15"}, 300),            # 5 pages x 15 s of wrk
    "browse": (["--repeat", "40"], {}, 300),              # builds search's 100k store if absent
    "cli_startup": (["--runs", "6", "--baseline-runs", "3"], {}, 120),  # ~80 s loaded
    # small enough for make bench's budget (~20 s loaded); the 1M figures are `--long`'s
    "ann": (["--papers", "30000", "--queries", "60", "--encode", "1000"], {}, 59),
    # 30k papers: ~6 min loaded the first time (store cached in ~/.cache/papersift-bench),
    # ~1 min after; the 1M figures are `--long`'s
    "scale": (["--papers", "30000", "--requests", "50"], {}, 600),
}
# `--long`: the sizes the targets are stated for, beyond make bench's ten minutes
LONG_SIZES: dict[str, tuple[list[str], dict[str, str], int]] = {
    "ann": (["--papers", "1000000", "--queries", "200"], {}, 1800),  # ~8 min quiet, ~15 loaded
    "scale": (["--papers", "1000000"], {}, 5400),
}
DEFAULT_LIMIT = 300
FIGURE = re.compile(r"^([A-Za-z][\w.-]*):\s+(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?:\s+(\S+))?$")

_TIME = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0}
_SIZE = {"kb": 1 / 1024, "mb": 1.0, "gb": 1024.0}
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq}


@dataclass(frozen=True)
class Target:
    pattern: str
    op: str
    value: float
    unit: str

    def check(self, value: float, unit: str) -> bool | None:
        """True/False when comparable (after unit conversion), None when units differ."""
        mine, theirs = self.unit.lower(), unit.lower()
        for table in (_TIME, _SIZE):
            if mine in table and theirs in table:
                return _OPS[self.op](value * table[theirs], self.value * table[mine])
        if mine == theirs or (mine == "" and theirs):
            return _OPS[self.op](value, self.value)
        return None

    def text(self) -> str:
        return f"{self.op} {self.value:g} {self.unit}".strip()


TARGETS = (
    Target(r"index_build_100k_seconds", "<", 60, "s"),
    Target(r"index_build_100k_peak_rss", "<", 3, "GB"),
    Target(r"search_rank_p95", "<", 5, "ms"),
    Target(r"search_rank_1_2_words_p95", "<", 5, "ms"),
    Target(r"search_question_rank_p95", "<", 25, "ms"),
    Target(r"quality_\w+_ndcg_vs_baseline", ">", 1, "x"),
    Target(r"quality_\w+_recall_vs_baseline", ">=", 1, "x"),
    Target(r"quality_word_forms_top50_overlap", ">=", 0.8, "fraction"),
    Target(r"search_speedup_p95", ">=", 10, "x"),
    Target(r"search_request_p95", "<", 30, "ms"),
    Target(r"\w*pool_speedup\w*", ">=", 1.7, "x"),
    Target(r"reco\w*cold\w*", "<", 1.5, "s"),
    Target(r"reco\w*warm\w*p95\w*", "<", 30, "ms"),
    Target(r"\w*svm\w*(over|vs|beats)\w*centroid\w*", ">", 1, "x"),
    Target(r"trends_series_p95", "<", 2, "ms"),
    Target(r"trends_hot(_any_month|_category)?_p95", "<", 200, "ms"),
    Target(r"load_\w+_errors", "=", 0, "count"),
    Target(r"cli_(help|config)_median", "<", 0.3, "s"),
    Target(r"cli_(status|search)_median", "<", 1, "s"),
    Target(r"library_import_2000_seconds", "<", 10, "s"),
    Target(r"search_update_equals_full_build", "=", 1, ""),

    Target(r"ann_(search|search_filtered|similar)_ann_p95", "<", 30, "ms"),
    Target(r"ann_\w+_recall_at_10", ">=", 0.95, "fraction"),
    Target(r"encode_default_2000_abstracts_seconds", "<", 120, "s"),

    Target(r"scale_\w+_browse(_cat_year|_cat_new)?_p95", "<", 50, "ms"),
    Target(r"scale_\w+_paper_p95", "<", 60, "ms"),
    Target(r"scale_\w+_(search|phrase_cat)_p95", "<", 100, "ms"),
    Target(r"scale_\w+_trends_p95", "<", 30, "ms"),
    Target(r"scale_\w+_worker\d_(peak_)?rss", "<", 1.5, "GB"),
    Target(r"scale_1000k_update_index_seconds", "<", 60, "s"),
    Target(r"scale_1000k_index_seconds", "<", 600, "s"),
    Target(r"scale_1000k_index_peak_rss", "<", 6, "GB"),
)


def target_for(name: str) -> Target | None:
    return next((t for t in TARGETS if re.fullmatch(t.pattern, name)), None)


@dataclass
class Result:
    bench: str
    command: str
    figures: list[tuple[str, float, str]]
    status: str                       # ok | failed (...) | timed out (...)
    seconds: float


def discover() -> dict[str, Path]:
    found = {p.stem: p for p in sorted(BENCH.glob("*.py"))
             if p.name != Path(__file__).name and not p.name.startswith("_")}
    for script in sorted(BENCH.glob("*.sh")):
        found[script.stem] = script
    return found


def command_for(name: str, path: Path, long: bool = False) -> tuple[list[str], dict[str, str], int]:
    sizes = {**SIZES, **LONG_SIZES} if long else SIZES
    args, env, limit = sizes.get(name, ([], {}, DEFAULT_LIMIT))
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    runner = ["bash", str(path)] if path.suffix == ".sh" else [python, str(path)]
    return runner + args, env, limit


def shown_command(argv: list[str], env: dict[str, str]) -> str:
    parts = [f"{k}={v}" for k, v in env.items()]
    parts += [os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a for a in argv]
    parts[len(env)] = ".venv/bin/python" if parts[len(env)].endswith("python") else parts[len(env)]
    return " ".join(parts)


def parse_figures(stdout: str) -> list[tuple[str, float, str]]:
    figures = []
    for line in stdout.splitlines():
        match = FIGURE.match(line.strip())
        if match:
            figures.append((match.group(1), float(match.group(2)), (match.group(3) or "").strip()))
    return figures


def run_bench(name: str, path: Path, log_dir: Path, long: bool = False) -> Result:
    argv, extra_env, limit = command_for(name, path, long)
    shown = shown_command(argv, extra_env)
    print(f"== {name}: {shown} (limit {limit} s)", file=sys.stderr, flush=True)
    started = time.monotonic()
    log = log_dir / f"{name}.log"
    try:
        proc = subprocess.run(argv, cwd=ROOT, env={**os.environ, **extra_env}, capture_output=True,
                              text=True, timeout=limit)
    except subprocess.TimeoutExpired as exc:
        log.write_text(_text(exc.stdout) + _text(exc.stderr))
        return Result(name, shown, parse_figures(_text(exc.stdout)), f"timed out after {limit} s",
                      time.monotonic() - started)
    log.write_text(proc.stdout + proc.stderr)
    status = "ok" if proc.returncode == 0 else f"failed (exit {proc.returncode}): {_last_line(proc.stderr)}"
    return Result(name, shown, parse_figures(proc.stdout), status, time.monotonic() - started)


def _text(value: str | bytes | None) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else (value or "")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[-1][:120] if lines else "no output").replace("|", "/")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def rows_for(result: Result) -> list[str]:
    rows = []
    for name, value, unit in result.figures:
        target = target_for(name)
        if target is None:
            verdict = "-"
        else:
            ok = target.check(value, unit)
            verdict = target.text() + ("" if ok is None else (" met" if ok else " **missed**"))
        rows.append(f"| `{name}` | {f'{_fmt(value)} {unit}'.strip()} | {verdict} | `{result.command}` |")
    if result.status != "ok":
        rows.append(f"| bench/{result.bench}: {result.status} | - | runs and prints figures | "
                    f"`{result.command}` |")
    return rows


def merge_table(old_rows: list[str], results: list[Result]) -> list[str]:
    """Rows of re-run benches replaced, every other row kept, in the old order first."""
    rerun = {r.bench for r in results}

    def bench_of(row: str) -> str | None:
        match = re.search(r"bench/(\w+)\.(?:py|sh)", row)
        return match.group(1) if match else None

    kept = [row for row in old_rows if bench_of(row) not in rerun]
    return kept + [row for r in results for row in rows_for(r)]


def merge_notes(old_notes: list[str], note: str, partial: bool) -> list[str]:
    """A full run's note replaces every note; a partial run's replaces the notes of earlier
    partial runs it covers and keeps the rest (so each row's run stays named)."""
    if not partial:
        return [note]
    rerun = set(_only_names(note))
    kept = [n for n in old_notes if not (_only_names(n) and set(_only_names(n)) <= rerun)]
    return kept + [note]


def _only_names(note: str) -> list[str]:
    match = re.search(r"--only ([\w ]+)`", note)
    return match.group(1).split() if match else []


def write_doc(results: list[Result], note: str) -> None:
    """Rewrite the table under a lock, so two runs at once (--only) never lose rows."""
    DOC.parent.mkdir(parents=True, exist_ok=True)
    with open(DOC, "a") as lock:                     # the doc itself is the lock
        fcntl.flock(lock, fcntl.LOCK_EX)
        _rewrite_doc(results, note)


def _rewrite_doc(results: list[Result], note: str) -> None:
    text = DOC.read_text() if DOC.exists() and DOC.stat().st_size else _new_doc()
    if START not in text or END not in text:
        text = text.rstrip() + f"\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    table, tail = rest.split(END, 1)
    old_rows = [line for line in table.splitlines()
                if line.startswith("|") and not line.startswith(("| What", "|---"))]
    old_notes = [line for line in table.splitlines() if line.startswith("Last ")]
    notes = merge_notes(old_notes, note, partial="--only" in note)
    rows = merge_table(old_rows, results)
    body = "\n" + "\n".join(notes) + f"\n\n{HEADER}\n" + "\n".join(rows) + "\n"
    DOC.write_text(head + START + body + END + tail)


def _new_doc() -> str:
    return ("# Benchmarks\n\nFigures from `make bench` (bench/run_all.py): each benchmark in a "
            "fresh process, one row per figure.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benches")
    parser.add_argument("--list", action="store_true", help="list the benches and exit")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    parser.add_argument("--long", action="store_true",
                        help="the benches of LONG_SIZES at full size (ann and scale at 1M papers)")
    args = parser.parse_args(argv)
    benches = discover()
    if args.list:
        for name, path in benches.items():
            print(f"{name}: {shown_command(*command_for(name, path, args.long)[:2])}")
        return 0
    names = args.only or list(benches)
    log_dir = ROOT / "bench" / "logs"
    log_dir.mkdir(exist_ok=True)
    load = os.getloadavg()[0]
    results = []
    for name in names:
        path = benches.get(name)
        if path is None:
            results.append(Result(name, f"bench/{name}.py", [], "missing", 0.0))
            continue
        results.append(run_bench(name, path, log_dir, args.long))
    long = " --long" if args.long else ""
    which = ("`make bench`" if not args.only
             else f"`bench/run_all.py{long} --only {' '.join(names)}`")
    note = (f"Last {which}: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"load average {load:.1f} at the start (other jobs share the machine); "
            f"{sum(r.seconds for r in results):.0f} s in all. Logs: bench/logs/.")
    if not args.no_write:
        write_doc(results, note)
    for r in results:
        print(f"# {r.bench}: {r.status} in {r.seconds:.0f} s", file=sys.stderr)
        for name, value, unit in r.figures:
            print(f"{name}: {value:g} {unit}".rstrip())
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
