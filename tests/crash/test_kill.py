"""SIGKILL `papersift import` and `papersift index` mid-way, then look at what survived.

A power cut or the OOM killer gives no chance to clean up. Afterwards the database must
open and pass SQLite's integrity check, a user's library must be exactly as it was, the
site's current index must still be the old complete version, and running the same
command again must finish the job.
"""

from __future__ import annotations

import gzip
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import config
from app import create_app
from domain.index_files import current_version, index_info
from recommend.index import load_index
from store.db import open_store
from store.library import library_ids, paper_tag_names
from store.runs import latest_runs
from store.users import find_user
from tests.helpers.crash import TAG, Baseline, papersift, papersift_command, papersift_env
from tests.helpers.paths import SAMPLE_CORPUS

pytestmark = pytest.mark.slow

BATCH = 1000              # ingest.pipeline.import_files commits this many records at a time
KILL_AFTER_NEW = 5000     # papers stored by the import before it is killed
WAIT_SECONDS = 120


def start(data_dir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*papersift_command(), *args], env=papersift_env(data_dir),
                            cwd=data_dir.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition, proc: subprocess.Popen, what: str) -> None:
    """Poll `condition` until true; fail if the process ends first (it was not killed mid-way)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the process ended (exit {proc.returncode}) before {what}: "
                        f"{proc.stderr.read().decode()[-2000:]}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def kill(proc: subprocess.Popen) -> None:
    assert proc.poll() is None, "the process had already finished: nothing was interrupted"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    proc.stderr.close()


def paper_count(db_path: Path) -> int:
    """Count through a second connection, as another process sees the store."""
    with sqlite3.connect(db_path, timeout=30) as conn:
        return conn.execute("SELECT count(*) FROM papers").fetchone()[0]


def assert_store_intact(data_dir: Path, baseline: Baseline) -> int:
    """Integrity check passes, the library is as it was; returns the number of papers."""
    db_path = data_dir / "papersift.db"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    engine = open_store(config.load_settings({}, data_dir=str(data_dir), scheduler_enabled=False))
    try:
        with engine.connect() as conn:
            user = find_user(conn, baseline.user)
            assert user is not None, "the user's account is gone"
            assert library_ids(conn, user.id) == set(baseline.library)
            tags = paper_tag_names(conn, user.id, sorted(baseline.library))
            assert {pid for pid, names in tags.items() if TAG in names} == set(baseline.tagged)
    finally:
        engine.dispose()
    return paper_count(db_path)


def import_runs(data_dir: Path) -> list[str]:
    """Statuses of the import runs recorded in the store, newest first."""
    engine = open_store(config.load_settings({}, data_dir=str(data_dir), scheduler_enabled=False))
    try:
        with engine.connect() as conn:
            return [run.status for run in latest_runs(conn, "import")]
    finally:
        engine.dispose()


def assert_index_current(data_dir: Path, version: str, n_docs: int) -> None:
    root = data_dir / "index"
    assert current_version(root) == version
    info = index_info(root)
    assert info is not None and info.n_docs == n_docs
    index = load_index(root)
    assert index is not None and len(index.ids) == n_docs
    assert index.matrix.shape[0] == n_docs


def test_import_killed_mid_file_leaves_store_and_index_intact(
        data_dir: Path, baseline: Baseline, big_jsonl: tuple[Path, int]) -> None:
    path, records = big_jsonl
    db_path = data_dir / "papersift.db"
    version = current_version(data_dir / "index")
    proc = start(data_dir, "import", str(path))
    wait_for(lambda: paper_count(db_path) >= baseline.papers + KILL_AFTER_NEW, proc,
             f"{KILL_AFTER_NEW} papers were stored")
    kill(proc)

    stored = assert_store_intact(data_dir, baseline)
    new = stored - baseline.papers
    assert KILL_AFTER_NEW <= new < records, "the import was not interrupted mid-way"
    assert new % BATCH == 0, f"{new} new papers: a batch was stored only in part"
    assert_index_current(data_dir, version, baseline.papers)
    assert import_runs(data_dir)[0] == "running", "the killed import left no trace in the runs table"

    # the same command again finishes the job: every record once, nothing lost or doubled
    again = papersift("import", str(path), data_dir=data_dir)
    assert f"new: {records - new:,}" in again.stdout
    assert f"unchanged: {new:,}" in again.stdout
    assert assert_store_intact(data_dir, baseline) == baseline.papers + records
    assert import_runs(data_dir)[0] == "ok"


def index_tmp_dirs(root: Path) -> list[Path]:
    """Build directories in progress (not the `current` symlink being swapped)."""
    return [p for p in root.glob(".tmp-*") if p.is_dir() and not p.is_symlink()]


def test_index_killed_mid_build_keeps_the_old_index_current(data_dir: Path, baseline: Baseline) -> None:
    root = data_dir / "index"
    version = current_version(root)
    assert version is not None
    proc = start(data_dir, "index", "--force")
    wait_for(lambda: bool(index_tmp_dirs(root)), proc, "the build directory appeared")
    time.sleep(0.5)                           # well into fitting the vocabulary
    kill(proc)

    assert index_tmp_dirs(root), "the build had not started"
    assert_index_current(data_dir, version, baseline.papers)
    assert assert_store_intact(data_dir, baseline) == baseline.papers
    status = papersift("status", "--json", data_dir=data_dir)
    assert version in status.stdout

    # a new build after the crash succeeds and becomes current
    papersift("index", "--force", data_dir=data_dir)
    assert current_version(root) not in (None, version)
    assert_index_current(data_dir, current_version(root), baseline.papers)


# `papersift index` with its trend part updated by an updater that announces itself and
# then waits, so the process is killed mid-update (after the new version's features were
# written, before it is published). Only trends is registered: every part must have an
# updater for `build` to update rather than rebuild.
SLOW_UPDATE = """
import sys, time
from pathlib import Path
from app import create_app
from ingest import indexing
from recommend.trends import trend_builder

