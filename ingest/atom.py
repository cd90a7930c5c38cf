"""arXiv API Atom responses -> PaperRecord, with feedparser. Pure: bytes in, a page out.

Both formats the API has served are accepted: the legacy one (namespaces declared on each
element, `http://arxiv.org` links) and the 2026 one (namespaces on `<feed>`, `https` links,
a bare `<arxiv:primary_category>`). feedparser maps both onto the same keys.

An error response (an HTTP 400 whose single entry has an id under `arxiv.org/api/errors`)
and a body that is not a well-formed feed (a truncated download, an HTML error page) raise
AtomError: neither must pass for an empty or partial page, or a fetcher would stop paging
early or skip papers without noticing.
"""

from __future__ import annotations

import xml.sax
from dataclasses import dataclass, field
from datetime import datetime
from time import struct_time
from typing import Any

import feedparser

from domain.ids import ArxivIdError, parse_arxiv_id
from domain.records import PaperRecord, RecordError, make_record

_ERROR_IDS = ("http://arxiv.org/api/errors", "https://arxiv.org/api/errors")


class AtomError(ValueError):
    """The response is an arXiv API error or not a well-formed Atom feed; `message` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class AtomPage:
    """One page of an API response: paging counters (None when absent) and its records."""

    total_results: int | None
    start_index: int | None
    items_per_page: int | None
    records: list[PaperRecord] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)


def parse_atom(data: bytes, source: str) -> AtomPage:
    """Parse an Atom response body; `source` names it in error messages ("feed.xml").

    Entries that cannot be imported are returned in `errors` ("feed.xml entry 3: ...") and
    the rest in `records`, in feed order.
    """
    try:
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    except ValueError as exc:  # bad bytes in the XML declaration or a namespace prefix
        raise AtomError(f"{source}: not a readable Atom feed ({exc.__class__.__name__}: {exc})") from None
    _check_well_formed(parsed, source)
    _check_error_entry(parsed, source)
    feed = parsed.feed
    page = AtomPage(
        total_results=_int(feed.get("opensearch_totalresults")),
        start_index=_int(feed.get("opensearch_startindex")),
        items_per_page=_int(feed.get("opensearch_itemsperpage")),
    )
    for number, entry in enumerate(parsed.entries, start=1):
        try:
            page.records.append(entry_record(entry, f"{source} entry {number}"))
        except RecordError as exc:
            page.errors.append(exc)
    return page


def _check_well_formed(parsed: Any, source: str) -> None:
    exc = parsed.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXException):
        raise AtomError(f"{source}: malformed or truncated XML ({exc})")
    if not parsed.get("version", "").startswith("atom"):
        raise AtomError(f"{source}: not an Atom feed")


def _check_error_entry(parsed: Any, source: str) -> None:
    for entry in parsed.entries:
        if str(entry.get("id", "")).startswith(_ERROR_IDS):
            message = " ".join(str(entry.get("summary", "")).split()) or entry["id"]
            raise AtomError(f"{source}: arXiv API error: {message}")


def entry_record(entry: Any, where: str) -> PaperRecord:
    """One feedparser entry -> PaperRecord (version from the entry id, primary category first)."""
    try:
        arxiv_id = parse_arxiv_id(str(entry.get("id", "")))
    except ArxivIdError as exc:
        raise RecordError(where, str(exc)) from None
    return make_record(
        where,
        id=arxiv_id.id,
        version=arxiv_id.version,
        title=entry.get("title"),
        authors=[a.get("name") for a in entry.get("authors", []) if a.get("name")],
        abstract=entry.get("summary"),
        categories=_categories(entry),
        published=_date(entry.get("published_parsed")),
        updated=_date(entry.get("updated_parsed")),
        comment=entry.get("arxiv_comment"),
        journal_ref=entry.get("arxiv_journal_ref"),
        doi=entry.get("arxiv_doi"),
    )


def _categories(entry: Any) -> list[str]:
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    terms = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
    return [primary, *terms] if primary else terms


def _date(value: struct_time | None) -> datetime | None:
    """feedparser gives dates as UTC struct_time; the store keeps naive UTC datetimes."""
    return datetime(*value[:6]) if value else None


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
