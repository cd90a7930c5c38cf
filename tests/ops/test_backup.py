"""`papersift backup`: a consistent SQLite copy plus the index pointer, even while writing."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from ingest import indexing
from store import backup as store_backup
from store import migrations
from tests.factories import add_papers, record


def _count(db_file: Path) -> int:
    conn = sqlite3.connect(db_file)
    try:
        return conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    finally:
        conn.close()


def test_backup_copies_the_store_and_records_the_index_version(app, runner, tmp_path):
    settings = app.config["SETTINGS"]
    engine = app.extensions["papersift.engine"]
    add_papers(engine, *[record() for _ in range(30)])
    built = indexing.build(engine, settings)
    dest = tmp_path / "bk"

    result = runner.invoke(args=["backup", str(dest)])

    assert result.exit_code == 0, result.output
    assert "Backed up the store" in result.output
    assert _count(dest / "papersift.db") == 30
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["index_version"] == built.info.version
    assert manifest["index_fingerprint"] == built.info.fingerprint
    assert manifest["schema_version"] == migrations.LATEST
    assert manifest["index_copied"] is False
    assert (dest / "papersift.db").stat().st_mode & 0o077 == 0


def test_backup_with_index_copies_a_loadable_index(app, runner, tmp_path):
    from recommend.index import load_index

    settings = app.config["SETTINGS"]
    engine = app.extensions["papersift.engine"]
    add_papers(engine, *[record() for _ in range(10)])
    indexing.build(engine, settings)
    dest = tmp_path / "bk"

    result = runner.invoke(args=["backup", str(dest), "--with-index"])

    assert result.exit_code == 0, result.output
    copy = load_index(dest / "index")
    assert copy is not None and len(copy) == 10


def test_backup_refuses_a_non_empty_destination(app, runner, tmp_path):
    dest = tmp_path / "bk"
    dest.mkdir()
    (dest / "something").write_text("x")
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 1
    assert "exists and is not empty" in result.output


def test_backup_default_destination_is_under_the_data_dir(app, runner):
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    folders = list((app.config["SETTINGS"].data_path / "backups").iterdir())
    assert len(folders) == 1 and (folders[0] / "papersift.db").exists()


def test_backup_of_a_postgresql_store_says_to_use_pg_dump(settings):
    import dataclasses

    pg = dataclasses.replace(settings, database_url="postgresql+psycopg://u:p@localhost/db")
    with pytest.raises(store_backup.BackupError, match="pg_dump"):
        store_backup.backup(pg)


def test_backup_is_consistent_while_another_connection_writes(settings, engine, tmp_path):
    """Writers commit batches of 50 while the backup runs: the copy holds whole batches."""
    add_papers(engine, *[record() for _ in range(50)])
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            add_papers(engine, *[record() for _ in range(50)])

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for n in range(3):
            store_backup.backup(settings, tmp_path / f"bk{n}")
    finally:
        stop.set()
        thread.join()
    for n in range(3):
        copied = _count(tmp_path / f"bk{n}" / "papersift.db")
        assert copied >= 50 and copied % 50 == 0
