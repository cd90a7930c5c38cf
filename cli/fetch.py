"""Commands that keep the corpus fresh: fetch (arXiv API), harvest (OAI-PMH), scheduler."""

from __future__ import annotations

import re
import sys
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext


def _settings():
    return current_app.config["SETTINGS"]


def _date(value) -> date | None:
    return value.date() if value is not None else None


_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?")


def _categories(_ctx, _param, values: tuple[str, ...]) -> tuple[str, ...]:
    """arXiv category names only: they are put into the API query."""
    bad = [v for v in values if not _CATEGORY.fullmatch(v)]
    if bad:
        raise click.BadParameter(f"not an arXiv category: {bad[0]!r} (e.g. cs.LG, stat.ML, hep-th)")
    return values


@click.command("fetch")
@click.option("--category", "-c", "categories", multiple=True, metavar="CAT", callback=_categories,
              help="arXiv category to fetch (repeatable); default PAPERSIFT_CATEGORIES.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Backfill papers submitted since YYYY-MM-DD (split into weekly date ranges).")
@click.option("--max", "max_papers", type=click.IntRange(min=1), help="Stop after N papers.")
@with_appcontext
def fetch_command(categories: tuple[str, ...], since, max_papers: int | None) -> None:
    """Fetch new and revised papers from the arXiv API (resumes an interrupted run)."""
    from tqdm import tqdm

    from cli import _store as db
    from ingest.fetch import fetch_new

    bar = tqdm(unit=" pages", desc="fetching", disable=not sys.stderr.isatty(), total=None)

    def on_page(s) -> None:
        bar.update(1)
        bar.set_postfix(new=s.new, updated=s.updated, requests=s.requests)

    def on_start(s) -> None:
        if s.first_since:
            click.echo(f"First fetch of this instance: looking back to {s.first_since:%Y-%m-%d} only. "
                       "For older papers, backfill with `papersift fetch --since YYYY-MM-DD` "
                       "(or `papersift harvest --from YYYY-MM-DD` for whole archives).")

    try:
        summary = fetch_new(db.engine(), _settings(), categories=categories or None,
                            since=_date(since), max_papers=max_papers, on_page=on_page,
                            on_start=on_start)
    except KeyboardInterrupt:
        bar.close()
        click.echo("Interrupted. Everything fetched so far is stored; run the same "
                   "`papersift fetch` again to resume.", err=True)
        sys.exit(130)
    bar.close()
    click.echo(summary.text())
    for example in summary.error_examples:
        click.echo(f"  rejected: {example}")
    if summary.status != "ok":
        sys.exit(1)


@click.command("harvest")
@click.option("--from", "from_", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="Harvest records changed since YYYY-MM-DD.")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="...and up to YYYY-MM-DD.")
@click.option("--set", "set_spec", default="cs", show_default=True,
              help="OAI-PMH set (cs, math, physics:hep-th, ...).")
@click.option("--format", "metadata_prefix", type=click.Choice(["arXiv", "arXivRaw"]), default="arXiv",
              show_default=True, help="Metadata format (arXivRaw carries version numbers).")
@click.option("--max", "max_papers", type=click.IntRange(min=1), help="Stop after N records.")
@with_appcontext
def harvest_command(from_, until, set_spec: str, metadata_prefix: str, max_papers: int | None) -> None:
    """Bulk-harvest arXiv metadata over OAI-PMH (ListRecords with resumption tokens)."""
    from tqdm import tqdm

    from cli import _store as db
    from ingest.oai import harvest

    bar = tqdm(unit=" pages", desc="harvesting", disable=not sys.stderr.isatty(), total=None)

    def on_page(s) -> None:
        bar.update(1)
        bar.set_postfix(new=s.new, updated=s.updated)

    try:
        summary = harvest(db.engine(), _settings(), since=_date(from_), until=_date(until),
                          set_spec=set_spec, metadata_prefix=metadata_prefix, max_papers=max_papers,
                          on_page=on_page)
    except KeyboardInterrupt:
        bar.close()
        click.echo("Interrupted. Run the same `papersift harvest` again to resume.", err=True)
        sys.exit(130)
    bar.close()
    click.echo(summary.text())
    if summary.status != "ok":
        sys.exit(1)


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run the pipeline once (fetch, full text, index) and exit.")
@with_appcontext
def scheduler_command(once: bool) -> None:
    """Run fetch -> full text -> index every PAPERSIFT_SCHEDULE_HOURS, in one leader process."""
    from cli import _store as db
    from ingest import scheduler
    from services import jobs

    if once:
        scheduler.run_pipeline(db.engine(), _settings())
        return
    jobs.run_blocking(db.engine(), _settings())


@click.command("run-all")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_all_command(host: str, port: int) -> None:
    """Serve the site with the scheduler in a background thread (unless PAPERSIFT_SCHEDULER=0)."""
    from cli import _store as db
    from services import jobs

    settings = _settings()
    background = None
    if settings.scheduler_enabled:
        from ingest import embeddings

        background = jobs.start_background(db.engine(), settings)
        embeddings.start_background(db.engine(), settings)   # lexical until the vectors land
    else:
        click.echo("Scheduler disabled (PAPERSIFT_SCHEDULER=0): the corpus is not refreshed.")
    # waitress: a production WSGI server in this one process, so the scheduler thread
    # lives beside the site (gunicorn's forked workers would each need their own)
    from waitress import serve

    click.echo(f"Serving papersift on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        serve(current_app._get_current_object(), host=host, port=port, threads=8, ident="papersift",
              _quiet=True)      # returns on Ctrl+C (SIGINT)
    except KeyboardInterrupt:
        pass
    finally:
        if background is not None:
            background.shutdown()
    click.echo("Stopped.")


def register(group: click.Group) -> None:
    for command in (fetch_command, harvest_command, scheduler_command, run_all_command):
        group.add_command(command)
