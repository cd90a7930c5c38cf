"""Search: one query over the current index, as the search page, the JSON API, saved-search
feeds, the MCP tool and `papersift search` all run it.

`search_request` reads and checks the parameters into a SearchRequest; `run_search` ranks
with recommend.search over the loaded index, then fetches the page's papers, and the
abstracts (or full texts) snippets are cut from, from the store. An empty result says why
nothing matched and offers the best matches of the words alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from config import Settings
from recommend.index import Index
from recommend.search import (
    Filters,
    SearchIndex,
    SearchResult,
    empty_reasons,
    matched_ids,
    relaxed,
    search,
    search_index,
)
from recommend.search_query import ParsedQuery, parse_query
from recommend.snippets import Segment, apply_suggestion, snippet, suggest
from services.papers import papers_holding
from services.params import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    InvalidArgument,
    QueryArgs,
    category_arg,
    int_arg,
)
from store.fulltext import get_text, with_text
from store.papers import WINDOWS, Paper, get_paper, get_papers, window_start

SORTS = {"relevance": "Relevance", "date": "Newest first"}
# what a hit's `score` is: BM25 of the words, a reciprocal-rank fusion of BM25 and vector
# rankings (about 0.03 at best), or TF-IDF cosine with a pasted text (query by example)
SCORE_KINDS = ("bm25", "rrf", "cosine")
SUGGEST_BELOW = 5
FULLTEXT_SNIPPET_CHARS = 200_000   # look for the words this far into a full text


@dataclass(frozen=True)
class SearchRequest:
    """The page's parameters: the query text and the filters beside it."""

    q: str
    category: str = ""
    window: str = "all"
    sort: str = "relevance"
    page: int = 1
    per_page: int = PAGE_SIZE
    all_words: bool = False   # only papers with every word (feeds of a saved search)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class Hit:
    paper: Paper
    score: float
    snippet: list[Segment]
    snippet_from: str = "abstract"

    def to_json(self) -> dict:
        return {"paper": self.paper.to_json(), "score": self.score,
                "snippet": [{"text": s.text, "hit": s.hit} for s in self.snippet],
                "snippet_from": self.snippet_from}


@dataclass
class SearchPage:
    request: SearchRequest
    parsed: ParsedQuery | None = None
    total: int = 0
    all_words: int = 0
    estimated: bool = False      # total and all_words estimated (a common quoted phrase)
    also_searched: tuple[str, ...] = ()
    hits: list[Hit] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    missing: tuple[str, ...] = ()
    error: str = ""
    indexed: bool = True
    error_hint: str = ""
    reasons: list[str] = field(default_factory=list)     # why nothing matched
    partial: list[Hit] = field(default_factory=list)     # best matches of the words alone
    semantic_note: str = ""                              # why search matches words only
    by_meaning: int = 0                                  # hits on this page found by meaning alone
    meaning_only: int | None = None                      # of total, found by meaning alone (fused)
    fused: bool = False                                  # ranked by words and meaning together
    score_kind: str = "bm25"                             # what hits' scores are: SCORE_KINDS

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))


def search_request(args: QueryArgs) -> SearchRequest:
    """Read and check the query-string parameters (InvalidArgument says what is wrong)."""
    window = args.get("window", "all").strip() or "all"
    if window not in WINDOWS:
        raise InvalidArgument(f"window must be one of {', '.join(WINDOWS)}")
    sort = args.get("sort", "relevance").strip() or "relevance"
    if sort not in SORTS:
        raise InvalidArgument(f"sort must be one of {', '.join(SORTS)}")
    return SearchRequest(
        q=args.get("q", ""), category=category_arg(args), window=window, sort=sort,
        page=int_arg(args, "page", 1, 1, MAX_PAGE),
        per_page=int_arg(args, "per_page", PAGE_SIZE, 1, MAX_PAGE_SIZE),
    )


def run_search(conn: Connection, index: Index | None, req: SearchRequest,
               settings: Settings | None = None) -> SearchPage:
    """Parse the query, rank over the index, fetch the page's papers and snippets.

    With `settings`, a plain-words query is fused with vector search when the index version
    has vectors; without, the ranking is lexical (feeds and digests, which match words).
    Raises QueryError for a query that cannot be parsed.
    """
    page = SearchPage(req, parse_query(req.q))
    si = search_index(index)
    if si is None:
        page.indexed = False
        page.error_hint = ("The index has not been built yet: run `papersift index`." if index is None
                           else "The current index was built without search: run "
                                "`papersift index --force`.")
        return page
    parsed = page.parsed
    assert parsed is not None
    if parsed.is_empty:
        return page
    # window_start reads the newest date in the store: only worth it for a real window
    since = window_start(conn, req.window) if req.window != "all" else None
    filters = Filters(categories=(req.category,) if req.category else (),
                      since=since.date() if since else None)
    result, hits = _ranked(conn, index, si, page, filters, settings)
    page.total, page.missing, page.all_words = result.total, result.missing, result.all_words
    page.estimated = result.estimated
    page.also_searched = result.also_searched
    page.hits = _hits(conn, hits, parsed.highlight)
    if result.total < SUGGEST_BELOW or result.missing:  # a few hits may all be misspellings
        page.suggestions = _suggestions(si, parsed)
    if not result.total and not parsed.jump:
        _explain_empty(conn, si, page, filters)
    return page


