"""Pipeline use-cases. `import_files`: metadata files (JSON lines or Atom) into the store.

Each batch of records is upserted in its own transaction, so a huge file makes visible
progress and a crash loses at most one batch; re-running the import is always safe
(unchanged records are counted, never duplicated). Every import is recorded as a run.
"""

from __future__ import annotations

import gzip
import os
import sys
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import Engine
from tqdm import tqdm

from domain.records import PaperRecord, RecordError
from ingest.atom import AtomError, parse_atom
from ingest.jsonl import GZIP_MAGIC, iter_jsonl
from store.papers import UpsertCounts, upsert_papers
from store.runs import finish_run, record_run_start

MAX_EXAMPLES = 50
# an Atom file is parsed whole; API pages are a few MB at most
MAX_ATOM_BYTES = 200_000_000


class InputFileError(Exception):
    """A file given to import is missing or unreadable (not to be confused with Python's
    ImportError, which is about modules). Raised before anything is written."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass
class ImportSummary:
    """What an import did: store counts, rejected records (the first few, with where)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0                # an older version than the store has: ignored
    rejected: int = 0
    rejected_examples: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def accepted(self) -> int:
        """Records that were valid, whatever the store did with them."""
        return self.new + self.updated + self.unchanged + self.older

    def add(self, counts: UpsertCounts) -> None:
        self.new += counts.new
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.older += counts.older

    def reject(self, error: RecordError) -> None:
        self.rejected += 1
        if len(self.rejected_examples) < MAX_EXAMPLES:
            self.rejected_examples.append(str(error))

    def lines(self, examples: int = 0) -> list[str]:
        """The end summary, then up to `examples` rejected records with their line/entry."""
        n_files = len(self.files)
        out = [f"read {n_files} file{'s' if n_files != 1 else ''} in {self.seconds:.1f} s",
               f"new: {self.new:,}", f"updated: {self.updated:,}",
               f"unchanged: {self.unchanged:,}", f"rejected: {self.rejected:,}"]
        if self.older:
            out.append(f"older versions ignored: {self.older:,}")
        shown = self.rejected_examples[:examples]
        if shown:
            out.append(f"rejected records (first {len(shown)} of {self.rejected:,}):")
            out.extend(f"  {example}" for example in shown)
        return out

    def summary(self) -> str:
        return "\n".join(self.lines())

    def __str__(self) -> str:
        return self.summary()


def import_files(engine: Engine, paths: Iterable[str | Path], *, progress: bool = True,
                 batch_size: int = 1000) -> ImportSummary:
    """Import metadata files into the store and say what happened.

    The format is detected per file from its content (Atom XML, else JSON lines; either may
    be gzip'ed). Malformed records are counted and skipped; all files are checked to be
    readable first, raising InputFileError before anything is written.
    """
    files = [_readable(Path(p)) for p in paths]
    summary = ImportSummary(files=[str(p) for p in files])
    started = time.perf_counter()
    with engine.begin() as conn:
        run_id = record_run_start(conn, "import", {"files": summary.files})
    status, message = "failed", None
    try:
        total = sum(p.stat().st_size for p in files)
        with tqdm(total=total, unit="B", unit_scale=True, disable=not progress,
                  file=sys.stderr, desc="import") as bar:
            for path in files:
                _import_file(engine, path, summary, batch_size, bar)
        status = "ok"
    except KeyboardInterrupt:
        status, message = "interrupted", "interrupted"
        raise
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        summary.seconds = time.perf_counter() - started
        with engine.begin() as conn:
            finish_run(conn, run_id, status, new=summary.new, updated=summary.updated,
                       errors=summary.rejected, message=message or summary.summary())
    return summary


def _readable(path: Path) -> Path:
    if not path.exists():
        raise InputFileError(path, "no such file")
    if not path.is_file():
        raise InputFileError(path, "not a file")
    if not os.access(path, os.R_OK):
        raise InputFileError(path, "not readable (permission denied)")
    return path


def _import_file(engine: Engine, path: Path, summary: ImportSummary, batch_size: int,
                 bar: tqdm) -> None:
    """Stream one file's records into the store in batches, advancing the bar by bytes read."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from None
    with raw, _decompressed(raw) as stream:
        done = 0
        batch: list[PaperRecord] = []
        for item in _items(stream, path.name):
            if isinstance(item, RecordError):
                summary.reject(item)
                continue
            batch.append(item)
            if len(batch) >= batch_size:
                _store(engine, batch, summary)
                batch = []
                done = _advance(bar, raw, done)
        if batch:
            _store(engine, batch, summary)
        bar.update(path.stat().st_size - done)


def _decompressed(raw: IO[bytes]) -> ContextManager[IO[bytes]]:
    """The file's content, through gzip when it starts with the gzip magic bytes.

    Progress is measured on `raw`, the compressed bytes actually read from disk.
    """
    if raw.peek(2)[:2] == GZIP_MAGIC:  # type: ignore[attr-defined]
        return gzip.GzipFile(fileobj=raw, mode="rb")
    return nullcontext(raw)


def _items(stream: IO[bytes], source: str) -> Iterator[PaperRecord | RecordError]:
    """Records and errors of one file; a file that breaks off (bad gzip) ends with an error."""
    try:
        if _looks_like_xml(stream):
            yield from _atom_items(stream, source)
            return
        yield from iter_jsonl(stream, source)
    except (OSError, EOFError, zlib.error) as exc:
        yield RecordError(source, f"file is truncated or corrupt, rest skipped ({exc})")


def _looks_like_xml(stream: IO[bytes]) -> bool:
    head = stream.peek(512)[:512].lstrip(b"\xef\xbb\xbf \t\r\n")  # type: ignore[attr-defined]
    return head.startswith(b"<")


def _atom_items(stream: IO[bytes], source: str) -> Iterator[PaperRecord | RecordError]:
    data = stream.read(MAX_ATOM_BYTES + 1)
    if len(data) > MAX_ATOM_BYTES:
        yield RecordError(source, f"Atom file larger than {MAX_ATOM_BYTES:,} bytes, skipped")
        return
    try:
        page = parse_atom(data, source)
    except AtomError as exc:
        yield RecordError(source, exc.message.removeprefix(f"{source}: "))
        return
    yield from page.records
    yield from page.errors


def _store(engine: Engine, batch: list[PaperRecord], summary: ImportSummary) -> None:
    with engine.begin() as conn:
        summary.add(upsert_papers(conn, batch))


def _advance(bar: tqdm, raw: IO[bytes], done: int) -> int:
    position = raw.tell()
    bar.update(position - done)
    return position
