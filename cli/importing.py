"""`papersift import FILE...`: arXiv metadata files (JSON lines or Atom, gzip ok) into the store.

Exit codes: 0 when anything was imported or nothing was rejected, 1 when every record
was rejected, 2 when a file is missing or unreadable (nothing is written then).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

if TYPE_CHECKING:
    from ingest.pipeline import ImportSummary

SHOWN_REJECTIONS = 20


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Records stored per transaction.")
@click.pass_context
@with_appcontext
def import_command(ctx: click.Context, files: tuple[str, ...], batch_size: int) -> None:
    """Import papers from JSON-lines (arXiv snapshot or listing shape) or Atom files.

    Malformed records are skipped and listed with their line or entry number; the rest of
    each file still imports. Re-importing a file changes nothing.
    """
    from cli import _store as db
    from ingest.pipeline import InputFileError, import_files

    try:
        summary = import_files(db.engine(), files, progress=sys.stderr.isatty(),
                               batch_size=batch_size)
    except InputFileError as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(2)
    click.echo("\n".join(summary.lines(examples=SHOWN_REJECTIONS)))
    ctx.exit(exit_code(summary))


def exit_code(summary: ImportSummary) -> int:
    """1 when every record was rejected, else 0."""
    return 1 if summary.rejected and not summary.accepted else 0


def register(group: click.Group) -> None:
    group.add_command(import_command)
