"""`papersift search QUERY`: the search page's ranking on the command line."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("-n", "limit", default=20, show_default=True, type=click.IntRange(1, 1000),
              help="How many results to show.")
@click.option("--cat", "category", default="", help="Only papers in this category.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance",
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def search_command(query: tuple[str, ...], limit: int, category: str, sort: str,
                   as_json: bool) -> None:
    """Search titles, authors, abstracts and full texts (same syntax as the site:
    "a phrase", author:NAME, cat:CS.XX, year:2020-2023, id:ID). More than 30 words
    (a pasted abstract) finds papers like that text."""
    from cli import _store as db
    from recommend import index as index_files
    from recommend.search import Filters, search, search_index
    from recommend.search_query import QueryError, parse_query
    from recommend.snippets import snippet
    from store.papers import get_papers
    from web.services import papers_holding

    text = " ".join(query)
    try:
        parsed = parse_query(text)
    except QueryError as exc:
        raise click.UsageError(str(exc)) from None
    index = index_files.load_index(current_app.config["SETTINGS"].index_dir)
    si = search_index(index)
    if si is None:
        raise click.ClickException(
            "no search index yet: run `papersift index` first" if index is None else
            "the current index was built without search: run `papersift index --force`")
    with db.engine().connect() as conn:
        filters = Filters(categories=(category,) if category else ())

        def lexical(offset: int, size: int):
            return search(si, parsed, filters, sort=sort, offset=offset, limit=size,
                          verify=lambda ids: papers_holding(conn, ids, parsed.exact))

        result = _ranked(index, parsed, filters, lexical, sort, limit)
        papers = get_papers(conn, [pid for pid, _ in result.hits])
    scores = dict(result.hits)
    if as_json:
        click.echo(json.dumps({"query": text, "total": result.total, "all_words": result.all_words,
                               "also_searched": list(result.also_searched),
                               "mode": "like" if parsed.like else "words", "results": [
            {"id": p.id, "score": scores[p.id], "title": p.title, "authors": list(p.authors),
             "published": p.published.date().isoformat(), "categories": list(p.categories),
             "snippet": "".join(s.text for s in snippet(p.abstract, parsed.highlight))}
            for p in papers]}, indent=2, ensure_ascii=False))
        return
    click.echo(_headline(text, parsed, result))
    for rank, p in enumerate(papers, 1):
        click.echo(f"{rank:3d}. {p.id:<12} {scores[p.id]:6.3f}  {p.published:%Y-%m-%d}  {p.title}")


def _ranked(index, parsed, filters, lexical, sort: str, limit: int):
    """BM25 alone, or fused with vector search for plain words as on the site
    (services/semantic_search.py)."""
    import dataclasses

    from services.semantic_search import fused_search, fusion_applies

    if not fusion_applies(parsed, sort=sort, all_words=False, offset=0, limit=limit):
        return lexical(0, limit)
    result, fused = fused_search(index, current_app.config["SETTINGS"], parsed, filters, lexical,
                                 offset=0, limit=limit)
    return result if fused is None else dataclasses.replace(result, total=fused.total, hits=fused.hits)


def _headline(text: str, parsed, result) -> str:
    if parsed.like:
        return f"{result.total:,} papers like the text given ({len(text.split())} words)"
    noun = "paper matches" if result.total == 1 else "papers match"
    line = f"{result.total:,} {noun} {text!r}"
    if len(parsed.words) > 1:
        line += f" ({result.all_words:,} with every word, first)"
    if result.also_searched:
        line += "; also searched: " + ", ".join(result.also_searched)
    return line


def register(group: click.Group) -> None:
    group.add_command(search_command)
