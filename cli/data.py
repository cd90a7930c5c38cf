"""Commands over the data as a whole: config, status, index, bootstrap."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

import config

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "arxiv_cs_sample.jsonl.gz"


def _settings() -> config.Settings:
    return current_app.config["SETTINGS"]


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
def config_command(as_json: bool) -> None:
    """Show every setting: its environment variable, current value and help."""
    settings = config.load_settings()
    rows = config.describe()
    if as_json:
        click.echo(json.dumps({r["env"]: getattr(settings, r["name"]) for r in rows},
                              default=list, indent=2))
        return
    for row in rows:
        value = getattr(settings, row["name"])
        if row["name"] in {"secret_key", "smtp_password"} and value:
            value = "(set)"
        shown = " ".join(value) if isinstance(value, tuple) else value
        click.echo(f"{row['env']} = {shown!s}")
        click.echo(f"    {row['help']} [default: {row['default'] or '(empty)'}]")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def status_command(as_json: bool) -> None:
    """Papers, categories, dates, index, full text and recent runs."""
    from cli import _store as db
    from store.status import store_status

    with db.engine().connect() as conn:
        status = store_status(conn, _settings())
    status["embeddings"] = _embedding_status()
    if as_json:
        click.echo(json.dumps(status, indent=2, default=str))
        return
    click.echo(format_status(status))


def format_status(status: dict) -> str:
    lines = [f"papers: {status['papers']:,}"]
    lo, hi = status["date_range"]
    if lo:
        lines.append(f"first-version dates: {lo[:10]} .. {hi[:10]}")
    cats = status["categories"]
    if cats:
        top = ", ".join(f"{c} {n:,}" for c, n in list(cats.items())[:12])
        more = f" (+{len(cats) - 12} more)" if len(cats) > 12 else ""
        lines.append(f"categories: {top}{more}")
    idx = status["index"]
    if idx:
        stale = "" if idx["current"] else " - out of date, run `papersift index`"
        lines.append(f"index: {idx['version']} ({idx['n_docs']:,} papers, {idx['n_terms']:,} terms, "
                     f"{idx['bytes'] / 1e6:.1f} MB){stale}")
        lines.append(_refit_line(idx))
    else:
        lines.append("index: none yet (run `papersift index`)")
    if status.get("embeddings"):
        lines.append(f"embeddings: {status['embeddings']['line']}")
    ft = status.get("fulltext")
    if ft:
        lines.append(f"full text: {ft['ok']:,} ok, {ft['failed']:,} failed, {ft['pending']:,} pending")
        lines.extend(f"    {n:,} x {reason}" for reason, n in list(ft["reasons"].items())[:5])
    if status.get("runs"):
        lines.append("recent runs:")
        lines.extend(_run_line(run) for run in status["runs"])
    return "\n".join(lines)


def _refit_line(idx: dict) -> str:
    """When the vocabulary was last fitted, and the drift since (refit past the limit)."""
    how = (f"updated incrementally from {idx['updated_from']}" if idx.get("updated_from")
           else "a full build")
    return (f"    vocabulary fitted {idx['refit_created'].replace('T', ' ')[:16]} UTC "
            f"({idx['refit_version']}; refit every {idx['refit_days']:g} days), "
            f"drift {idx['drift']:.1%} of {idx['drift_limit']:.0%}; this version: {how}")


def _embedding_status() -> dict:
    """The semantic layer's coverage of the current index (services/semantic.py)."""
    from services.semantic import semantic_status

    status = semantic_status(_settings())
    return {**status.to_json(), "line": status.line()}


def _run_line(run: dict) -> str:
    when = run["started"].replace("T", " ")[:16]
    line = (f"    {run['kind']:<8} {when}  {run['status']:<11} {run['requests']} requests, "
            f"{run['new']} new, {run['updated']} updated, {run['errors']} errors")
    return line + (f" - {run['message']}" if run.get("message") else "")


@click.command("index")
@click.option("--force", is_flag=True, help="Rebuild in full even if the store has not changed.")
@click.option("--full", is_flag=True,
              help="Refit the vocabulary with a full build instead of an incremental update.")
@with_appcontext
def index_command(force: bool, full: bool) -> None:
    """Update the search and recommendation index with new and changed papers (or build
    it in full when a refit is due) and swap the new version in atomically."""
    from cli import _store as db
    from ingest import indexing

    result = indexing.build(db.engine(), _settings(), force=force, full=full,
                            progress=sys.stderr.isatty())
    click.echo(result.summary())


@click.command("bootstrap")
@with_appcontext
def bootstrap_command() -> None:
    """Import the bundled sample corpus if the store is empty, then index if needed."""
    from cli import _store as db
    from ingest import indexing
    from ingest.pipeline import import_files
    from store.status import store_status

    eng, settings = db.engine(), _settings()
    with eng.connect() as conn:
        empty = store_status(conn, settings, light=True)["papers"] == 0
    if empty:
        click.echo(f"Empty store: importing the sample corpus {SAMPLE.name}")
        click.echo(import_files(eng, [SAMPLE], progress=sys.stderr.isatty()).summary())
    result = indexing.build(eng, settings, force=False, progress=sys.stderr.isatty())
    click.echo(result.summary())


def register(group: click.Group) -> None:
    for command in (config_command, status_command, index_command, bootstrap_command):
        group.add_command(command)
