"""The MCP tools' calls into papersift: the same use-cases the web views, JSON API and CLI call.

Every function here runs inside an app context (the server pushes one per call), takes
the tool's arguments, checks them with the JSON API's own parsers (a MultiDict built from
the arguments goes through the same `search_request`, `trend_args`, `reco_query`,
`category_arg`), and returns plain JSON-able data. Bad input raises ToolInputError with
the API's message; a missing index raises Unavailable.

This is the one module that knows where the use-cases live (web/, store/), so moving
them into a Flask-free services package means changing the imports here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask import current_app
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from domain.ids import ArxivIdError, parse_arxiv_id
from recommend.search_query import MAX_QUERY_CHARS as MAX_SEARCH_CHARS
from recommend.search_query import QueryError
from recommend.trend_hot import MIN_SUPPORT, TOP
from recommend.trend_query import TrendQueryError
from services import recommendations
from store import library as lib
from store.fulltext import get_text
from store.papers import WINDOWS, Paper, get_paper
from store.sessions import start_session
from store.users import find_user
from web import db, services
from web.auth import load_user
from web.params import MAX_PAGE, MAX_PAGE_SIZE
from web.recommend import MAX_TAGS, reco_query, reco_runtime
from web.search import run_search, search_request
from web.trends import MAX_QUERY_CHARS as MAX_TREND_CHARS
from web.trends import NoTrends, hot_answer, keyword_report, trend_args, trend_table

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
    except BadRequest as exc:
        raise ToolInputError(exc.description) from None
    except (QueryError, TrendQueryError, lib.LibraryError, ArxivIdError) as exc:
        raise ToolInputError(str(exc)) from None


def paper_id_arg(text: str) -> str:
    """The arXiv id (without version) in an id, `arXiv:` id or arxiv.org URL."""
    return _checked(parse_arxiv_id, text).id


def stored_paper(paper_id: str) -> Paper:
    paper = get_paper(db.get_db(), paper_id_arg(paper_id))
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
    result = _checked(run_search, db.get_db(), req)
    if not result.indexed:
        raise Unavailable(result.error_hint)
    return {"query": req.q, "total": result.total, "page": req.page,
            "results": [{**paper_summary(h.paper), "score": round(h.score, 4),
                         "snippet": "".join(s.text for s in h.snippet), "snippet_from": h.snippet_from}
                        for h in result.hits],
            "suggestions": result.suggestions, "missing_words": list(result.missing)}


def get_paper_details(paper_id: str, fulltext_chars: int) -> dict[str, Any]:
    """/api/papers/<id>'s paper, plus the start of its stored full text when asked for."""
    paper = stored_paper(paper_id)
    out = paper.to_json()
    if fulltext_chars:
        text = get_text(db.get_db(), paper.id)
        out["fulltext"] = None if text is None else text[:fulltext_chars]
        out["fulltext_chars"] = None if text is None else len(text)
    return out


def similar_papers(paper_id: str, k: int) -> dict[str, Any]:
    """The paper page's and /api/papers/<id>'s similar papers."""
    paper = stored_paper(paper_id)
    if services.current_index() is None:
        raise Unavailable("No index yet: run `papersift index` to build one.")
    hits = services.similar_papers(db.get_db(), paper.id, k=k)
    return {"paper": paper_summary(paper),
            "similar": [{**paper_summary(s.paper), "score": round(s.score, 4)} for s in hits],
            "note": "" if hits else "This paper is not in the current index yet."}


