"""The index stage of the pipeline: read the store, hand documents to recommend.index.

Skipped when the store's fingerprint equals the current index's, so a second
`make run` or a scheduled run with nothing new costs one query. When the store changed,
the new and changed papers update the current version incrementally
(recommend/index_update.py) unless a full refit is due (ingest/index_plan.py says when).
"""

from __future__ import annotations

import pickle
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import overload

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from tqdm import tqdm

from config import Settings
from domain import index_files
from ingest.index_plan import UpdatePlan, plan_update, refit_age_days
from recommend.index import Doc, Index, build_index, load_index
from recommend.index_pass import SEARCH_BUILDER, TREND_BUILDER
from recommend.index_update import NeedsFullBuild, update_index
from recommend.lsa import build_lsa_parts
from recommend.lsa_update import update_lsa_parts
from recommend.text import document
from recommend.trend_update import update_trend_parts
from store.fulltext import with_text_count
from store.index_delta import high_water
from store.index_docs import index_doc_ids, index_docs_by_id, snapshot
from store.papers import IndexDoc, count_papers, index_fingerprint, iter_index_docs
from store.trends import paper_texts


def _optional_search_updater() -> Callable | None:
    """recommend.search_update.iter_search_parts where that module exists, else None (it
    hands over each part as it is merged, so the update writes and frees them one by one)."""
    try:
        from recommend.search_update import iter_search_parts
    except ModuleNotFoundError as exc:
        if exc.name != "recommend.search_update":
            raise
        return None
    return iter_search_parts


# papers read from the store at a time: the build holds about this many texts at once
READ_CHUNK_DOCS = 2000

# extra index parts (search, trends, LSA) register here: (name, builder, updater or None).
# Without an updater every change to the store is a full build (ingest/index_plan.py).
EXTRA_BUILDERS: list[tuple[str, Callable, Callable | None]] = []
# trends and search are made from the full build's one count of every text
# (recommend/index_pass.py); search last, as it frees that count matrix as it goes
EXTRA_BUILDERS.append(("trends", TREND_BUILDER, update_trend_parts))
EXTRA_BUILDERS.append(("search", SEARCH_BUILDER, _optional_search_updater()))
EXTRA_BUILDERS.append(("lsa", build_lsa_parts, update_lsa_parts))


@dataclass(frozen=True)
class IndexResult:
    built: bool
    info: index_files.IndexInfo | None
    seconds: float
    reason: str = ""
    updated: bool = False           # an incremental update, not a full build
    refit_reason: str = ""          # why a full build refitted instead of updating
    drift_limit: float | None = None

    def summary(self) -> str:
        if self.info is None:
            return f"No index: {self.reason}"
        if self.updated:
            return self._update_summary()
        what = "Built" if self.built else "Index is current, not rebuilt:"
        why = f" (full refit: {self.refit_reason})" if self.built and self.refit_reason else ""
        return (f"{what} {self.info.version}: {self.info.n_docs:,} papers, "
                f"{self.info.n_terms:,} terms, {self.info.size_bytes / 1e6:.1f} MB"
                + (f" in {self.seconds:.1f} s" if self.built else "") + why)

    def _update_summary(self) -> str:
        assert self.info is not None
        meta = self.info.meta
        age = refit_age_days(meta)
        fitted = "at an unknown time" if age is None else _days_ago(age)
        limit = f" of {self.drift_limit:.0%}" if self.drift_limit is not None else ""
        return (f"Updated {self.info.version}: +{meta['n_added']:,} new, {meta['n_revised']:,} "
                f"revised, {meta['n_removed']:,} removed in {self.seconds:.1f} s "
                f"({self.info.n_docs:,} papers); vocabulary fitted {fitted}, "
                f"drift {meta['drift']:.1%}{limit}")


