"""The MCP tools' calls into papersift: the same use-cases the web views, JSON API and CLI call.

Every function here runs inside an app context (the server pushes one per call), takes
the tool's arguments, checks them with the JSON API's own parsers (a MultiDict built from
the arguments goes through the same `search_request`, `trend_args`, `reco_query`,
`category_arg`), and returns plain JSON-able data. Bad input raises ToolInputError with
the API's message; a missing index raises Unavailable.

This is the one module of the MCP server that knows where the use-cases live
(services/, store/). Like a web request, a tool call has one store connection, opened on
first use and closed with the call's app context (app.py's teardown).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask import current_app, g
from sqlalchemy.engine import Connection
from werkzeug.datastructures import MultiDict

from config import Settings
from domain.ids import ArxivIdError, parse_arxiv_id
from recommend.index import Index
from recommend.search_query import MAX_QUERY_CHARS as MAX_SEARCH_CHARS
from recommend.search_query import QueryError
from recommend.trend_hot import MIN_SUPPORT, TOP
from recommend.trend_query import TrendQueryError
from services import library, papers, recommendations
from services.cache import shared_cache
from services.index_holder import holder_of
from services.params import MAX_PAGE, MAX_PAGE_SIZE, InvalidArgument
from services.recommendations import MAX_TAGS, reco_query, reco_runtime
from services.search import run_search, search_request
from services.trends import MAX_QUERY_CHARS as MAX_TREND_CHARS
from services.trends import (
    NoTrends,
    TrendSource,
    hot_answer,
    keyword_report,
    tables_of,
    trend_args,
    trend_source,
)
from store import db as store_db
from store import library as lib
from store.fulltext import get_text
from store.papers import WINDOWS, Paper, get_paper
from store.sessions import session_user, start_session
from store.users import find_user

# The JSON API's bounds, for the tools' schemas (the same numbers its parsers enforce).
API_BOUNDS = {"search_chars": MAX_SEARCH_CHARS, "trend_chars": MAX_TREND_CHARS, "page": MAX_PAGE,
              "page_size": MAX_PAGE_SIZE, "tags": MAX_TAGS, "hot_top": TOP, "hot_support": MIN_SUPPORT}
TIME_WINDOWS = tuple(WINDOWS)
MAX_AUTHORS = 10            # authors listed per paper in result lists ("et al." after)


class ToolInputError(ValueError):
    """The arguments break one of the API's rules; the message says which."""


class Unavailable(RuntimeError):
    """The data to answer from is not there yet (no index); the message says what to run."""


def _args(**values: Any) -> MultiDict:
    """A query-string MultiDict from tool arguments (None left out, lists repeated)."""
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        items = value if isinstance(value, list | tuple) else [value]
        pairs += [(name, str(v)) for v in items]
    return MultiDict(pairs)


def _checked(fn, *args, **kwargs):
    """Call an API parser or use-case; its complaint about the input becomes ToolInputError."""
    try:
        return fn(*args, **kwargs)
    except InvalidArgument as exc:
        raise ToolInputError(str(exc)) from None
    except (QueryError, TrendQueryError, lib.LibraryError, ArxivIdError) as exc:
        raise ToolInputError(str(exc)) from None


def _conn() -> Connection:
    """This call's connection (closed by app.py's teardown with the call's app context)."""
    if "db" not in g:
        g.db = current_app.extensions["papersift.engine"].connect()
    return g.db


def _settings() -> Settings:
    return current_app.config["SETTINGS"]


def _index() -> Index | None:
    """The app's current index (the same holder the site's pages read)."""
    return holder_of(current_app.extensions, _settings()).get()


def paper_id_arg(text: str) -> str:
    """The arXiv id (without version) in an id, `arXiv:` id or arxiv.org URL."""
    return _checked(parse_arxiv_id, text).id


def stored_paper(paper_id: str) -> Paper:
    paper = get_paper(_conn(), paper_id_arg(paper_id))
    if paper is None:
        raise ToolInputError(f"No paper {paper_id[:40]!r} in this papersift.")
    return paper


def paper_summary(paper: Paper) -> dict[str, Any]:
    """A paper as result lists show it: no abstract (get_paper has it)."""
    authors = list(paper.authors[:MAX_AUTHORS]) + (["et al."] if len(paper.authors) > MAX_AUTHORS else [])
    return {"id": paper.id, "title": paper.title, "authors": authors,
            "published": paper.published.date().isoformat(), "categories": list(paper.categories),
            "abs_url": paper.abs_url}


# -- read tools ----------------------------------------------------------------------


def search_papers(query: str, category: str, window: str, sort: str, limit: int, page: int
                  ) -> dict[str, Any]:
    """/api/search: the same request parsing, ranking, snippets and suggestions."""
    req = _checked(search_request, _args(q=query, cat=category, window=window, sort=sort,
                                         per_page=limit, page=page))
    result = _checked(run_search, _conn(), _index(), req, _settings())
    if not result.indexed:
        raise Unavailable(result.error_hint)
    return {"query": req.q, "total": result.total, "page": req.page,
            "results": [{**paper_summary(h.paper), "score": round(h.score, 4),
                         "snippet": "".join(s.text for s in h.snippet), "snippet_from": h.snippet_from}
                        for h in result.hits],
            "suggestions": result.suggestions, "missing_words": list(result.missing),
            "semantic": result.fused, "score_kind": result.score_kind}


