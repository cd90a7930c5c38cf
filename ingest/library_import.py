"""The library import use-case: a reference manager's export in, a user's library filled.

Order of work, so a bad file changes nothing: read and parse the whole file (size, encoding,
format and entry-count checks raise LibraryFileError), match every entry, fetch from the
arXiv API the papers it names that the store lacks (batched `id_list`, through the polite
client), then add the matches and their tags to the library in one transaction.

Matching follows the order of issue 20: an arXiv id in the entry's id, URL or note fields;
an arXiv DOI (10.48550/arXiv.*); a DOI the store knows; the title, first exactly after
normalisation, then the closest fuzzy match over the search index when its score reaches
the threshold. Importing the same file again adds nothing and reports the papers as
already in the library.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine

from config import Settings
from ingest.arxiv_client import ID_LIST_BATCH, FetchError, PoliteClient, client_from_settings, fetch_by_ids
from ingest.library_files import CitedWork, LibraryFileError, parse_library
from recommend import title_match
from recommend.search import search_index
from store import library as lib
from store import library_match
from store.papers import upsert_papers

log = logging.getLogger("papersift.library_import")

__all__ = ["ImportReport", "LibraryFileError", "import_library"]


@dataclass(frozen=True)
class Matched:
    label: str
    paper_id: str
    how: str                    # "arXiv id", "arXiv DOI", "DOI", "title", "title ~93"


@dataclass(frozen=True)
class Unmatched:
    label: str
    title: str
    reason: str


@dataclass
class ImportReport:
    """What an import did, entry by entry: the result page and `library import` print it."""

    format: str
    entries: int
    threshold: float
    matched: list[Matched] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    added: list[str] = field(default_factory=list)          # newly in the library
    already: list[str] = field(default_factory=list)        # were in the library before
    fetched: list[str] = field(default_factory=list)        # fetched from arXiv by this import
    duplicates: list[str] = field(default_factory=list)     # labels of entries naming a paper twice
    tags: list[str] = field(default_factory=list)
    fetch_error: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (f"{self.entries} entries ({self.format}): {len(self.matched)} matched, "
                f"{len(self.added)} added, {len(self.already)} already in the library, "
                f"{len(self.fetched)} fetched from arXiv, {len(self.unmatched)} unmatched"
                + (f", {len(self.duplicates)} duplicate entries" if self.duplicates else ""))


@dataclass
class _Pending:
    work: CitedWork
    paper_id: str | None = None
    how: str = ""
    reason: str = ""


def import_library(engine: Engine, settings: Settings, user_id: int, data: bytes, filename: str, *,
                   fmt: str | None = None, tag: str | None = None, index=None,
                   fetch: bool = True, fetch_max: int | None = None,
                   client: PoliteClient | None = None,
                   on_batch: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import a library file into a user's library and report entry by entry.

    `index` is the loaded search index (None: titles are matched exactly against the store
    only); `fetch_max` caps how many missing papers are fetched (None: all); `on_batch`
    sees (ids fetched so far, ids to fetch) after each arXiv request.
    """
    max_bytes = settings.library_import_max_mb * 1024 * 1024
    if len(data) > max_bytes:
        raise LibraryFileError(f"The file has {len(data) / 1048576:.1f} MB; at most "
                               f"{settings.library_import_max_mb} MB can be imported.")
    fmt, works = parse_library(data, filename, max_entries=settings.library_import_max_entries,
                               fmt=fmt)
    if tag is not None:
        lib.check_tag_name(tag)
    report = ImportReport(fmt, len(works), settings.library_import_title_threshold)
    pending = [_Pending(w) for w in works]
    with engine.connect() as conn:
        _match_ids(conn, pending)
    if fetch:
        _fetch_missing(engine, settings, pending, report, fetch_max, client, on_batch)
    with engine.connect() as conn:
        _match_titles(conn, pending, index, report.threshold)
    _record(engine, user_id, pending, report, tag)
    return report


def _match_ids(conn, pending: Sequence[_Pending]) -> None:
    ids = [p.work.arxiv_id for p in pending if p.work.arxiv_id]
    known = lib.known_ids(conn, ids)
    by_doi = library_match.ids_by_doi(conn, [p.work.doi for p in pending if p.work.doi])
    for p in pending:
        w = p.work
        if w.arxiv_id and w.arxiv_id in known:
            p.paper_id, p.how = w.arxiv_id, w.arxiv_from
        elif w.doi and w.doi.lower() in by_doi:
            p.paper_id, p.how = by_doi[w.doi.lower()], "DOI"
        elif w.arxiv_id:
            p.reason = f"arXiv id {w.arxiv_id} is not in this papersift (not fetched from arXiv)"


