"""`papersift recommend --user NAME [--tag T] [-n 50] [--json]`: the ranking the site shows."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("recommend")
@click.option("--user", "username", required=True, help="Whose library to learn from.")
@click.option("--tag", "tags", multiple=True, help="Train on papers with this tag (repeatable).")
@click.option("--all-tags", is_flag=True, help="With several --tag: papers carrying all of them.")
@click.option("--negative-tag", default=None, help="Papers with this tag count as negatives.")
@click.option("-n", "count", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def recommend_command(username: str, tags: tuple[str, ...], all_tags: bool, negative_tag: str | None,
                      count: int, as_json: bool) -> None:
    """Rank papers for a user with the SVM trained on their library (or tags), with reasons."""
    from cli import _store as db
    from recommend.index import load_index
    from services.recommendations import RecoQuery, local_ranking_cache, recommend
    from store.users import find_user

    settings = current_app.config["SETTINGS"]
    index = load_index(settings.index_dir)
    query = RecoQuery(tags=tags, mode="all" if all_tags else "any", negative_tag=negative_tag, k=count)
    with db.engine().connect() as conn:
        user = find_user(conn, username)
        if user is None:
            raise click.ClickException(f"No account {username!r}.")
        result = recommend(conn, index, user.id, query, settings, local_ranking_cache(), trainer=None)
    if result.empty_reason:
        reason = {"index": "no index yet (run `papersift index`)",
                  "library": f"{user.username}'s library is empty",
                  "tag": "no saved papers carry these tags"}[result.empty_reason]
        raise click.ClickException(f"Nothing to recommend: {reason}.")
    if as_json:
        click.echo(json.dumps({"user": user.username, "model": result.kind, "papers": [
            {"id": r.paper.id, "title": r.paper.title, "score": round(r.score, 4), "reasons": r.reasons}
            for r in result.items]}, indent=2, ensure_ascii=False))
        return
    for rank, r in enumerate(result.items, 1):
        click.echo(f"{rank:3d}. {r.score:+.3f}  {r.paper.id}  {r.paper.title}")
        if r.reasons:
            click.echo(f"      because of: {', '.join(r.reasons)}")


def register(group: click.Group) -> None:
    group.add_command(recommend_command)