def _ranked(conn: Connection, index: Index, si: SearchIndex, page: SearchPage, filters: Filters,
            settings: Settings | None) -> tuple[SearchResult, list[tuple[str, float]]]:
    """BM25 over the words, fused with vector search for a plain-words query when the index
    version has vectors (services/semantic_search.py); the page's (id, score) hits."""
    from services.semantic import search_note
    from services.semantic_search import fused_search, fusion_applies

    req, parsed = page.request, page.parsed
    assert parsed is not None
    page.score_kind = "cosine" if parsed.like else "bm25"

    def lexical(offset: int, limit: int) -> SearchResult:
        return search(si, parsed, filters, sort=req.sort, offset=offset, limit=limit,
                      verify=lambda ids: papers_holding(conn, ids, parsed.exact),
                      all_words=req.all_words)

    if settings is None:
        result = lexical(req.offset, req.per_page)
        return result, result.hits
    page.semantic_note = search_note(index, settings)
    if not fusion_applies(parsed, sort=req.sort, all_words=req.all_words):
        result = lexical(req.offset, req.per_page)
        return result, result.hits
    result, fused = fused_search(index, settings, parsed, filters, lexical,
                                 lambda ids: matched_ids(si, parsed, filters, ids),
                                 offset=req.offset, limit=req.per_page)
    if fused is None:
        return result, result.hits
    page.by_meaning, page.meaning_only = fused.semantic, fused.meaning_only
    page.fused, page.score_kind = True, "rrf"
    return dataclasses.replace(result, total=fused.total), fused.hits


def _explain_empty(conn: Connection, si: SearchIndex, page: SearchPage, filters: Filters) -> None:
    """Say why nothing matched, and offer the best matches of the query's words alone."""
    parsed = page.parsed
    assert parsed is not None
    if parsed.like:
        page.reasons = ["no paper here shares a term with that text (within the filters)"]
        return
    page.reasons = empty_reasons(si, parsed, filters, page.missing)
    if not parsed.words:
        return
    loose = search(si, relaxed(parsed), limit=page.request.per_page)
    page.partial = _hits(conn, loose.hits, parsed.highlight)


def _hits(conn: Connection, ranked: list[tuple[str, float]], words: tuple[str, ...]) -> list[Hit]:
    """The ranked papers with their snippets; one query finds which of those whose abstract
    lacks the words have a full text to look in (most have none)."""
    scores = dict(ranked)
    papers = get_papers(conn, list(scores))
    cuts = {p.id: snippet(p.abstract, words) for p in papers}
    lacking = [pid for pid, cut in cuts.items() if words and not any(s.hit for s in cut)]
    texts = with_text(conn, lacking)
    return [Hit(p, scores[p.id], *_snippet(conn, p, words, cuts[p.id], p.id in texts))
            for p in papers]


def _snippet(conn: Connection, paper: Paper, words: tuple[str, ...], segments: list[Segment],
             has_text: bool) -> tuple[list[Segment], str]:
    """The abstract's snippet, or one from the full text when only that holds the words."""
    if has_text and not any(s.hit for s in segments):
        text = get_text(conn, paper.id)
        if text:
            inner = snippet(text[:FULLTEXT_SNIPPET_CHARS], words)
            if any(s.hit for s in inner):
                return inner, "fulltext"
    return segments, "abstract"


def _suggestions(si: SearchIndex, parsed: ParsedQuery) -> list[str]:
    """Did-you-mean queries: the query as typed with misspelt words replaced."""
    return [apply_suggestion(parsed.raw, r) for r in suggest(si, parsed.forms)]


def jump_target(conn: Connection, parsed: ParsedQuery | None) -> str | None:
    """The stored paper's id when the query is a bare arXiv id or URL of one (its page is
    where a search for it goes)."""
    if parsed is None or not parsed.jump or get_paper(conn, parsed.jump) is None:
        return None
    return parsed.jump
