"""`papersift serve`: the production server, gunicorn with the repository's gunicorn.conf.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def gunicorn_argv(host: str, port: int, workers: int | None) -> list[str]:
    """The command line that runs gunicorn for papersift (python -m gunicorn ...)."""
    argv = [sys.executable, "-m", "gunicorn", "--config", str(CONF), "--bind", f"{host}:{port}",
            "--chdir", str(CONF.parent)]
    if workers:
        argv += ["--workers", str(workers)]
    return argv


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes [default: 2 x cores + 1].")
def serve_command(host: str, port: int, workers: int | None) -> None:
    """Serve the site with gunicorn (preloaded app, worker processes, access log on stdout).

    The process is replaced by gunicorn, so signals (TERM for a graceful stop, HUP to
    reload workers after an upgrade) reach it directly.
    """
    argv = gunicorn_argv(host, port, workers)
    click.echo(f"Starting gunicorn on http://{host}:{port}/ ...", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)


def register(group: click.Group) -> None:
    group.add_command(serve_command)
