"""CLI start-up: how long `papersift` takes to answer, before and after lazy imports.

Each command runs `--runs` times (default 10) as a fresh process on the bundled 4,001-paper
sample; `cli_<command>_median` is the median wall-clock time from process start to exit,
`cli_<command>_cpu_median` the median CPU time (user + system) of the process, which
leaves out waiting for a core when other jobs share the machine:

- help: `papersift --help`
- config: `papersift config`
- status: `papersift status`
- search: `papersift search neural networks` (one-shot: start, load the index, rank, print)

Baseline, measured in the same run and interleaved with the current code so both see the
same load: the same commands on papersift as it was before the start-up work (commit
BASELINE, extracted with `git archive` into a temporary folder and run with this
virtualenv), when every command, `--help` included, built the whole app and imported
numpy, scipy and scikit-learn first. Its figures are the `_before_` rows, medians of
--baseline-runs (default 5: each run takes ~2.5 s, and the whole bench must fit in
`make bench`'s time limit on a loaded machine).

The sample store and index are built once into --data-dir with `papersift bootstrap`.

    .venv/bin/python bench/cli_startup.py [--runs 10] [--baseline-runs 5] [--data-dir DIR]
                                          [--baseline COMMIT]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BASELINE = "8069635"            # the last commit before the CLI start-up work
COMMANDS = {
    "help": ["--help"],
    "config": ["config"],
    "status": ["status"],
    "search": ["search", "neural", "networks"],
}
# how the baseline tree is started: its own `app.cli`, as its console script did
RUN_TREE = "import sys; from app import cli; sys.exit(cli.main(prog_name='papersift'))"


def current_argv(args: list[str]) -> list[str]:
    """The installed `papersift` script, as a user runs it."""
    return [str(BIN / "papersift"), *args]


def baseline_argv(args: list[str]) -> list[str]:
    return [sys.executable, "-c", RUN_TREE, *args]


def extract(commit: str, dest: Path) -> bool:
    """The tree of `commit` in `dest`; False when git cannot give it (no history here)."""
    proc = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True)
    if proc.returncode != 0:
        print(f"no baseline: git archive {commit}: {proc.stderr.decode().strip()}", file=sys.stderr)
        return False
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return True


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run of `argv`."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr.decode()}")
    return elapsed, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bootstrap(env: dict[str, str]) -> None:
    print("building the sample store and index (papersift bootstrap)...", file=sys.stderr)
    subprocess.run(current_argv(["bootstrap"]), env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def measure(runs: int, baseline_runs: int, env: dict[str, str],
            tree: Path | None) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds per run for each command and its baseline, interleaved run by run."""
    times: dict[str, list[tuple[float, float]]] = {}
    for run in range(runs):
        for name, args in COMMANDS.items():
            times.setdefault(name, []).append(timed(current_argv(args), env, ROOT))
            if tree is not None and run < baseline_runs:
                base_env = {**env, "PYTHONPATH": str(tree)}
                times.setdefault(f"{name}_before", []).append(timed(baseline_argv(args), base_env, tree))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per command")
    parser.add_argument("--baseline-runs", type=int, default=5, help="fresh processes per baseline command")
    parser.add_argument("--data-dir", type=Path, help="store and index (default: a temporary folder)")
    parser.add_argument("--baseline", default=BASELINE, help="commit to compare with")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items()       # the bench's own SQLite store, no Redis
               if not k.startswith(("PAPERSIFT_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PYTHONPATH"))}
        env.update(PAPERSIFT_DATA_DIR=str(data_dir), PAPERSIFT_SCHEDULER="0")
        bootstrap(env)
        tree = Path(tmp) / "baseline"
        tree.mkdir()
        times = measure(args.runs, args.baseline_runs, env, tree if extract(args.baseline, tree) else None)
    for name, values in times.items():
        print(f"cli_{name}_median: {statistics.median(wall for wall, _ in values):.3f} s")
        print(f"cli_{name}_cpu_median: {statistics.median(cpu for _, cpu in values):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
