"""`papersift index-publish DEST`: copy the current index version to a web machine's index folder."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("index-publish")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--from", "source", type=click.Path(path_type=Path), default=None,
              help="Index folder to publish from (default: this machine's, PAPERSIFT_INDEX_DIR "
                   "or <data dir>/index), e.g. a mirror of the builder's kept by rsync.")
@click.option("--version", "version", default=None,
              help="Publish this version instead of the source's current one.")
@click.option("--keep", default=2, show_default=True, type=click.IntRange(1),
              help="Newest versions kept at DEST (older ones are removed once "
                   "PAPERSIFT_INDEX_GRACE_MINUTES have passed).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def index_publish_command(dest: Path, source: Path | None, version: str | None, keep: int,
                          as_json: bool) -> None:
    """Copy the current index version (with its vectors) into the index folder DEST
    atomically and make it current there; web processes serving from DEST switch to it
    within seconds. Publishing a version DEST already holds changes nothing."""
    from recommend.index_publish import PublishError, publish_version

    settings = current_app.config["SETTINGS"]
    try:
        result = publish_version(source or settings.index_dir, dest, version=version, keep=keep,
                                 grace_seconds=settings.index_grace_minutes * 60)
    except PublishError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    click.echo(result.summary())


def register(group: click.Group) -> None:
    group.add_command(index_publish_command)
