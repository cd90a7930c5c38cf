"""Index versions on disk: the only module that writes or loads index parts.

A version is a directory `<root>/v<YYYYmmddHHMMSS>-<n>` (n counts builds up) of .npy
parts plus `meta.json` (domain/index_files.py names, lists and prunes versions). It is
written under a temporary name, renamed into place, and then `<root>/current` (a
symlink) is replaced atomically, so a reader sees the old version or the new one,
never half of one. Parts are loaded with mmap_mode="r": every
web worker maps the same pages, and a loaded Index keeps working after its directory is
pruned. The newest `keep` versions and the current one survive each build, and older ones
until `grace_seconds` after the version that replaced them arrived (for readers on other
machines: recommend/index_publish.py).

Other features (search, trends, LSA) store their own arrays or sparse matrices in the
same version through `extra` builders passed to `build_index`; they come back in
`Index.parts`. A full build with search and trends analyses each text once
(recommend/index_pass.py).

scipy and the feature code are imported where an index is built or a sparse part read:
reading a version's meta.json (`papersift status`) does not need them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from domain.index_files import (
    META,
    TMP_PREFIX,
    IndexInfo,
    current_version,
    index_info,
    mark_arrived,
    next_version,
    point_current,
    prune,
    remove_stale_tmp,
)
from recommend.build_log import log_stage, logged, name_of
from recommend.index_stream import StreamedArray, StreamedSparse, write_streamed
from recommend.mapped_pages import drop_mapped_pages, track

if TYPE_CHECKING:
    from scipy import sparse

    from recommend.features import Features

FORMAT = 1
_PART_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED = {"matrix", "ids", "published", "primary_category", "categories", "vocab", "idf",
             "df", "meta"}

if TYPE_CHECKING:
    Part = np.ndarray | sparse.spmatrix | sparse.sparray | StreamedArray | StreamedSparse


class Doc(NamedTuple):
    """One paper as the index sees it: text is title + abstract (+ full text)."""

    id: str
    published: date | datetime
    categories: tuple[str, ...]
    text: str
    has_fulltext: bool = False
    title: str = ""
    authors: tuple[str, ...] = ()


@dataclass(eq=False)
class Index:
    """A loaded index version; arrays are read-only memory maps.

    Row i of `matrix` is paper `ids[i]`; column j is term `vocabulary[j]`.
    `categories[i]` holds a paper's categories joined by spaces, primary first.
    """

    version: str
    path: Path
    meta: dict[str, Any]
    ids: np.ndarray
    published: np.ndarray
    primary_category: np.ndarray
    categories: np.ndarray
    matrix: sparse.csr_matrix
    vocabulary: np.ndarray
    idf: np.ndarray
    df: np.ndarray
    parts: dict[str, Part] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def row_of(self) -> dict[str, int]:
        """Paper id -> row (built on first use)."""
        return {str(pid): i for i, pid in enumerate(self.ids)}

    @cached_property
    def column_of(self) -> dict[str, int]:
        """Term -> column (built on first use)."""
        return {str(term): j for j, term in enumerate(self.vocabulary)}

    def row(self, paper_id: str) -> int | None:
        """The row of a paper, or None when it is not in this index."""
        return self.row_of.get(paper_id)

    def paper_categories(self, row: int) -> tuple[str, ...]:
        """A paper's categories, primary first."""
        return tuple(str(self.categories[row]).split())

    def drop_mapped_pages(self) -> int:
        """Drop the pages this process has read of this version's parts from its RSS (they
        stay in the page cache; the parts read the same afterwards). Returns how many
        mappings were advised (0 where the system cannot)."""
        return drop_mapped_pages(self.path)


if TYPE_CHECKING:
    Builder = Callable[[Index, Sequence[Doc]], Mapping[str, Part]]


