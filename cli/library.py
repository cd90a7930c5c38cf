"""`papersift library add|import|list`: fill a library from ids or a reference manager's
export, and read it back."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
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
    from cli import _store as db
    from services.library import add_papers
    from services.library_io import parse_id_list
    from store.library import LibraryError
    from store.users import find_user

    wanted, bad = parse_id_list(" ".join(ids))
    try:
        with db.transaction() as conn:
            user = find_user(conn, username)
            if user is None:
                raise click.ClickException(f"No account {username!r}.")
            done = add_papers(conn, user.id, wanted, tag=tag)
    except LibraryError as exc:
        raise click.ClickException(str(exc)) from None
    added, unknown = done.added, done.unknown
    click.echo(f"Added {len(added)} of {len(wanted)} papers to {user.username}'s library"
               + (f" (tag {tag})" if tag else "") + ".")
    if unknown:
        click.echo(f"Not in the store: {', '.join(unknown)}", err=True)
    if bad:
        click.echo(f"Not arXiv ids: {', '.join(bad)}", err=True)
    if (unknown or bad) and not added:
        raise SystemExit(1)


def _user_id(username: str) -> int:
    from cli import _store as db
    from store.users import find_user

    with db.engine().connect() as conn:
        user = find_user(conn, username)
    if user is None:
        raise click.ClickException(f"No account {username!r}.")
    return user.id


@library_group.command("import")
@click.option("--user", "username", required=True, help="Whose library.")
@click.option("--format", "fmt", type=click.Choice(["bibtex", "ris", "csl-json", "zotero-rdf"]), default=None,
              help="File format (default: from the extension, else from the content).")
@click.option("--tag", default=None, help="Tag every imported paper too.")
@click.option("--no-fetch", is_flag=True, help="Do not ask the arXiv API for papers the store lacks.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(username: str, fmt: str | None, tag: str | None, no_fetch: bool, as_json: bool,
                   file: Path) -> None:
    """Import a BibTeX, RIS, CSL-JSON or Zotero RDF export (Zotero, Mendeley, JabRef) into a library."""
    from tqdm import tqdm

    from cli import _store as db
    from ingest.library_import import LibraryFileError, import_library
    from recommend.index import load_index
    from store.library import LibraryError

    settings = current_app.config["SETTINGS"]
    user_id = _user_id(username)
    bar = tqdm(unit=" ids", desc="fetching from arXiv", disable=not sys.stderr.isatty(), total=None)

    def on_batch(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        report = import_library(db.engine(), settings, user_id, file.read_bytes(), file.name, fmt=fmt,
                                tag=tag, index=load_index(settings.index_dir), fetch=not no_fetch,
                                on_batch=on_batch)
    except (LibraryFileError, LibraryError) as exc:
        raise click.ClickException(f"{file.name}: {exc} Nothing was imported.") from None
    finally:
        bar.close()
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_report(report)


def _print_report(report) -> None:
    click.echo(report.summary() + ".")
    click.echo(f"Title matches need a fuzzy score of at least {report.threshold:g} (of 100).")
    for m in report.matched:
        click.echo(f"  matched  {m.label}: {m.paper_id} by {m.how}")
    for u in report.unmatched:
        click.echo(f"  UNMATCHED {u.label}: {u.reason}")
    if report.tags:
        click.echo(f"Tags: {', '.join(report.tags)}")
    if report.fetch_error:
        click.echo(f"arXiv lookups stopped: {report.fetch_error}", err=True)


@library_group.command("list")
@click.option("--user", "username", required=True, help="Whose library.")
@click.option("--tag", default=None, help="Only papers with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (as GET /api/library gives).")
@with_appcontext
def list_command(username: str, tag: str | None, as_json: bool) -> None:
    """List the papers in a library, newest added first."""
    from cli import _store as db
    from services.library import entry_json
    from store.library import find_tag, library_papers

    user_id = _user_id(username)
    with db.engine().connect() as conn:
        found = find_tag(conn, user_id, tag) if tag else None
        if tag and found is None:
            raise click.ClickException(f"{username} has no tag {tag!r}.")
        entries = library_papers(conn, user_id, found.id if found else None)
    if as_json:
        click.echo(json.dumps({"user": username, "tag": tag, "count": len(entries),
                               "papers": [entry_json(e) for e in entries]}, indent=2, ensure_ascii=False))
        return
    for e in entries:
        tags = f"  [{', '.join(e.tags)}]" if e.tags else ""
        click.echo(f"{e.paper.id}\t{e.added:%Y-%m-%d}\t{e.paper.title}{tags}")
    click.echo(f"{len(entries)} paper{'' if len(entries) == 1 else 's'}", err=True)


def register(group: click.Group) -> None:
    group.add_command(library_group)
