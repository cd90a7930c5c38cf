"""Publishing an index version into another index folder: one builder, many web machines.

One machine builds index versions (recommend/index.py); web machines serve from an index
folder of their own (PAPERSIFT_INDEX_DIR). `publish_version` copies a complete version,
with its semantic vectors when it has them, into such a folder the way a build publishes
one: the files go into a temporary directory on the destination's filesystem, are flushed
to disk, the directory is renamed to the version's name, and only then is `current`
pointed at it. A copy killed half-way leaves a `.tmp-` directory nobody reads (removed by
a later build or publish once it is old) and the old version serving.

The version keeps its name, so caches shared by every machine (Redis), whose keys carry
the index version, stay valid across machines. Publishing a version the destination
already holds changes nothing, except vectors the builder added since (they arrive after
their version: ingest/embeddings.py), which are copied file by file, the sidecar last, as
`recommend.index_vectors.write_vectors` writes them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.index_files import (
    CURRENT,
    META,
    TMP_PREFIX,
    VERSION_NAME,
    current_version,
    fsync_path,
    mark_arrived,
    point_current,
    prune,
    remove_stale_tmp,
)
from recommend.index import version_files
from recommend.index_vectors import DENSE_VECTORS, VECTORS, VECTORS_META

VECTOR_FILES = (VECTORS, DENSE_VECTORS)    # copied before their sidecar VECTORS_META
_VECTOR_ATTEMPTS = 3

# called with each file name once it is copied (progress; tests slow a copy down with it)
OnFile = Callable[[str], None]


class PublishError(RuntimeError):
    """The version cannot be published; the message says why and what to do."""


@dataclass(frozen=True)
class PublishResult:
    version: str
    source: Path
    dest: Path
    n_docs: int
    copied: bool                # the version's files were copied (the destination lacked it)
    vectors: str                # "copied", "current" (already there) or "none" (the source has none)
    vectors_model: str
    switched: bool              # this run pointed the destination's `current` at the version
    bytes_copied: int
    removed: tuple[str, ...]    # old versions deleted at the destination
    seconds: float

    @property
    def changed(self) -> bool:
        return self.copied or self.switched or self.vectors == "copied" or bool(self.removed)

    def summary(self) -> str:
        if not self.changed:
            return (f"{self.version} ({self.n_docs:,} papers) is already current in {self.dest}; "
                    "nothing to do.")
        vectors = f", with the vectors of model {self.vectors_model}" if self.vectors != "none" else ""
        if self.copied:
            done = (f"Published {self.version} ({self.n_docs:,} papers, "
                    f"{self.bytes_copied / 1e6:.1f} MB{vectors}) from {self.source} to {self.dest} "
                    f"in {self.seconds:.1f} s")
        elif self.vectors == "copied":
            done = f"Copied the vectors (model {self.vectors_model}) of {self.version} to {self.dest}"
        elif self.switched:
            done = f"{self.version} was already in {self.dest}"
        else:
            done = f"{self.version} is already current in {self.dest}"
        lines = [done + ("; it is current there now." if self.switched else ".")]
        if self.removed:
            lines.append(f"Removed {len(self.removed)} old version(s) there: {', '.join(self.removed)}.")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "source": str(self.source), "dest": str(self.dest),
                "n_docs": self.n_docs, "copied": self.copied, "vectors": self.vectors,
                "vectors_model": self.vectors_model, "switched": self.switched,
                "bytes_copied": self.bytes_copied, "removed": list(self.removed),
                "seconds": round(self.seconds, 3), "changed": self.changed}


def publish_version(source_root: Path, dest_root: Path, *, version: str | None = None,
                    keep: int = 2, grace_seconds: float = 0.0,
                    on_file: OnFile | None = None) -> PublishResult:
    """Copy `version` (default: the source's current one) into `dest_root` atomically, point
    the destination's `current` at it, and prune the destination (`keep`, `grace_seconds`
    as `domain.index_files.prune`). PublishError says what is wrong with either side."""
    started = time.perf_counter()
    source_root, dest_root = Path(source_root).absolute(), Path(dest_root).absolute()
    version = _source_version(source_root, version)
    meta = _complete_meta(source_root, version)
    _check_destination(source_root, dest_root)
    target = dest_root / version
    try:
        dest_root.mkdir(exist_ok=True)
        remove_stale_tmp(dest_root)
        copied_bytes = 0
        if target.is_dir():
            _check_same(source_root / version, target)
        else:
            copied_bytes = _copy_version(source_root / version, dest_root, version, on_file)
        vectors, model = _sync_vectors(source_root / version, target, on_file)
        switched = current_version(dest_root) != version
        if switched:
            point_current(dest_root, version)
        removed = prune(dest_root, keep=keep, grace_seconds=grace_seconds)
    except OSError as exc:
        raise PublishError(f"cannot publish to {dest_root}: {exc.strerror or exc}") from exc
    return PublishResult(version, source_root, dest_root, int(meta.get("n_docs", 0)),
                         copied=copied_bytes > 0, vectors=vectors, vectors_model=model,
                         switched=switched, bytes_copied=copied_bytes, removed=tuple(removed),
                         seconds=time.perf_counter() - started)


# -- checks -----------------------------------------------------------------------------


def _source_version(source_root: Path, version: str | None) -> str:
    if not source_root.is_dir():
        raise PublishError(f"no index to publish in {source_root} (no such folder): build one "
                           "first (`papersift index`)")
    if version is None:
        version = current_version(source_root)
        if version is None:
            raise PublishError(f"no index to publish in {source_root}: build one first "
                               "(`papersift index`)")
    elif not VERSION_NAME.match(version) or not (source_root / version).is_dir():
        raise PublishError(f"no index version {version!r} in {source_root}")
    return version


def _complete_meta(source_root: Path, version: str) -> dict[str, Any]:
    """The version's meta.json once every file it names is there; PublishError otherwise
    (a mirror still being filled by rsync, say)."""
    path = source_root / version
    try:
        meta = json.loads((path / META).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        meta = None
    missing = [META] if meta is None else [f for f in version_files(meta) if not (path / f).is_file()]
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise PublishError(f"version {version} in {source_root} is incomplete (missing {shown}); "
                           "if it is still being copied there, publish again when it is done")
    return meta


def _check_destination(source_root: Path, dest_root: Path) -> None:
    """A clear error for a destination that cannot or should not receive index versions."""
    if dest_root.exists() and not dest_root.is_dir():
        raise PublishError(f"{dest_root} is a file, not an index folder")
    if not dest_root.exists():
        if not dest_root.parent.is_dir():
            raise PublishError(f"{dest_root.parent} does not exist: create it (or mount the "
                               "shared volume) first")
        if not os.access(dest_root.parent, os.W_OK):
            raise PublishError(f"cannot create {dest_root}: {dest_root.parent} is not writable")
        return
    if dest_root.resolve() == source_root.resolve():
        raise PublishError(f"{dest_root} is the index folder published from; give another one")
    if not os.access(dest_root, os.W_OK):
        raise PublishError(f"cannot write to {dest_root}: permission denied")
    foreign = sorted(p.name for p in dest_root.iterdir() if not _is_index_entry(p.name))
    if foreign:
        data_folder = any((dest_root / name).exists() for name in ("index", "papersift.db", "secret_key"))
        hint = (f"; it looks like a data folder: give its index folder, {dest_root / 'index'}"
                if data_folder else "; give the index folder itself")
        raise PublishError(f"{dest_root} holds files that are not index versions "
                           f"({', '.join(foreign[:3])}){hint}")


def _is_index_entry(name: str) -> bool:
    return name == CURRENT or name.startswith(TMP_PREFIX) or bool(VERSION_NAME.match(name))


def _check_same(source: Path, target: Path) -> None:
    """The destination's copy of the version must hold the same files (vectors aside)."""
    if not (target / META).is_file() or (target / META).read_bytes() != (source / META).read_bytes():
        raise PublishError(f"{target} exists but is not the version in {source.parent} "
                           f"(another meta.json); remove it and publish again")
    differ = [name for name in _version_files(source)
              if not (target / name).is_file()
              or (target / name).stat().st_size != (source / name).stat().st_size]
    if differ:
        raise PublishError(f"{target} exists but differs from the source ({', '.join(differ[:3])}); "
                           "remove it and publish again")


