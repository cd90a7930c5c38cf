"""Full-text commands: `papersift fulltext` (download + extract) and `papersift worker` (RQ)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("fulltext")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Process at most N papers (newest first).")
@click.option("--retry-failed", is_flag=True,
              help="Also retry papers that used up their attempts (PAPERSIFT_FULLTEXT_MAX_ATTEMPTS).")
@with_appcontext
def fulltext_command(limit: int | None, retry_failed: bool) -> None:
    """Download the PDFs of papers without current full text, extract and store the text.

    Without REDIS_URL the work runs here on every core; with it, jobs go to the RQ queue
    for `papersift worker` processes. Exit status 1 when the run had to stop early.
    """
    from cli import _store as db
    from ingest.fulltext_pipeline import run_fulltext

    settings = current_app.config["SETTINGS"]
    summary = run_fulltext(db.engine(), settings, limit=limit, retry_failed=retry_failed,
                           progress=sys.stderr.isatty())
    click.echo(summary.summary())
    if summary.stopped:
        sys.exit(1)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty instead of waiting.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker for full-text and embedding jobs (needs REDIS_URL); one per core or machine."""
    from ingest.fulltext_queue import run_worker

    settings = current_app.config["SETTINGS"]
    if not settings.redis_url:
        raise click.UsageError("REDIS_URL is not set: `papersift worker` needs Redis "
                               "(without it, `papersift fulltext` uses a local process pool).")
    run_worker(settings, burst=burst)


def register(group: click.Group) -> None:
    for command in (fulltext_command, worker_command):
        group.add_command(command)
