"""`papersift embed`: give the current index version its paper vectors (the semantic layer)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("embed")
@click.option("--force", is_flag=True,
              help="Write the version's vectors again even if it has them (cached papers are reused).")
@click.option("--local", is_flag=True, help="Encode in this process even when RQ workers listen.")
@with_appcontext
def embed_command(force: bool, local: bool) -> None:
    """Encode new or changed papers in batches (resumable) and give the current index its vectors.

    Exit status 1 when the configured encoder cannot be loaded; without an encoder the
    command says so and papersift stays lexical.
    """
    from cli import _store as db
    from ingest.embeddings import batch_encoder_for, embed_current_index, load_encoder
    from recommend.encoder_choice import EncoderSpecError

    settings = current_app.config["SETTINGS"]
    try:
        encoder = load_encoder(settings)
    except EncoderSpecError as exc:
        raise click.ClickException(str(exc)) from None
    batches = None if local else batch_encoder_for(settings, encoder)
    result = embed_current_index(db.engine(), settings, encoder, batch_encoder=batches, force=force)
    click.echo(result.summary())


def register(group: click.Group) -> None:
    group.add_command(embed_command)