def _days_ago(days: float) -> str:
    if days < 1:
        hours = days * 24
        return "less than an hour ago" if hours < 1 else f"{hours:.0f} h ago"
    return f"{days:.0f} day{'s' if round(days) != 1 else ''} ago"


def document_texts(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """Paper id -> the text the index read for it (title, abstract, full text if extracted)."""
    return {pid: document(*t) for pid, t in paper_texts(conn, ids).items()}


def load_docs(engine: Engine, settings: Settings, progress: bool = False
              ) -> tuple[str, list[Doc]]:
    """The store's fingerprint and every paper as an index document, all in memory.

    The whole corpus at once: for tests and small stores. `build` streams `StoreDocs`.
    """
    with engine.connect() as conn, conn.begin():
        stamp = index_fingerprint(conn, settings)
        total = count_papers(conn)
        docs = [index_doc(d) for d in tqdm(iter_index_docs(conn), total=total,
                                           disable=not progress, desc="reading papers",
                                           unit=" papers")]
    return stamp, docs


def index_doc(d: IndexDoc) -> Doc:
    """A stored paper as the index sees it."""
    return Doc(d.id, d.published, d.categories, document(d.title, d.abstract, d.fulltext),
               d.fulltext is not None, d.title, d.authors)


class StoreDocs(Sequence[Doc]):
    """The papers of a pinned id list, read from the store `chunk` at a time.

    A re-iterable, indexable sequence for `build_index` and its builders, each of which
    passes over it once or more: only the chunk being read is held, never every text.
    `conn` must stay open (in a `snapshot`) while the sequence is used.

    With `spill_dir`, each chunk is read from the store once and kept there as one
    compressed file; later passes read the file, several times faster than the query
    (which decompresses full texts and parses JSON columns on every pass).
    """

    def __init__(self, conn: Connection, ids: Sequence[str], *,
                 chunk: int | None = None, progress: bool = False,
                 spill_dir: Path | None = None) -> None:
        chunk = READ_CHUNK_DOCS if chunk is None else chunk
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1 paper, got {chunk}")
        self._conn, self._ids, self._chunk, self._progress = conn, ids, chunk, progress
        self._cached: tuple[int, list[Doc]] = (-1, [])
        self._spill_dir = spill_dir
        self.store_reads = 0    # chunks read from the store rather than the spill

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, i: int) -> Doc: ...
    @overload
    def __getitem__(self, i: slice) -> list[Doc]: ...

    def __getitem__(self, i: int | slice) -> Doc | list[Doc]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        start = i - i % self._chunk
        if self._cached[0] != start:
            self._cached = (start, self._read(start))
        return self._cached[1][i - start]

    def __iter__(self) -> Iterator[Doc]:
        for start in tqdm(range(0, len(self), self._chunk), disable=not self._progress,
                          desc="reading papers", unit=" chunks"):
            yield from (self._cached[1] if self._cached[0] == start else self._read(start))

    def _read(self, start: int) -> list[Doc]:
        spilled = self._spill_dir / f"docs-{start:010d}.pkl.z" if self._spill_dir else None
        if spilled is not None and spilled.exists():
            # a file this build wrote itself (see below), in a directory only it uses
            return pickle.loads(zlib.decompress(spilled.read_bytes()))
        ids = self._ids[start:start + self._chunk]
        docs = [index_doc(d) for d in index_docs_by_id(self._conn, ids)]
        self.store_reads += 1
        if spilled is not None:
            tmp = spilled.with_suffix(".tmp")
            tmp.write_bytes(zlib.compress(pickle.dumps(docs, pickle.HIGHEST_PROTOCOL), 1))
            tmp.replace(spilled)
        return docs


def is_current(engine: Engine, settings: Settings) -> bool:
    info = index_files.index_info(settings.index_dir)
    if info is None:
        return False
    with engine.connect() as conn:
        return info.fingerprint == index_fingerprint(conn, settings)


