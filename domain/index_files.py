"""Index versions on disk as directories and a `current` symlink: names, listing, info.

A version is a directory `<root>/v<YYYYmmddHHMMSS>-<n>` (n counts builds up) holding
parts plus `meta.json`; `<root>/current` is a symlink to the one in use. This module
knows the layout but not the parts (recommend/index.py writes and loads those), so the
store (status, backups) can look at versions without importing numpy or scipy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CURRENT = "current"
META = "meta.json"
VERSION_NAME = re.compile(r"^v(\d{14})-(\d+)$")
TMP_PREFIX = ".tmp-"
_STALE_TMP_SECONDS = 6 * 3600


@dataclass(frozen=True)
class IndexInfo:
    """What `papersift status` shows about an index version."""

    version: str
    path: Path
    n_docs: int
    n_terms: int
    size_bytes: int
    fingerprint: str
    created: str
    meta: dict[str, Any]


def current_version(root: Path) -> str | None:
    """Name of the current version (one readlink), or None when nothing is built."""
    try:
        target = os.readlink(root / CURRENT)
    except (FileNotFoundError, NotADirectoryError):
        return None
    name = Path(target).name
    return name if VERSION_NAME.match(name) else None


def index_info(root: Path, version: str | None = None) -> IndexInfo | None:
    """Version, sizes, size on disk and fingerprint of the current (or named) version."""
    version = version or current_version(root)
    if version is None:
        return None
    path = root / version
    try:
        meta = json.loads((path / META).read_text())
    except FileNotFoundError:
        return None
    size = sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return IndexInfo(version=version, path=path, n_docs=meta["n_docs"],
                     n_terms=meta["n_terms"], size_bytes=size,
                     fingerprint=meta["fingerprint"], created=meta["created"], meta=meta)


def refit_info(meta: dict[str, Any]) -> tuple[str, str]:
    """(version, created) of the full build whose vocabulary and idf a version carries:
    itself for a full build, the last full build before it for an incremental update."""
    return (meta.get("refit_version") or meta.get("version") or "",
            meta.get("refit_created") or meta.get("created") or "")


def set_current(root: Path, version: str) -> None:
    """Point `current` at an existing version (a rollback), atomically."""
    if not VERSION_NAME.match(version) or not (root / version / META).is_file():
        raise FileNotFoundError(f"no index version {version!r} under {root}")
    point_current(root, version)


def versions(root: Path) -> list[str]:
    """Complete versions under root, oldest first."""
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if p.is_dir() and VERSION_NAME.match(p.name)]
    return sorted(found, key=_version_key)


def prune(root: Path, *, keep: int = 2, grace_seconds: float = 0.0) -> list[str]:
    """Delete all but the newest `keep` versions, never the current one; return removed.

    A version also stays until `grace_seconds` after the next newer version arrived (the
    time it stopped being current, as near as the files tell): a web machine reading the
    versions over a network volume may still be answering from it, and unlike a local
    disk, NFS does not keep a deleted file alive for another machine that maps it.
    """
    current = current_version(root)
    found = versions(root)
    old = found[:-keep] if keep > 0 else found
    successor = dict(zip(found, found[1:], strict=False))
    cutoff = time.time() - grace_seconds
    removed = [v for v in old if v != current
               and (grace_seconds <= 0 or _arrived(root, successor.get(v)) <= cutoff)]
    for version in removed:
        shutil.rmtree(root / version, ignore_errors=True)
    return removed


def mark_arrived(path: Path) -> None:
    """Stamp a version directory with the time it arrived under its final name (its mtime,
    which `prune`'s grace period counts from)."""
    os.utime(path)


def _arrived(root: Path, version: str | None) -> float:
    """When a version arrived (its directory's mtime; now when there is none)."""
    if version is None:
        return time.time()
    try:
        return (root / version).stat().st_mtime
    except FileNotFoundError:
        return time.time()


def point_current(root: Path, version: str) -> None:
    """Replace the `current` symlink atomically (a new link renamed over the old one)."""
    link = root / f"{TMP_PREFIX}{CURRENT}-{uuid.uuid4().hex}"
    os.symlink(version, link, target_is_directory=True)
    os.replace(link, root / CURRENT)


def next_version(root: Path) -> str:
    """A fresh version name: now, and one more than the newest build's counter."""
    existing = versions(root)
    n = _version_key(existing[-1])[0] + 1 if existing else 1
    return f"v{datetime.now(UTC):%Y%m%d%H%M%S}-{n}"


def remove_stale_tmp(root: Path) -> None:
    """Remove leftovers of builds that died (old enough not to be running)."""
    cutoff = time.time() - _STALE_TMP_SECONDS
    for path in root.glob(f"{TMP_PREFIX}*"):
        try:
            if path.lstat().st_mtime < cutoff:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink()
        except FileNotFoundError:
            pass


def _version_key(name: str) -> tuple[int, str]:
    match = VERSION_NAME.match(name)
    assert match is not None
    return int(match.group(2)), match.group(1)


def fsync_path(path: Path) -> None:
    """Flush a file or a folder's entries to disk (so a rename after it survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