def slow_update(base, keep, new_docs, new_index):
    Path(sys.argv[2]).write_text(f"{len(new_docs)} new papers, base {base.version}")
    time.sleep(600)

indexing.EXTRA_BUILDERS[:] = [("trends", trend_builder, slow_update)]
app = create_app({"data_dir": sys.argv[1], "scheduler_enabled": False}, web=False)
print(indexing.build(app.extensions["papersift.engine"], app.config["SETTINGS"]).summary())
"""
NEW_PAPERS = 20


def new_papers_file(path: Path) -> Path:
    """NEW_PAPERS sample records under fresh ids, as a listing file to import."""
    with gzip.open(SAMPLE_CORPUS, "rt", encoding="utf-8") as f:
        records = [json.loads(next(f)) for _ in range(NEW_PAPERS)]
    path.write_text("".join(json.dumps({**rec, "id": f"2612.{n:05d}"}) + "\n"
                            for n, rec in enumerate(records)))
    return path


def kill_update_once_started(data_dir: Path, tmp_path: Path, script: str, waiting_for: str
                             ) -> tuple[str, str]:
    """Import the new papers, run `script` (an update) until it signals, kill -9 it; the
    version it started from and what it signalled."""
    version = current_version(data_dir / "index")
    assert version is not None
    papersift("import", str(new_papers_file(tmp_path / "new.jsonl")), data_dir=data_dir)
    started = tmp_path / "updating"
    proc = subprocess.Popen([sys.executable, "-c", script, str(data_dir), str(started)],
                            env=papersift_env(data_dir), cwd=data_dir.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(started.exists, proc, waiting_for)
    kill(proc)
    return version, started.read_text()


def test_index_killed_mid_update_keeps_the_old_version_serving(data_dir: Path, baseline: Baseline,
                                                                tmp_path: Path) -> None:
    root = data_dir / "index"
    version, signalled = kill_update_once_started(data_dir, tmp_path, SLOW_UPDATE,
                                                  "the update reached its trend part")
    assert signalled == f"{NEW_PAPERS} new papers, base {version}"

    assert index_tmp_dirs(root), "the update had not started writing"
    assert_index_current(data_dir, version, baseline.papers)
    app = create_app({"data_dir": str(data_dir), "scheduler_enabled": False, "TESTING": True})
    try:
        body = app.test_client().get("/api/search", query_string={"q": "neural networks"}).get_json()
        assert body["results"], "the old version no longer answers searches"
    finally:
        app.extensions["papersift.engine"].dispose()

    # the next run succeeds and its version, with the new papers, becomes current
    papersift("index", data_dir=data_dir)
    assert current_version(root) not in (None, version)
    assert_index_current(data_dir, current_version(root), baseline.papers + NEW_PAPERS)
    assert load_index(root).row("2612.00000") is not None


# The same, with an updater that hands over its parts one at a time (as search's does):
# killed after its first part is in the new version's directory, before the second.
STREAMED_UPDATE = SLOW_UPDATE.replace(
    "def slow_update(base, keep, new_docs, new_index):\n",
    "def slow_update(base, keep, new_docs, new_index):\n"
    "    import numpy as np\n"
    "    yield 'trend_probe', np.arange(len(new_index))\n")


def test_index_killed_between_streamed_parts_keeps_the_old_version_serving(
        data_dir: Path, baseline: Baseline, tmp_path: Path) -> None:
    assert STREAMED_UPDATE != SLOW_UPDATE
    root = data_dir / "index"
    version, _ = kill_update_once_started(data_dir, tmp_path, STREAMED_UPDATE,
                                          "the update wrote its first part")

    assert any((d / "trend_probe.npy").is_file() for d in index_tmp_dirs(root)), \
        "the first part was not written before the second was made"
    assert_index_current(data_dir, version, baseline.papers)
    papersift("index", data_dir=data_dir)
    assert current_version(root) not in (None, version)
    assert_index_current(data_dir, current_version(root), baseline.papers + NEW_PAPERS)
