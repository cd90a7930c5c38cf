"""The MCP tools' bodies: their arguments, bounds and descriptions as the assistant sees them.

Each tool checks its arguments twice with the same bounds: the JSON schema the SDK builds
from the annotations below, then the JSON API's own parsers in `adapter`. Each call runs
in a fresh app context (its own store connection), answers at most MAX_RESULT_CHARS of
JSON, and acts for one user only (`Identity`): no tool takes a user argument.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from flask import Flask
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from pydantic import Field

from config import Settings
from mcp_server import adapter

log = logging.getLogger("papersift.mcp")

MAX_RESULT_CHARS = 40_000       # about 10k tokens: room for an assistant to think about the answer
MAX_FULLTEXT_CHARS = 20_000
MAX_SIMILAR = 50
MAX_RECOMMEND = 100
MAX_PAPERS_PER_ADD = 100
LIST_KEYS = ("results", "papers", "similar", "hot", "cooling")   # trimmed from the end to fit

BOUNDS = adapter.API_BOUNDS
Window = Literal[adapter.TIME_WINDOWS]  # type: ignore[valid-type]
Category = Annotated[str, Field(max_length=40, description="arXiv category, e.g. cs.CL; empty for all.")]
PaperId = Annotated[str, Field(min_length=1, max_length=200,
                               description="arXiv id (2106.09685, hep-th/9901001) or arxiv.org URL.")]
TagName = Annotated[str, Field(min_length=1, max_length=100)]
Month = Annotated[str, Field(max_length=7, description="YYYY-MM, or empty.")]


class Identity:
    """Whose library and recommendations a call may use.

    stdio: the one user configured at start-up (or none). HTTP: the user the request's
    bearer token names, read per request from the SDK's auth context.
    """

    def __init__(self, stdio_user_id: int | None = None, http: bool = False,
                 budget: CallBudget | None = None) -> None:
        self.stdio_user_id = stdio_user_id
        self.http = http
        self.budget = budget

    def spend(self) -> None:
        """Count a call against the HTTP user's rate limit (stdio has one local user: none)."""
        if self.http and self.budget is not None:
            self.budget.spend(self.user_id())

    def user_id(self) -> int:
        if self.http:
            token = get_access_token()
            if token is None or not (token.subject or "").isdigit():
                raise ToolError("This needs a signed-in user: send an Authorization: Bearer token.")
            return int(token.subject)
        if self.stdio_user_id is None:
            raise ToolError("No user is configured: start `papersift mcp --user NAME` "
                            "or set PAPERSIFT_MCP_USER.")
        return self.stdio_user_id


class CallBudget:
    """Over HTTP each user's tool calls count against PAPERSIFT_QUERY_RATE_LIMIT, as the site's
    search and trend queries do per address (in Redis when configured, shared by workers)."""

    def __init__(self, settings: Settings) -> None:
        self.rates = parse_many(settings.query_rate_limit)
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.redis_url or "memory://"))

    def spend(self, user_id: int) -> None:
        for rate in self.rates:
            try:
                allowed = self.limiter.hit(rate, "papersift-mcp", str(user_id))
            except Exception:  # noqa: BLE001 - a limiter store that is down limits nothing, as on the site
                log.warning("rate-limit store unavailable; MCP call not counted")
                return
            if not allowed:
                raise ToolError(f"Too many requests: at most {rate} for one user. Try again later.")


