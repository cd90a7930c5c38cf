"""Account administration: `papersift users create|list|set|delete`."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

# store.feeds.FREQUENCIES, written out so that listing commands loads no store code
DIGEST_FREQUENCIES = ("off", "daily", "weekly")


@click.group("users")
def users_group() -> None:
    """Create, list, change and delete accounts."""


@users_group.command("create")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
@with_appcontext
def create_command(name: str, password_stdin: bool, admin: bool) -> None:
    """Create an account NAME (the password is asked for, or read with --password-stdin)."""
    from cli import _store as db
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
    from cli import _store as db
    from store.users import list_users

    with db.engine().connect() as conn:
        rows = list_users(conn)
    if not rows:
        click.echo("No accounts yet (papersift users create NAME).")
    for user, n in rows:
        admin = " admin" if user.is_admin else ""
        click.echo(f"{user.username}\tcreated {user.created:%Y-%m-%d}\t{n} papers{admin}")


@users_group.command("set")
@click.argument("name")
@click.option("--email", metavar="ADDRESS", help='Email address for digests ("" removes it).')
@click.option("--digest", "frequency", type=click.Choice(DIGEST_FREQUENCIES),
              help="How often the email digest is sent; off ends the subscription.")
@with_appcontext
def set_command(name: str, email: str | None, frequency: str | None) -> None:
    """Change the account NAME's email address and digest subscription."""
    from cli import _store as db
    from store.feeds import FeedError, update_digest
    from store.users import find_user

    if email is None and frequency is None:
        raise click.UsageError("Nothing to change: give --email and/or --digest.")
    try:
        with db.transaction() as conn:
            user = find_user(conn, name)
            if user is None:
                raise click.ClickException(f"No account {name!r}.")
            digest = update_digest(conn, user.id, email=email, frequency=frequency)
    except FeedError as exc:
        raise click.ClickException(str(exc)) from None
    address = digest.email or "no email address"
    state = "digest off" if digest.frequency == "off" else f"{digest.frequency} digest"
    click.echo(f"{digest.username}: {address}, {state}.")
    if digest.email and not digest.email_confirmed:
        click.echo(_confirmation(digest))


def _confirmation(digest) -> str:
    """Mail the confirmation link, as the account page does, and say what happened."""
    import smtplib

    from services.mail import send_confirmation

    settings = current_app.config["SETTINGS"]
    if not settings.smtp_host:
        return (f"{digest.email} is not confirmed, and email is off (PAPERSIFT_SMTP_HOST): no digest "
                "goes there until email is set up and its owner opens the confirmation link.")
    try:
        send_confirmation(settings, digest.user_id, digest.username, digest.email)
    except (OSError, smtplib.SMTPException) as exc:
        raise click.ClickException(f"Saved, but the confirmation email to {digest.email} could not be "
                                   f"sent ({exc}); the account page can send it again.") from None
    return f"Sent a confirmation link to {digest.email}: no digest goes there until it is opened."


@users_group.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def delete_command(name: str, yes: bool) -> None:
    """Delete the account NAME with its library, tags and marks."""
    from cli import _store as db
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