def get_paper_details(paper_id: str, fulltext_chars: int) -> dict[str, Any]:
    """/api/papers/<id>'s paper, plus the start of its stored full text when asked for."""
    paper = stored_paper(paper_id)
    out = paper.to_json()
    if fulltext_chars:
        text = get_text(_conn(), paper.id)
        out["fulltext"] = None if text is None else text[:fulltext_chars]
        out["fulltext_chars"] = None if text is None else len(text)
    return out


def similar_papers(paper_id: str, k: int) -> dict[str, Any]:
    """The paper page's and /api/papers/<id>'s similar papers."""
    paper = stored_paper(paper_id)
    index = _index()
    if index is None:
        raise Unavailable("No index yet: run `papersift index` to build one.")
    hits = papers.similar_papers(_conn(), index, paper.id, k=k,
                                 vector_weight=_settings().similar_vector_weight)
    return {"paper": paper_summary(paper),
            "similar": [{**paper_summary(s.paper), "score": round(s.score, 4)} for s in hits],
            "note": "" if hits else "This paper is not in the current index yet."}


def recommend_for_user(user_id: int, tags: Sequence[str], mode: str, window: str, category: str,
                       limit: int, page: int) -> dict[str, Any]:
    """/api/recommendations for this user: reco_query's checks, then recommendations.recommend."""
    query, window, page = _checked(reco_query, _conn(), _args(tag=list(tags), mode=mode, window=window,
                                                              cat=category, n=limit, page=page))
    cache, trainer = reco_runtime(current_app.extensions, _settings(),
                                  sync=bool(current_app.config.get("RECOMMEND_SYNC")))
    result = recommendations.recommend(_conn(), _index(), user_id, query, _settings(), cache, trainer)
    empty = {"library": "The library is empty: save some papers first.",
             "tag": "No papers carry these tags.",
             "index": "No index yet: run `papersift index` to build one."}
    return {"model": result.kind or None, "total": result.total, "page": page, "window": window,
            "library_papers_used": result.positives,
            "note": empty.get(result.empty_reason, ""),
            "papers": [{**paper_summary(r.paper), "score": round(r.score, 4), "reasons": r.reasons}
                       for r in result.items]}


def _trend_source() -> TrendSource:
    try:
        return trend_source(_conn(), _index(), tables_of(current_app.extensions),
                            shared_cache(current_app.extensions, _settings()))
    except NoTrends as exc:
        raise Unavailable(str(exc)) from None


def keyword_trends(terms: str, category: str, since: str, until: str, smooth: int) -> dict[str, Any]:
    """/api/trends: trend_args' checks, then the report (cached per index version)."""
    args = _checked(trend_args, _args(q=terms, cat=category, since=since, until=until, smooth=smooth))
    if not args.q:
        raise ToolInputError("terms (comma-separated keywords) is required")
    return _checked(keyword_report, _trend_source(), args)


def hot_terms(month: str, n: int, min_support: int) -> dict[str, Any]:
    """/api/hot: trend_args' checks, then the same report from the same per-version cache."""
    args = _checked(trend_args, _args(month=month, n=n, min_support=min_support))
    return _checked(hot_answer, _trend_source(), args)


def paper_resource(paper_id: str) -> dict[str, Any]:
    """papersift://paper/<id>: what /api/papers/<id> says about the paper."""
    return stored_paper(paper_id).to_json()


# -- the user and their library -----------------------------------------------------------


def user_id_by_name(username: str) -> int | None:
    user = find_user(_conn(), username)
    return user.id if user else None


def login_identity(username: str, days: int) -> str | None:
    """A new login of this account kept on the server for `days` (0: ten years), as the site's
    logins are: its token is what an MCP bearer token carries, so "log out everywhere", a
    password change or deleting the account end it. None for no account."""
    with _transaction() as conn:
        user = find_user(conn, username)
        if user is None:
            return None
        return start_session(conn, user.id, timedelta(days=days or 3650))


def user_id_by_login_identity(identity: str) -> int | None:
    """The account a session identity names, checked as the site checks a session's."""
    user = session_user(_conn(), identity)
    return user.id if user else None


def _transaction():
    return store_db.transaction(current_app.extensions["papersift.engine"])


def _add(user_id: int, ids: list[str], tag: str | None) -> library.Added:
    with _transaction() as conn:
        return library.add_papers(conn, user_id, ids, tag)


def library_add(user_id: int, paper_ids: Sequence[str], tag: str | None) -> dict[str, Any]:
    """The library page's "save" (and import's tag), for this user only."""
    ids = [paper_id_arg(p) for p in paper_ids]
    done = _checked(_add, user_id, ids, tag)
    return {"added": done.added, "already_saved": done.already_saved, "unknown": done.unknown,
            "tag": done.tag}


def _change_tags(user_id: int, paper_id: str, add: Sequence[str], remove: Sequence[str]
                 ) -> library.TagChange:
    with _transaction() as conn:
        return library.change_tags(conn, user_id, paper_id, add, remove)


def library_tags(user_id: int, paper_id: str, add: Sequence[str], remove: Sequence[str]
                 ) -> dict[str, Any]:
    """The library page's tag and untag actions on one paper, for this user only."""
    paper = stored_paper(paper_id)
    change = _checked(_change_tags, user_id, paper.id, add, remove)
    return {"paper_id": change.paper_id, "saved": change.saved, "tags": change.tags,
            "not_tagged": change.not_tagged}