def build_index(
    root: Path, docs: Sequence[Doc], *, fingerprint: str, extra: Sequence[Builder] = (),
    keep: int = 2, grace_seconds: float = 0.0, max_features: int = 100_000,
    min_df: int | float = 2, max_df: int | float = 0.5, sample_docs: int = 20_000,
    seed: int = 0, n_jobs: int | None = None, meta_extra: Mapping[str, Any] | None = None,
) -> IndexInfo:
    """Build a new index version from `docs`, make it current, prune old versions (`prune`).

    fingerprint: the caller's summary of the store state the index was built from
    (compared with `index_info(root).fingerprint` to skip needless rebuilds).
    docs: a list, or a lazy sequence that reads documents chunk by chunk, so that no more
    than a chunk of texts need be in memory at once.
    extra: builders called with the new Index (before it is published) and the docs;
    each returns named arrays or sparse matrices saved in the same version. When one has
    a `from_counts` method (`recommend.index_pass.OnePassBuilder`), the docs are read
    and analysed once for the features and every such builder (the same result); else
    each pass iterates them again (features read sampled items and slices).
    The feature parameters go to `recommend.features.fit_features`. meta_extra: more
    meta.json entries (the store's high-water mark).
    """
    started = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(root)
    tmp = root / f"{TMP_PREFIX}{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        settings = {"max_features": max_features, "min_df": min_df, "max_df": max_df,
                    "sample_docs": sample_docs, "seed": seed}
        header = {"fingerprint": fingerprint, **(meta_extra or {})}
        if len(docs) and any(hasattr(builder, "from_counts") for builder in extra):
            from recommend.index_pass import build_in_one_pass

            meta = build_in_one_pass(tmp, docs, extra, settings, header, n_jobs=n_jobs)
        else:
            meta = _build_in_passes(tmp, docs, extra, settings, header, n_jobs=n_jobs)
        meta["build_seconds"] = round(time.perf_counter() - started, 3)
        version = _publish(root, tmp, meta)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune(root, keep=keep, grace_seconds=grace_seconds)
    info = index_info(root, version)
    assert info is not None
    return info


def load_index(root: Path, version: str | None = None) -> Index | None:
    """The current (or the named) version, memory-mapped; None when there is none."""
    version = version or current_version(root)
    if version is None:
        return None
    return index_from(root / version)


# -- parts ------------------------------------------------------------------------


def write_part(directory: Path, name: str, value: Part) -> str:
    """Save an array as <name>.npy or a sparse matrix as <name>.{data,indices,indptr,shape}.npy.

    Returns the kind ("array", "csr" or "csc") that `read_part` needs.
    """
    from scipy import sparse

    if not _PART_NAME.match(name):
        raise ValueError(f"part names are lowercase identifiers, got {name!r}")
    if isinstance(value, StreamedArray | StreamedSparse):
        return write_streamed(directory, name, value)
    if sparse.issparse(value):
        kind = "csc" if value.format == "csc" else "csr"
        value = value.asformat(kind)
        for attr in ("data", "indices", "indptr"):
            np.save(directory / f"{name}.{attr}.npy", getattr(value, attr))
        np.save(directory / f"{name}.shape.npy", np.asarray(value.shape, dtype=np.int64))
        return kind
    np.save(directory / f"{name}.npy", np.asarray(value), allow_pickle=False)
    return "array"


def read_part(directory: Path, name: str, kind: str = "array") -> Part:
    """Memory-map a part saved by `write_part`."""
    from scipy import sparse

    if kind == "array":
        return _load(directory, name)
    data, indices, indptr = (_load(directory, f"{name}.{a}") for a in ("data", "indices",
                                                                        "indptr"))
    shape = tuple(int(x) for x in np.load(directory / f"{name}.shape.npy"))
    cls = sparse.csc_matrix if kind == "csc" else sparse.csr_matrix
    return cls((data, indices, indptr), shape=shape, copy=False)


def part_files(name: str, kind: str = "array") -> list[str]:
    """The file names `write_part` gives a part of this kind."""
    if kind == "array":
        return [f"{name}.npy"]
    return [f"{name}.{attr}.npy" for attr in ("data", "indices", "indptr", "shape")]


def version_files(meta: Mapping[str, Any]) -> list[str]:
    """Every file a complete version with this meta.json holds (meta.json last), so a copy
    of a version can be checked for completeness without loading it."""
    core = [("matrix", "csr"), *((name, "array") for name in
                                 ("ids", "published", "primary_category", "categories",
                                  "vocab", "idf", "df"))]
    names = [f for name, kind in [*core, *meta.get("parts", {}).items()]
             for f in part_files(name, kind)]
    return [*names, META]


def _load(directory: Path, name: str) -> np.ndarray:
    return track(np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False),
                 directory)


class DocTexts(Sequence[str]):
    """The texts of a sequence of docs, read through it item by item or slice by slice."""

    def __init__(self, docs: Sequence[Doc]) -> None:
        self._docs = docs

    def __len__(self) -> int:
        return len(self._docs)

    def __getitem__(self, i):  # int -> str, slice -> list[str]
        if isinstance(i, slice):
            return [d.text for d in self._docs[i]]
        return self._docs[i].text


def _build_in_passes(directory: Path, docs: Sequence[Doc], builders: Sequence[Builder],
                     settings: dict[str, Any], header: dict[str, Any], *,
                     n_jobs: int | None) -> dict[str, Any]:
    """Features, core columns and each builder's parts, each reading the docs itself."""
    from recommend.features import fit_features

    features = logged("features", fit_features, DocTexts(docs), n_jobs=n_jobs, **settings)
    columns = logged("core columns", doc_columns, docs)
    meta = write_core(directory, columns, features, settings, header)
    run_builders(directory, builders, docs, meta)
    return meta