def _fetch_missing(engine: Engine, settings: Settings, pending: Sequence[_Pending], report: ImportReport,
                   fetch_max: int | None, client: PoliteClient | None,
                   on_batch: Callable[[int, int], None] | None) -> None:
    missing = list(dict.fromkeys(p.work.arxiv_id for p in pending if p.paper_id is None and p.work.arxiv_id))
    over = set(missing[fetch_max:]) if fetch_max is not None else set()
    todo = missing[:fetch_max] if fetch_max is not None else missing
    got: set[str] = set()
    tried: set[str] = set()
    if todo and client is None:
        client = client_from_settings(settings)
    for start in range(0, len(todo), ID_LIST_BATCH):
        batch = todo[start:start + ID_LIST_BATCH]
        try:
            page = fetch_by_ids(client, settings.arxiv_api_url, batch)
        except FetchError as exc:
            report.fetch_error = str(exc)
            log.info("library import: arXiv lookup stopped: %s", exc)
            break
        with engine.begin() as conn:
            upsert_papers(conn, page.records)
        got.update(r.id for r in page.records)
        tried.update(batch)
        if on_batch:
            on_batch(min(start + len(batch), len(todo)), len(todo))
    report.fetched = [i for i in todo if i in got]
    for p in pending:
        i = p.work.arxiv_id
        if p.paper_id is not None or not i:
            continue
        if i in got:
            p.paper_id, p.how = i, "arXiv id (fetched)"
        elif i in over:
            p.reason = (f"arXiv id {i} is not in this papersift and is over this import's fetch "
                        f"limit of {fetch_max}; import the file with `papersift library import`")
        elif i in tried:
            p.reason = f"arXiv id {i}: arXiv has no such paper"
        else:
            p.reason = f"arXiv id {i} is not in this papersift and arXiv could not be asked: " \
                       f"{report.fetch_error}"


def _match_titles(conn, pending: Sequence[_Pending], index, threshold: float) -> None:
    todo = [p for p in pending if p.paper_id is None and p.work.title]
    if not todo:
        _reasons(pending)
        return
    si = search_index(index)
    if si is None:
        _exact_from_store(conn, todo)
    else:
        _titles_over_index(conn, si, todo, threshold)
    _reasons(pending)


def _exact_from_store(conn, todo: Sequence[_Pending]) -> None:
    """Before the first index build: exact normalised titles over the whole store."""
    wanted: dict[str, list[_Pending]] = {}
    for p in todo:
        wanted.setdefault(title_match.normal_title(p.work.title), []).append(p)
    wanted.pop("", None)
    with closing(library_match.all_titles(conn)) as titles:   # closes the cursor on an early stop
        for paper_id, title in titles:
            for p in wanted.pop(title_match.normal_title(title), []):
                p.paper_id, p.how = paper_id, "title"
            if not wanted:
                break
    for group in wanted.values():
        for p in group:
            p.reason = p.reason or "no paper with this title (no search index yet, so no fuzzy match)"


def _titles_over_index(conn, si, todo: Sequence[_Pending], threshold: float) -> None:
    rows = title_match.exact_rows(si, [p.work.title for p in todo])
    fuzzy: list[tuple[_Pending, list[str]]] = []
    for p, row in zip(todo, rows, strict=True):
        if row is not None:
            p.paper_id, p.how = str(si.ids[row]), "title"
        else:
            fuzzy.append((p, [str(si.ids[r]) for r in title_match.candidate_rows(si, p.work.title)]))
    titles = library_match.titles_of(conn, [i for _, ids in fuzzy for i in ids])
    for p, ids in fuzzy:
        scored = sorted(((title_match.similarity(p.work.title, titles[i]), i) for i in ids if i in titles),
                        reverse=True)
        if scored and scored[0][0] >= threshold:
            p.paper_id, p.how = scored[0][1], f"title ~{scored[0][0]:.0f}"
        elif p.reason:
            continue            # the arXiv id's reason says more than a failed title match
        elif scored:
            p.reason = (f"closest title is {scored[0][1]} at {scored[0][0]:.0f}, below the "
                        f"threshold {threshold:g}: “{titles[scored[0][1]][:120]}”")
        else:
            p.reason = "no paper with a similar title"


def _reasons(pending: Sequence[_Pending]) -> None:
    for p in pending:
        if p.paper_id is None and not p.reason:
            p.reason = ("no arXiv id, arXiv DOI or title in the entry" if not p.work.title
                        else "no paper with this title")


def _record(engine: Engine, user_id: int, pending: Sequence[_Pending], report: ImportReport,
            tag: str | None) -> None:
    seen: set[str] = set()
    wanted: list[str] = []
    by_tag: dict[str, list[str]] = {}
    for p in pending:
        if p.paper_id is None:
            report.unmatched.append(Unmatched(p.work.label, p.work.title[:300], p.reason))
            continue
        report.matched.append(Matched(p.work.label, p.paper_id, p.how))
        if p.paper_id in seen:
            report.duplicates.append(p.work.label)
        else:
            seen.add(p.paper_id)
            wanted.append(p.paper_id)
        for name in (*p.work.tags, *([tag] if tag else [])):
            try:
                by_tag.setdefault(lib.check_tag_name(name), []).append(p.paper_id)
            except lib.LibraryError:
                continue
    with engine.begin() as conn:
        before = lib.library_ids(conn, user_id)
        report.added, _ = lib.add_to_library(conn, user_id, wanted)
        report.already = [i for i in wanted if i in before]
        for name, ids in by_tag.items():
            lib.tag_papers(conn, user_id, name, ids)
    report.tags = sorted(by_tag)
