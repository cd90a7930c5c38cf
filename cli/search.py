"""`papersift search QUERY`: the search page's ranking (services.search) on the command line."""

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
    from recommend.search_query import QueryError
    from services.search import SearchRequest, run_search

    text = " ".join(query)
    index = index_files.load_index(current_app.config["SETTINGS"].index_dir)
    req = SearchRequest(q=text, category=category, sort=sort, per_page=limit)
    try:
        with db.engine().connect() as conn:
            page = run_search(conn, index, req, current_app.config["SETTINGS"])
    except QueryError as exc:
        raise click.UsageError(str(exc)) from None
    if not page.indexed:
        raise click.ClickException(page.error_hint)
    parsed = page.parsed
    if as_json:
        click.echo(json.dumps({"query": text, "total": page.total, "all_words": page.all_words,
                               "also_searched": list(page.also_searched),
                               "mode": "like" if parsed and parsed.like else "words", "results": [
            {"id": h.paper.id, "score": h.score, "title": h.paper.title, "authors": list(h.paper.authors),
             "published": h.paper.published.date().isoformat(), "categories": list(h.paper.categories),
             "snippet": "".join(s.text for s in h.snippet)}
            for h in page.hits]}, indent=2, ensure_ascii=False))
        return
    click.echo(_headline(text, parsed, page))
    for rank, h in enumerate(page.hits, 1):
        p = h.paper
        click.echo(f"{rank:3d}. {p.id:<12} {h.score:6.3f}  {p.published:%Y-%m-%d}  {p.title}")


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
