"""Parsing and validating the parameters shared by pages, the JSON API and the MCP tools.

Parsers read QueryArgs (a query string or form: werkzeug's MultiDict, or any mapping
with `get` and `getlist`) and raise InvalidArgument with a message saying what is wrong;
the web layer answers it with a 400, the MCP server with a tool error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import Connection

from store.papers import WINDOWS, PaperFilter, window_start

PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000
_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?")


class QueryArgs(Protocol):
    """Request parameters by name: what the parsers need of werkzeug's MultiDict."""

    def get(self, key: str, default: str = ...) -> str: ...

    def getlist(self, key: str) -> list[str]: ...


class InvalidArgument(ValueError):
    """A request parameter that breaks a rule; the message says which (a 400 on the web)."""

    @property
    def description(self) -> str:
        return str(self)


@dataclass(frozen=True)
class BrowseQuery:
    category: str
    window: str
    revisions: bool
    page: int
    per_page: int
    has_code: bool = False

    def paper_filter(self, conn: Connection) -> PaperFilter:
        return PaperFilter(category=self.category or None, since=window_start(conn, self.window),
                           revisions=self.revisions, has_code=self.has_code)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def args(self, **changes) -> dict[str, str | int]:
        """Query-string arguments reproducing this view (with changes), defaults left out."""
        values = {"cat": self.category, "window": self.window,
                  "show": "all" if self.revisions else "new", "page": self.page,
                  "code": "1" if self.has_code else ""}
        values.update(changes)
        defaults = {"cat": "", "window": "all", "show": "all", "page": 1, "code": ""}
        return {k: v for k, v in values.items() if defaults.get(k) != v}


def int_arg(args: QueryArgs, name: str, default: int, lo: int, hi: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidArgument(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if not lo <= value <= hi:
        raise InvalidArgument(f"{name} must be between {lo} and {hi}")
    return value


def category_arg(args: QueryArgs) -> str:
    cat = args.get("cat", "").strip()
    if cat and not _CATEGORY.fullmatch(cat):
        raise InvalidArgument(f"not an arXiv category: {cat[:40]!r}")
    return cat


def browse_query(args: QueryArgs, default_window: str = "all") -> BrowseQuery:
    window = args.get("window", default_window).strip() or default_window
    if window not in WINDOWS:
        raise InvalidArgument(f"window must be one of {', '.join(WINDOWS)}")
    show = args.get("show", "all").strip() or "all"
    if show not in {"all", "new"}:
        raise InvalidArgument("show must be 'new' (first versions only) or 'all' (revisions too)")
    return BrowseQuery(
        category=category_arg(args),
        window=window,
        revisions=show == "all",
        page=int_arg(args, "page", 1, 1, MAX_PAGE),
        per_page=int_arg(args, "per_page", PAGE_SIZE, 1, MAX_PAGE_SIZE),
        has_code=args.get("code", "").strip() in {"1", "true", "yes"},
    )