def recommend_for_user(user_id: int, tags: Sequence[str], mode: str, window: str, category: str,
                       limit: int, page: int) -> dict[str, Any]:
    """/api/recommendations for this user: reco_query's checks, then recommendations.recommend."""
    query, window, page = _checked(reco_query, _args(tag=list(tags), mode=mode, window=window,
                                                     cat=category, n=limit, page=page))
    cache, trainer = reco_runtime(current_app)
    result = recommendations.recommend(db.get_db(), services.current_index(), user_id, query,
                                    current_app.config["SETTINGS"], cache, trainer)
    empty = {"library": "The library is empty: save some papers first.",
             "tag": "No papers carry these tags.",
             "index": "No index yet: run `papersift index` to build one."}
    return {"model": result.kind or None, "total": result.total, "page": page, "window": window,
            "library_papers_used": result.positives,
            "note": empty.get(result.empty_reason, ""),
            "papers": [{**paper_summary(r.paper), "score": round(r.score, 4), "reasons": r.reasons}
                       for r in result.items]}


def _trend_table():
    try:
        return trend_table()
    except NoTrends as exc:
        raise Unavailable(str(exc)) from None


def keyword_trends(terms: str, category: str, since: str, until: str, smooth: int) -> dict[str, Any]:
    """/api/trends: trend_args' checks, then the report (cached per index version)."""
    args = _checked(trend_args, _args(q=terms, cat=category, since=since, until=until, smooth=smooth))
    if not args.q:
        raise ToolInputError("terms (comma-separated keywords) is required")
    return _checked(keyword_report, _trend_table(), args)


def hot_terms(month: str, n: int, min_support: int) -> dict[str, Any]:
    """/api/hot: trend_args' checks, then the same report from the same per-version cache."""
    args = _checked(trend_args, _args(month=month, n=n, min_support=min_support))
    return _checked(hot_answer, _trend_table(), args)


def paper_resource(paper_id: str) -> dict[str, Any]:
    """papersift://paper/<id>: what /api/papers/<id> says about the paper."""
    return stored_paper(paper_id).to_json()


# -- the user and their library -----------------------------------------------------------


def user_id_by_name(username: str) -> int | None:
    user = find_user(db.get_db(), username)
    return user.id if user else None


def login_identity(username: str, days: int) -> str | None:
    """A new login of this account kept on the server for `days` (0: ten years), as the site's
    logins are: its token is what an MCP bearer token carries, so "log out everywhere", a
    password change or deleting the account end it. None for no account."""
    with db.transaction() as conn:
        user = find_user(conn, username)
        if user is None:
            return None
        return start_session(conn, user.id, timedelta(days=days or 3650))


def user_id_by_login_identity(identity: str) -> int | None:
    """The account a session identity names, checked as the site checks a session's."""
    user = load_user(identity)
    return user.id if user else None


def library_add(user_id: int, paper_ids: Sequence[str], tag: str | None) -> dict[str, Any]:
    """The library page's "save" (and import's tag), for this user only."""
    ids = [paper_id_arg(p) for p in paper_ids]
    if tag is not None:
        tag = _checked(lib.check_tag_name, tag)
    with db.transaction() as conn:
        added, unknown = _checked(lib.add_to_library, conn, user_id, ids, tag=tag)
    return {"added": added, "already_saved": [p for p in ids if p not in added and p not in unknown],
            "unknown": unknown, "tag": tag}


def library_tags(user_id: int, paper_id: str, add: Sequence[str], remove: Sequence[str]
                 ) -> dict[str, Any]:
    """The library page's tag and untag actions on one paper, for this user only."""
    paper = stored_paper(paper_id)
    add = [_checked(lib.check_tag_name, name) for name in add]
    remove = [_checked(lib.check_tag_name, name) for name in remove]
    not_found: list[str] = []
    with db.transaction() as conn:
        for name in add:
            _checked(lib.tag_paper, conn, user_id, paper.id, name)
        for name in remove:
            tag = lib.find_tag(conn, user_id, name)
            if tag is None or not lib.untag_paper(conn, user_id, paper.id, tag.id):
                not_found.append(name)
        tags = lib.paper_tag_names(conn, user_id, [paper.id]).get(paper.id, [])
        saved = paper.id in lib.library_ids(conn, user_id)
    return {"paper_id": paper.id, "saved": saved, "tags": tags, "not_tagged": not_found}