def build(engine: Engine, settings: Settings, *, force: bool = False, full: bool = False,
          progress: bool = False) -> IndexResult:
    """Make a new index version unless the current one already reflects the store.

    The new version updates the current one incrementally when it can (ingest/index_plan.py),
    else it is a full build that refits the vocabulary. force: a full build even when the
    store has not changed; full: a full refit whatever changed.
    """
    started = time.perf_counter()
    if not (force or full) and is_current(engine, settings):
        return IndexResult(False, index_files.index_info(settings.index_dir), 0.0)
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    # TMP_PREFIX: a build killed before it cleans up leaves a folder the next one removes
    with snapshot(engine) as conn, tempfile.TemporaryDirectory(
            prefix=f"{index_files.TMP_PREFIX}docs-", dir=settings.index_dir) as spill:
        stamp = index_fingerprint(conn, settings)
        mark = {"high_water": high_water(conn)}
        base = None
        if force or full:
            plan: UpdatePlan | str = "asked for (--full)" if full else "asked for (--force)"
        else:
            base = load_index(settings.index_dir)
            plan = plan_update(conn, base, settings, stamp, extra_updaters(settings))
        if isinstance(plan, UpdatePlan):
            try:
                # a folder of its own: the full build's chunks would reuse the same names
                info = _update(conn, settings, base, plan, stamp, mark, progress,
                               Path(spill) / "update")
            except NeedsFullBuild as exc:      # a part cannot be carried forward: refit
                plan = str(exc)
            else:
                return IndexResult(True, info, time.perf_counter() - started, updated=True,
                                   drift_limit=settings.index_refit_drift)
        builders = extra_builders(settings)
        # the one analysis pass reads each chunk once: a local copy would only be written
        one_pass = any(hasattr(builder, "from_counts") for builder in builders)
        docs = StoreDocs(conn, index_doc_ids(conn), progress=progress,
                         spill_dir=None if one_pass else Path(spill))
        if not docs:
            return IndexResult(False, None, 0.0, "the store has no papers yet")
        info = build_index(
            settings.index_dir, docs, fingerprint=stamp,
            extra=builders, max_features=settings.index_max_features,
            sample_docs=settings.index_sample_docs,
            min_df=2 if len(docs) >= 50 else 1, meta_extra=mark,
            grace_seconds=settings.index_grace_minutes * 60,
        )
    return IndexResult(True, info, time.perf_counter() - started, refit_reason=plan,
                       drift_limit=settings.index_refit_drift)


def _update(conn: Connection, settings: Settings, base: Index, plan: UpdatePlan, stamp: str,
            mark: dict, progress: bool, spill_dir: Path) -> index_files.IndexInfo:
    """A new version from the current one and the plan's delta (recommend/index_update.py)."""
    spill_dir.mkdir()
    return update_index(
        settings.index_dir, base, plan.keep,
        StoreDocs(conn, plan.new_ids, progress=progress, spill_dir=spill_dir), fingerprint=stamp,
        updaters=[u for u in extra_updaters(settings) if u is not None],
        n_revised=plan.n_revised,
        meta_extra={**mark, "n_fulltext": with_text_count(conn)})


def _configured(name: str, function: Callable, settings: Settings | None) -> Callable:
    """A part's builder or updater with the settings it takes (the LSA dimensions)."""
    if name == "lsa" and settings is not None:
        return partial(function, dim=settings.search_lsa_dim)
    return function


def extra_builders(settings: Settings | None = None) -> Sequence[Callable]:
    """The registered builders; the LSA one with the configured dimensions (0: not built)."""
    return [_configured(entry[0], entry[1], settings) for entry in EXTRA_BUILDERS]


def extra_updaters(settings: Settings | None = None) -> list[Callable | None]:
    """The updater of each extra part, None where a part has none; the LSA one with the
    configured dimensions."""
    return [_configured(entry[0], entry[2], settings)
            if len(entry) > 2 and entry[2] is not None else None for entry in EXTRA_BUILDERS]
