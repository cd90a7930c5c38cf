"""`papersift library add --user NAME [--tag T] ID...`: fill a library from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("library")
def library_group() -> None:
    """Manage users' libraries."""


@library_group.command("add")
@click.option("--user", "username", required=True, help="Whose library.")
@click.option("--tag", default=None, help="Tag the papers too.")
@click.argument("ids", nargs=-1, required=True)
@with_appcontext
def add_command(username: str, tag: str | None, ids: tuple[str, ...]) -> None:
    """Add papers by arXiv id or URL (ids not in the store are reported and skipped)."""
    from store import db
    from store.library import LibraryError, add_to_library
    from store.users import find_user
    from web.library_io import parse_id_list

    wanted, bad = parse_id_list(" ".join(ids))
    try:
        with db.transaction() as conn:
            user = find_user(conn, username)
            if user is None:
                raise click.ClickException(f"No account {username!r}.")
            added, unknown = add_to_library(conn, user.id, wanted, tag=tag)
    except LibraryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Added {len(added)} of {len(wanted)} papers to {user.username}'s library"
               + (f" (tag {tag})" if tag else "") + ".")
    if unknown:
        click.echo(f"Not in the store: {', '.join(unknown)}", err=True)
    if bad:
        click.echo(f"Not arXiv ids: {', '.join(bad)}", err=True)
    if (unknown or bad) and not added:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(library_group)
