"""`papersift digest`: compose and send the email digests that are due."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("digest")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and record nothing.")
@click.option("--user", "username", metavar="NAME", help="Only this user's digest (sent even if not due).")
@click.option("--force", is_flag=True, help="Send every subscriber's digest even if not due yet.")
@with_appcontext
def digest_command(dry_run: bool, username: str | None, force: bool) -> None:
    """Send the daily and weekly digests that are due (exit status 1 when one failed)."""
    from cli import _store as db
    from services.digest import run_digests
    from store.feeds import FeedError, digest_subscriber

    settings = current_app.config["SETTINGS"]
    if username:
        try:
            with db.engine().connect() as conn:
                digest_subscriber(conn, username)
        except FeedError as exc:
            raise click.ClickException(str(exc)) from None
    if not settings.smtp_host and not dry_run:
        raise click.ClickException("Email is off: set PAPERSIFT_SMTP_HOST (or use --dry-run).")
    run = run_digests(db.engine(), settings, dry_run=dry_run, username=username, force=force)
    for message in run.previews:
        click.echo(f"To: {message['To']}\nSubject: {message['Subject']}\n")
        click.echo(message.get_body(("plain",)).get_content())
        click.echo("-" * 72)
    for name, why in run.failed.items():
        click.echo(f"{name}: not sent ({why}); will retry at the next run", err=True)
    click.echo(("dry run: would send " if dry_run else "") + run.summary())
    if not run.ok:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(digest_command)
