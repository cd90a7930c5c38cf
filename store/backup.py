"""Consistent backups of the SQLite store, with a note of the index version it matches.

SQLite's online backup API copies a live database page by page while web workers and
the pipeline keep writing (WAL mode), so the copy is one consistent snapshot without
stopping the site. The index is derived data: by default the backup records which
version was current (and its fingerprint) so a restore knows whether to re-index; with
`with_index` the current version directory is copied too, for an instant restore.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from config import Settings
from domain import index_files
from store import utcnow

MANIFEST = "manifest.json"
DB_NAME = "papersift.db"


class BackupError(RuntimeError):
    """The backup cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    db_bytes: int
    schema_version: int
    index_version: str | None
    index_fingerprint: str | None
    index_copied: bool
    created: str

    def summary(self) -> str:
        index = (f"index {self.index_version}" + (" (copied)" if self.index_copied else " (pointer only)")
                 if self.index_version else "no index")
        return (f"Backed up the store ({self.db_bytes / 1e6:.1f} MB, schema version "
                f"{self.schema_version}) and {index} to {self.path}")


def sqlite_path(settings: Settings) -> Path:
    """The SQLite file of the store; BackupError for other databases."""
    url = make_url(settings.db_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        raise BackupError(
            f"`papersift backup` copies SQLite stores; this store is {url.drivername}. "
            "Back up PostgreSQL with pg_dump (see the README's Deploy section)."
        )
    return Path(url.database)


def default_destination(settings: Settings, now: datetime | None = None) -> Path:
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    return settings.data_path / "backups" / f"papersift-{stamp}"


def copy_sqlite(source: Path, target: Path, pages_per_step: int = 1024) -> int:
    """Copy a live SQLite database with the online backup API; returns the copy's size."""
    if not source.exists():
        raise BackupError(f"no database at {source}: nothing to back up yet")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=pages_per_step)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if check != "ok":
        raise BackupError(f"the copy failed its integrity check: {check}")
    return target.stat().st_size


def _schema_version(db_file: Path) -> int:
    conn = sqlite3.connect(db_file)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:
        row = None
    finally:
        conn.close()
    return int(row[0]) if row else 0


def backup(settings: Settings, dest: Path | None = None, *, with_index: bool = False) -> BackupResult:
    """Copy the store (and the index pointer, or the index itself) into a new folder `dest`."""
    source = sqlite_path(settings)
    dest = Path(dest) if dest else default_destination(settings)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} exists and is not empty; choose a new folder")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)   # the copy holds password hashes
    size = copy_sqlite(source, dest / DB_NAME)
    (dest / DB_NAME).chmod(0o600)
    info = index_files.index_info(settings.index_dir)
    if with_index and info is not None:
        _copy_index(settings.index_dir, info.version, dest / "index")
    result = BackupResult(dest.resolve(), size, _schema_version(dest / DB_NAME),
                          info.version if info else None, info.fingerprint if info else None,
                          bool(with_index and info), utcnow().isoformat())
    manifest = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(result).items()}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return result


def _copy_index(root: Path, version: str, target: Path) -> None:
    target.mkdir(parents=True)
    shutil.copytree(root / version, target / version)
    (target / index_files.CURRENT).symlink_to(version)
