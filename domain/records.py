"""PaperRecord: the one shape every source (JSON lines, Atom, OAI-PMH) parses into.

Pure. Validation errors say where the bad record was (file, line or entry).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.ids import ArxivIdError, parse_arxiv_id

MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_AUTHORS = 5_000
# arXiv categories (cs.CV, hep-th, cond-mat.str-el); listings also carry ACM/MSC codes
# such as "I.2.7" or "68T50", which are not categories and are dropped
_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?")


class RecordError(ValueError):
    """A record that cannot be imported; `where` says which one (e.g. 'file.jsonl line 12')."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True, slots=True)
class PaperRecord:
    id: str                      # arXiv id without version
    version: int                 # latest version known to the source (1 if unknown)
    title: str
    authors: tuple[str, ...]     # in order
    abstract: str
    categories: tuple[str, ...]  # primary first
    published: datetime          # first-version date (naive UTC); months are counted by it
    updated: datetime | None = None   # latest-version date
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def primary_category(self) -> str:
        return self.categories[0] if self.categories else ""


def _naive_utc(value: datetime) -> datetime:
    """Aware datetimes are converted to UTC; naive ones are taken as UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None, microsecond=0)


def _clean(text: object) -> str:
    return " ".join(str(text).split()) if text is not None else ""


def _author_names(where: str, authors: object) -> tuple[str, ...]:
    """The non-empty author names, whitespace folded; RecordError unless a list of at most
    MAX_AUTHORS."""
    if isinstance(authors, str) or not isinstance(authors, list | tuple):
        raise RecordError(where, "authors must be a list of names")
    names = tuple(a for a in (_clean(x) for x in authors) if a)
    if len(names) > MAX_AUTHORS:
        raise RecordError(where, f"more than {MAX_AUTHORS} authors")
    return names


def make_record(
    where: str,
    *,
    id: str,
    title: object,
    authors: object,
    abstract: object,
    categories: object,
    published: datetime | None,
    version: int | None = None,
    updated: datetime | None = None,
    comment: object = None,
    journal_ref: object = None,
    doi: object = None,
) -> PaperRecord:
    """Validate and normalise raw fields into a PaperRecord, or raise RecordError."""
    try:
        parsed = parse_arxiv_id(id)
    except ArxivIdError as exc:
        raise RecordError(where, str(exc)) from None
    version = version or parsed.version or 1
    title_s = _clean(title)
    if not title_s:
        raise RecordError(where, "missing title")
    if len(title_s) > MAX_TITLE:
        raise RecordError(where, f"title longer than {MAX_TITLE} characters")
    author_t = _author_names(where, authors)
    abstract_s = _clean(abstract)
    if len(abstract_s) > MAX_ABSTRACT:
        raise RecordError(where, f"abstract longer than {MAX_ABSTRACT} characters")
    if isinstance(categories, str) or not isinstance(categories, list | tuple):
        raise RecordError(where, "categories must be a list")
    cats = tuple(dict.fromkeys(c for c in (_clean(x) for x in categories) if _CATEGORY.fullmatch(c)))
    if not cats:
        raise RecordError(where, "no arXiv category")
    if published is None:
        raise RecordError(where, "missing first-version date")
    return PaperRecord(
        id=parsed.id,
        version=int(version),
        title=title_s,
        authors=author_t,
        abstract=abstract_s,
        categories=cats,
        published=_naive_utc(published),
        updated=_naive_utc(updated) if updated else None,
        comment=_clean(comment) or None,
        journal_ref=_clean(journal_ref) or None,
        doi=_clean(doi) or None,
    )
