"""Account administration: `papersift users create|list|delete`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("users")
def users_group() -> None:
    """Create, list and delete accounts."""


@users_group.command("create")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
@with_appcontext
def create_command(name: str, password_stdin: bool, admin: bool) -> None:
    """Create an account NAME (the password is asked for, or read with --password-stdin)."""
    from store import db
    from store.users import AccountError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with db.transaction() as conn:
            user = create_user(conn, name, password, is_admin=admin)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.username}{' (admin)' if user.is_admin else ''}.")


@users_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every account with its creation date and library size."""
    from store import db
    from store.users import list_users

    with db.engine().connect() as conn:
        rows = list_users(conn)
    if not rows:
        click.echo("No accounts yet (papersift users create NAME).")
    for user, n in rows:
        admin = " admin" if user.is_admin else ""
        click.echo(f"{user.username}\tcreated {user.created:%Y-%m-%d}\t{n} papers{admin}")


@users_group.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def delete_command(name: str, yes: bool) -> None:
    """Delete the account NAME with its library, tags and marks."""
    from store import db
    from store.users import delete_user, find_user

    with db.transaction() as conn:
        user = find_user(conn, name)
        if user is None:
            raise click.ClickException(f"No account {name!r}.")
        if not yes and sys.stdin.isatty():
            click.confirm(f"Delete {user.username} and their library?", abort=True)
        delete_user(conn, user.id)
    click.echo(f"Deleted {user.username}.")


def register(group: click.Group) -> None:
    group.add_command(users_group)