def _version_files(source: Path) -> list[str]:
    """The files of a version but its vectors, meta.json last (temporary files left out)."""
    names = sorted(p.name for p in source.iterdir()
                   if p.is_file() and not p.name.startswith(".")
                   and p.name not in (*VECTOR_FILES, VECTORS_META, META))
    return [*names, META]


# -- copying ----------------------------------------------------------------------------


def _copy_version(source: Path, dest_root: Path, version: str, on_file: OnFile | None) -> int:
    """Copy the version's files (not its vectors) under a temporary name in dest_root, flush
    them, and rename the directory into place; returns the bytes copied."""
    names = _version_files(source)
    size = sum((source / name).stat().st_size for name in names)
    free = shutil.disk_usage(dest_root).free
    if size > free:
        raise PublishError(f"not enough space in {dest_root}: {version} needs "
                           f"{size / 1e6:.1f} MB, {free / 1e6:.1f} MB are free")
    tmp = dest_root / f"{TMP_PREFIX}publish-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        for name in names:
            _copy_file(source / name, tmp / name)
            if on_file is not None:
                on_file(name)
        fsync_path(tmp)
        try:
            os.rename(tmp, dest_root / version)
        except OSError:
            if not (dest_root / version).is_dir():
                raise
            shutil.rmtree(tmp, ignore_errors=True)     # a publish running beside this one won
            return 0
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    mark_arrived(dest_root / version)
    fsync_path(dest_root)
    return size


