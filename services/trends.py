"""Keyword trends: the answers of the /trends page, its CSV, /api/trends, /api/hot and the
MCP tools, over the trend table of the current index version.

Tables are built once per index version and process (TrendTables, kept in the app's
`extensions` mapping), so a rebuilt index shows up without a restart. Reports are kept in
the shared cache (services.cache: Redis when configured, so every worker shares one
computation) under the index version, so a rebuild never serves a stale list. Phrases of
three or more words are checked against paper texts read from the store.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from ingest.indexing import document_texts
from recommend.index import Index
from recommend.trend_hot import MIN_SUPPORT, TOP, category_totals, hot_report, trends_report
from recommend.trend_papers import term_papers
from recommend.trend_query import TrendQueryError, parse_month, parse_terms
from recommend.trends import TrendTable
from services.cache import Cache
from services.params import InvalidArgument, QueryArgs, category_arg, int_arg
from store.papers import Paper, get_papers

MAX_QUERY_CHARS = 500
HOT_CACHE_SECONDS = 24 * 3600   # keyed by index version, so a rebuild never serves a stale list
REPORT_CACHE_SECONDS = 3600     # one entry per distinct question: kept shorter
EXTENSION_KEY = "papersift.trends"


# -- the table of the current index ---------------------------------------------------


class NoTrends(Exception):
    """There is no trend table to answer from; the message says what to run."""


class TrendTables:
    """One process's trend table of the current index version, and its category totals."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: str | None = None
        self._table: TrendTable | None = None
        self._totals: dict[str, Any] | None = None

    def table(self, index: Index | None) -> TrendTable:
        """The index's trend table, built once per index version."""
        if index is None:
            raise NoTrends("No index yet: run `papersift index` to build one.")
        with self._lock:
            if self._version != index.version:
                self._version, self._table, self._totals = index.version, TrendTable.from_index(index), None
            table = self._table
        if table is None:
            raise NoTrends("This index was built without trend tables: run `papersift index --force`.")
        return table

    def totals(self, table: TrendTable) -> dict[str, Any]:
        """Papers per month and category of the current table (the page's totals)."""
        with self._lock:
            if self._totals is None or self._table is not table:
                self._totals = category_totals(table)
            return self._totals


def tables_of(extensions: MutableMapping[str, Any]) -> TrendTables:
    """The app's TrendTables (an app's `extensions` mapping), made on first use."""
    tables = extensions.get(EXTENSION_KEY)
    if tables is None:
        tables = extensions[EXTENSION_KEY] = TrendTables()
    return tables


@dataclass(frozen=True)
class TrendSource:
    """What a trends answer comes from: an index version's table, the store, the cache."""

    conn: Connection
    index: Index
    table: TrendTable
    cache: Cache


def trend_source(conn: Connection, index: Index | None, tables: TrendTables, cache: Cache) -> TrendSource:
    """The source of the current index's answers; NoTrends says what to run when there is none."""
    table = tables.table(index)
    assert index is not None
    return TrendSource(conn, index, table, cache)


# -- request parameters ----------------------------------------------------------------


@dataclass(frozen=True)
class TrendArgs:
    q: str
    category: str
    since: str
    until: str
    smooth: int
    month: str
    n: int
    min_support: int

    def replaced(self, term: str, suggestion: str) -> str:
        """The keywords with one of them (as labelled in a report) swapped for a suggestion."""
        pieces = [" ".join(p.lower().split()) for p in self.q.split(",")]
        return ", ".join(suggestion if p == term else p for p in pieces if p)

    def link(self, **changes) -> dict[str, Any]:
        """Query arguments that reproduce this view (defaults left out)."""
        values = {"q": self.q, "cat": self.category, "since": self.since, "until": self.until,
                  "smooth": self.smooth, "month": self.month}
        values.update(changes)
        defaults = {"q": "", "cat": "", "since": "", "until": "", "smooth": 1, "month": ""}
        return {k: v for k, v in values.items() if v != defaults[k]}


def trend_args(args: QueryArgs) -> TrendArgs:
    """Read and check the parameters (InvalidArgument says what is wrong)."""
    q = " ".join(args.get("q", "").split())
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidArgument(f"q is longer than {MAX_QUERY_CHARS} characters")
    parsed = TrendArgs(
        q=q, category=category_arg(args), since=args.get("since", "").strip(),
        until=args.get("until", "").strip(), smooth=int_arg(args, "smooth", 1, 1, 24),
        month=args.get("month", "").strip(), n=int_arg(args, "n", TOP, 1, 100),
        min_support=int_arg(args, "min_support", MIN_SUPPORT, 1, 1_000_000),
    )
    for name in ("since", "until", "month"):
        try:
            parse_month(getattr(parsed, name))
        except TrendQueryError as exc:
            raise InvalidArgument(str(exc)) from None
    return parsed


# -- the answers ---------------------------------------------------------------------------


def keywords_report(source: TrendSource, args: TrendArgs) -> dict[str, Any]:
    """The keywords' series, remembered per (index version, question): a phrase of three or
    more words is checked in every candidate paper's text, about a second at 100k papers."""
    asked = json.dumps([args.q, args.category, args.since, args.until, args.smooth])
    key = f"trends:report:{source.index.version}:{hashlib.sha256(asked.encode()).hexdigest()}"
    report = source.cache.get(key)
    if report is None:
        report = trends_report(source.table, args.q, category=args.category or None,
                               since=parse_month(args.since), until=parse_month(args.until),
                               smooth=args.smooth, fetch=lambda ids: document_texts(source.conn, ids))
        source.cache.set(key, report, ttl=REPORT_CACHE_SECONDS)
    return report


def hot_answer(source: TrendSource, args: TrendArgs) -> dict[str, Any]:
    """The hot, cooling and emerging lists (/api/hot, the page, the MCP tool), remembered per
    (index version, month, n, support, category)."""
    key = f"trends:hot:{source.index.version}:{args.month}:{args.n}:{args.min_support}:{args.category}"
    report = source.cache.get(key)
    if report is None:
        report = hot_report(source.table, month=parse_month(args.month), n=args.n,
                            min_support=args.min_support, category=args.category or None)
        source.cache.set(key, report, ttl=HOT_CACHE_SECONDS)
    return report


def papers_for_terms(source: TrendSource, args: TrendArgs) -> dict[str, list[Paper]]:
    """The papers that explain each keyword of one or two words (longer phrases have none):
    the most representative recent papers mentioning it, up to the reference month."""
    table, index = source.table, source.index
    found: dict[str, list[Paper]] = {}
    for query in parse_terms(args.q):
        if query.is_phrase:
            continue
        rows = term_papers(table, query.term, matrix=index.matrix, column_of=index.column_of,
                           month=parse_month(args.month), category=args.category or None)
        ids = [str(table.ids[r]) for r in rows]
        by_id = {p.id: p for p in get_papers(source.conn, ids)}
        found[query.label] = [by_id[i] for i in ids if i in by_id]
    return found


def paper_json(paper: Paper) -> dict[str, Any]:
    return {"id": paper.id, "title": paper.title, "authors": list(paper.authors),
            "categories": list(paper.categories), "published": paper.published.date().isoformat(),
            "url": paper.abs_url}


def keyword_report(source: TrendSource, args: TrendArgs) -> dict[str, Any]:
    """What /api/trends (and the MCP tool) answers: the series and each keyword's papers."""
    report = dict(keywords_report(source, args))
    papers = papers_for_terms(source, args)
    report["papers"] = {term: [paper_json(p) for p in found] for term, found in papers.items()}
    return report