def capped(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload within MAX_RESULT_CHARS: trailing list items dropped (and said so), or an
    error asking for less when even that is not enough."""
    def size() -> int:
        return len(json.dumps(payload, ensure_ascii=False))

    if size() <= MAX_RESULT_CHARS:
        return payload
    payload["truncated"] = True
    for key in LIST_KEYS:
        items = payload.get(key)
        while isinstance(items, list) and items and size() > MAX_RESULT_CHARS:
            items.pop()
    if size() > MAX_RESULT_CHARS:
        raise ToolError(f"The answer is longer than {MAX_RESULT_CHARS:,} characters: "
                        "ask for fewer terms, papers or months.")
    return payload


class Tools:
    """The tools, as methods registered by name (catalog.TOOLS); `paper_resource` reads
    papersift://paper/<id>."""

    def __init__(self, app: Flask, identity: Identity, *, writes: bool) -> None:
        self.app = app
        self.identity = identity
        self.writes = writes

    def _call(self, fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        self.identity.spend()
        with self.app.app_context():
            try:
                return capped(fn(*args))
            except (adapter.ToolInputError, adapter.Unavailable) as exc:
                raise ToolError(str(exc)) from None

    def _write_allowed(self, name: str) -> None:
        if not self.writes:
            raise ToolError(f"{name} is off: this server does not let assistants change libraries "
                            "(its operator can set PAPERSIFT_MCP_WRITES=1).")

    def search_papers(
        self,
        query: Annotated[str, Field(min_length=1, max_length=BOUNDS["search_chars"], description=(
            'Words, "a phrase", author:NAME, cat:CS.XX, year:2020-2023, id:ID; -word excludes.'))],
        category: Category = "",
        window: Annotated[Window, Field(description="Only papers published in this last span.")] = "all",
        sort: Literal["relevance", "date"] = "relevance",
        limit: Annotated[int, Field(ge=1, le=BOUNDS["page_size"], description="Results per page.")] = 10,
        page: Annotated[int, Field(ge=1, le=BOUNDS["page"])] = 1,
    ) -> dict[str, Any]:
        return self._call(adapter.search_papers, query, category, window, sort, limit, page)

    def get_paper(
        self,
        paper_id: PaperId,
        fulltext_chars: Annotated[int, Field(ge=0, le=MAX_FULLTEXT_CHARS, description=(
            "Characters of the extracted full text to include from its start; 0 for none."))] = 0,
    ) -> dict[str, Any]:
        return self._call(adapter.get_paper_details, paper_id, fulltext_chars)

    def similar_papers(self, paper_id: PaperId,
                       limit: Annotated[int, Field(ge=1, le=MAX_SIMILAR)] = 10) -> dict[str, Any]:
        return self._call(adapter.similar_papers, paper_id, limit)

    def recommend_for_user(
        self,
        tags: Annotated[list[TagName], Field(max_length=BOUNDS["tags"], description=(
            "Train on papers with these library tags instead of the whole library."))] = [],  # noqa: B006
        mode: Annotated[Literal["any", "all"], Field(description="Papers with any or all tags.")] = "any",
        window: Annotated[Window, Field(description="Only papers published in this last span.")] = "all",
        category: Category = "",
        limit: Annotated[int, Field(ge=1, le=MAX_RECOMMEND)] = 10,
        page: Annotated[int, Field(ge=1, le=1000)] = 1,
    ) -> dict[str, Any]:
        return self._call(adapter.recommend_for_user, self.identity.user_id(), tags, mode, window,
                          category, limit, page)

    def keyword_trends(
        self,
        terms: Annotated[str, Field(min_length=1, max_length=BOUNDS["trend_chars"],
                                    description="Comma-separated keywords or phrases.")],
        category: Category = "",
        since: Month = "",
        until: Month = "",
        smooth: Annotated[int, Field(ge=1, le=24, description="Moving average over this many months.")] = 1,
    ) -> dict[str, Any]:
        return self._call(adapter.keyword_trends, terms, category, since, until, smooth)

    def hot_terms(
        self,
        month: Annotated[str, Field(max_length=7, description=(
            "Reference month YYYY-MM; empty for the newest in the index."))] = "",
        limit: Annotated[int, Field(ge=1, le=100, description="Terms in each list.")] = BOUNDS["hot_top"],
        min_support: Annotated[int, Field(ge=1, le=1_000_000, description=(
            "Papers a term needs in the window it is judged on."))] = BOUNDS["hot_support"],
    ) -> dict[str, Any]:
        return self._call(adapter.hot_terms, month, limit, min_support)

    def library_add(
        self,
        paper_ids: Annotated[list[PaperId], Field(min_length=1, max_length=MAX_PAPERS_PER_ADD)],
        tag: Annotated[str | None, Field(max_length=100, description="Also tag them with this.")] = None,
    ) -> dict[str, Any]:
        self._write_allowed("library_add")
        return self._call(adapter.library_add, self.identity.user_id(), paper_ids, tag)

    def library_tags(
        self,
        paper_id: PaperId,
        add: Annotated[list[TagName], Field(max_length=BOUNDS["tags"])] = [],  # noqa: B006
        remove: Annotated[list[TagName], Field(max_length=BOUNDS["tags"])] = [],  # noqa: B006
    ) -> dict[str, Any]:
        self._write_allowed("library_tags")
        if not add and not remove:
            raise ToolError("Give tags to add or to remove.")
        return self._call(adapter.library_tags, self.identity.user_id(), paper_id, add, remove)

    def paper_resource(self, paper_id: str) -> str:
        with self.app.app_context():
            try:
                return json.dumps(adapter.paper_resource(paper_id), ensure_ascii=False)
            except adapter.ToolInputError as exc:
                raise ResourceNotFoundError(str(exc)) from None
