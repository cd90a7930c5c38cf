"""Search: the results page (/search) and the JSON API beside it (/api/search).

Views parse the request into a SearchRequest, call `run_search`, and render or jsonify.
Ranking is recommend.search over the current index version; papers, and the abstracts
snippets are cut from, come from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from sqlalchemy.engine import Connection
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from recommend.search import Filters, SearchIndex, empty_reasons, relaxed, search, search_index
from recommend.search_query import ParsedQuery, QueryError, parse_query
from recommend.snippets import Segment, apply_suggestion, snippet, suggest
from store.fulltext import get_text, with_text
from store.papers import WINDOWS, Paper, category_counts, get_paper, get_papers, window_start
from web import services
from web.db import get_db
from web.extensions import csrf, query_limit
from web.page_cache import cached_for_visitors
from web.params import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, category_arg, int_arg

bp = Blueprint("search", __name__)
SORTS = {"relevance": "Relevance", "date": "Newest first"}
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
    also_searched: tuple[str, ...] = ()
    hits: list[Hit] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    missing: tuple[str, ...] = ()
    error: str = ""
    indexed: bool = True
    error_hint: str = ""
    reasons: list[str] = field(default_factory=list)     # why nothing matched
    partial: list[Hit] = field(default_factory=list)     # best matches of the words alone

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))


def search_request(args: MultiDict) -> SearchRequest:
    """Read and check the query-string parameters (BadRequest with a message when wrong)."""
    window = args.get("window", "all").strip() or "all"
    if window not in WINDOWS:
        raise BadRequest(f"window must be one of {', '.join(WINDOWS)}")
    sort = args.get("sort", "relevance").strip() or "relevance"
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
    return SearchRequest(
        q=args.get("q", ""), category=category_arg(args), window=window, sort=sort,
        page=int_arg(args, "page", 1, 1, MAX_PAGE),
        per_page=int_arg(args, "per_page", PAGE_SIZE, 1, MAX_PAGE_SIZE),
    )


def run_search(conn: Connection, req: SearchRequest) -> SearchPage:
    """Parse the query, rank over the current index, fetch the page's papers and snippets.

    Raises QueryError for a query that cannot be parsed.
    """
    page = SearchPage(req, parse_query(req.q))
    index = services.current_index()
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
    result = search(si, parsed, filters, sort=req.sort, offset=req.offset, limit=req.per_page,
                    verify=lambda ids: services.papers_holding(conn, ids, parsed.exact),
                    all_words=req.all_words)
    page.total, page.missing, page.all_words = result.total, result.missing, result.all_words
    page.also_searched = result.also_searched
    page.hits = _hits(conn, result.hits, parsed.highlight)
    if result.total < SUGGEST_BELOW or result.missing:  # a few hits may all be misspellings
        page.suggestions = _suggestions(si, parsed)
    if not result.total and not parsed.jump:
        _explain_empty(conn, si, page, filters)
    return page


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
    """The paper page to go to when the query is a bare arXiv id or URL of a stored paper."""
    if parsed is None or not parsed.jump or get_paper(conn, parsed.jump) is None:
        return None
    return url_for("paper.show", paper_id=parsed.jump)


@bp.get("/search")
@query_limit
@cached_for_visitors
def results():
    conn = get_db()
    req = search_request(request.args)
    try:
        page = run_search(conn, req)
    except QueryError as exc:
        return _render(conn, SearchPage(req, error=str(exc)), 400)
    target = jump_target(conn, page.parsed)
    if target:
        return redirect(target)
    return _render(conn, page, 200)


def _api_params() -> MultiDict:
    """The API's parameters: the query string, and for POST a form or JSON object body."""
    if request.method != "POST":
        return request.args
    body = request.get_json(silent=True) if request.is_json else None
    if request.is_json and not isinstance(body, dict):
        raise BadRequest("the JSON body must be an object such as {\"q\": \"...\"}")
    fields = {k: str(v) for k, v in body.items()} if body else request.form
    return MultiDict([*request.args.items(multi=True), *MultiDict(fields).items(multi=True)])


def _render(conn: Connection, page: SearchPage, status: int):
    return render_template("search/results.html", page=page, windows=list(WINDOWS), sorts=SORTS,
                           categories=category_counts(conn)), status


@bp.route("/api/search", methods=["GET", "POST"])
@csrf.exempt            # read-only: a POST only carries a query too long for a URL
@query_limit
def api():
    # POST (a form or JSON body) carries a pasted abstract past any request-line limit
    req = search_request(_api_params())
    try:
        page = run_search(get_db(), req)
    except QueryError as exc:
        abort(400, description=str(exc))
    if not page.indexed:
        abort(503, description=page.error_hint)
    parsed = page.parsed
    return jsonify(query=req.q, total=page.total, all_words=page.all_words, page=req.page,
                   per_page=req.per_page, sort=req.sort, results=[h.to_json() for h in page.hits],
                   suggestions=page.suggestions, missing=list(page.missing),
                   also_searched=list(page.also_searched), reasons=page.reasons,
                   partial_results=[h.to_json() for h in page.partial],
                   ignored_words=list(parsed.stopped if parsed else ()),
                   mode="like" if parsed and parsed.like else "words")