def _sync_vectors(source: Path, target: Path, on_file: OnFile | None) -> tuple[str, str]:
    """Give the destination's version the source's vectors when they differ: ("copied" |
    "current" | "none", model). The sidecar goes last, read before and after the matrices
    are copied, so vectors being rewritten at the source meanwhile are never paired with
    another model's sidecar."""
    for _ in range(_VECTOR_ATTEMPTS):
        sidecar = _read_bytes(source / VECTORS_META)
        if sidecar is None or not (source / VECTORS).is_file():
            return "none", ""
        model = str(json.loads(sidecar).get("model", ""))
        if _read_bytes(target / VECTORS_META) == sidecar and (target / VECTORS).is_file():
            return "current", model
        for name in VECTOR_FILES:
            if (source / name).is_file():
                _replace_file(source / name, target / name)
                if on_file is not None:
                    on_file(name)
        if _read_bytes(source / VECTORS_META) == sidecar:
            _replace_bytes(target / VECTORS_META, sidecar)
            return "copied", model
    raise PublishError(f"the vectors of {source.name} kept changing while they were copied; "
                       "publish again once `papersift embed` has finished")


def _copy_file(source: Path, target: Path) -> None:
    """Copy one file with its times and flush it to disk (a network volume included) before
    the rename that makes it visible."""
    shutil.copyfile(source, target)
    shutil.copystat(source, target)
    with open(target, "rb") as copy:
        os.fsync(copy.fileno())


def _replace_file(source: Path, target: Path) -> None:
    """Copy `source` over `target` atomically: readers see the old file or the whole new one."""
    tmp = target.with_name(f".{target.name}.publish-{uuid.uuid4().hex}.tmp")
    try:
        _copy_file(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _replace_bytes(target: Path, data: bytes) -> None:
    tmp = target.with_name(f".{target.name}.publish-{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None