@dataclass
class DocColumns:
    """The per-paper columns of an index, collected as the docs are read."""

    ids: list[str] = field(default_factory=list)
    days: list[np.datetime64] = field(default_factory=list)
    categories: list[tuple[str, ...]] = field(default_factory=list)
    n_fulltext: int = 0

    def add(self, doc: Doc) -> None:
        self.ids.append(doc.id)
        self.days.append(_day(doc.published))
        self.categories.append(tuple(doc.categories))
        self.n_fulltext += bool(doc.has_fulltext)


def doc_columns(docs: Sequence[Doc]) -> DocColumns:
    """The per-paper columns of `docs` (one pass)."""
    columns = DocColumns()
    for doc in docs:
        columns.add(doc)
    return columns


def write_core(directory: Path, columns: DocColumns, features: Features,
               settings: dict[str, Any], header: dict[str, Any]) -> dict[str, Any]:
    """Save the matrix, the per-paper columns and meta.json; returns the meta."""
    write_part(directory, "matrix", features.matrix)
    write_part(directory, "ids", _strings(columns.ids))
    write_part(directory, "published", np.array(columns.days, dtype="datetime64[D]"))
    write_part(directory, "primary_category", _strings([c[0] if c else ""
                                                        for c in columns.categories]))
    write_part(directory, "categories", _strings([" ".join(c) for c in columns.categories]))
    write_part(directory, "vocab", _strings(features.vocabulary))
    write_part(directory, "idf", features.idf)
    write_part(directory, "df", features.df)
    meta = {**_core_meta(len(columns.ids), features, settings, columns.n_fulltext), **header}
    _write_meta(directory, meta)
    return meta


def run_builders(directory: Path, builders: Sequence[Builder], docs: Sequence[Doc],
                 meta: dict[str, Any]) -> None:
    """Give each builder the new index and save what it returns as parts (and `meta`)."""
    if builders:
        index = index_from(directory)
        for builder in builders:
            started = time.perf_counter()
            save_parts(directory, builder(index, docs), meta)
            log_stage(name_of(builder), started)
    _write_meta(directory, meta)


def save_parts(directory: Path, parts: Mapping[str, Part], meta: dict[str, Any]) -> None:
    """Save a builder's parts in the version and list them in `meta` (not yet written)."""
    for name, value in parts.items():
        if name in _RESERVED or name in meta["parts"]:
            raise ValueError(f"index part {name!r} already exists")
        meta["parts"][name] = write_part(directory, name, value)


def index_from(path: Path) -> Index:
    meta = json.loads((path / META).read_text())
    parts = {name: read_part(path, name, kind) for name, kind in meta.get("parts", {}).items()}
    return Index(
        version=path.name, path=path, meta=meta,
        ids=_load(path, "ids"), published=_load(path, "published"),
        primary_category=_load(path, "primary_category"),
        categories=_load(path, "categories"), matrix=read_part(path, "matrix", "csr"),
        vocabulary=_load(path, "vocab"), idf=_load(path, "idf"), df=_load(path, "df"),
        parts=parts,
    )


def _core_meta(n_docs: int, features: Features, settings: dict[str, Any], n_fulltext: int
               ) -> dict[str, Any]:
    return {
        "format": FORMAT, "version": None,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_docs": n_docs, "n_terms": len(features.vocabulary),
        "nnz": int(features.matrix.nnz),
        "settings": settings, "sample_size": features.sample_size,
        "n_fulltext": n_fulltext,
        "parts": {}, "build_seconds": None,
        # a full build fits the vocabulary: incremental updates count changes from here
        "refit_docs": n_docs, "changed_since_refit": 0,
    }


def _write_meta(directory: Path, meta: dict[str, Any]) -> None:
    tmp = directory / f"{META}.tmp"
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True))
    os.replace(tmp, directory / META)


# -- publishing ---------------------------------------------------------------------


def _publish(root: Path, tmp: Path, meta: dict[str, Any]) -> str:
    """Rename the finished directory to a fresh version name and point `current` at it."""
    for _ in range(100):
        version = next_version(root)
        meta["version"] = version
        _write_meta(tmp, meta)
        try:
            os.rename(tmp, root / version)
        except OSError:
            if (root / version).exists():  # another build took the name
                continue
            raise
        mark_arrived(root / version)
        point_current(root, version)
        return version
    raise RuntimeError(f"could not name a new index version under {root}")


def _strings(values: Sequence[str]) -> np.ndarray:
    return np.array(list(values), dtype=str) if len(values) else np.array([], dtype="<U1")


def _day(value: date | datetime) -> np.datetime64:
    if isinstance(value, datetime):
        value = value.date()
    return np.datetime64(value, "D")
