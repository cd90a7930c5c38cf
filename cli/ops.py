"""Operations commands: `papersift migrate`, `papersift doctor` and `papersift backup`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

import config
from logging_setup import FORMATS

OK, WARN, FAIL = "ok", "warn", "FAIL"
PDF_ENGINES = ("pdfminer", "pdfium")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Check:
    name: str
    status: str                  # ok | warn | FAIL
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        out = [f"{self.status:<4}  {self.name}: {self.detail}"]
        if self.fix:
            out.append(f"      fix: {self.fix}")
        return out


def _settings() -> config.Settings:
    return current_app.config["SETTINGS"]


# -- checks: each takes the settings and returns one Check ---------------------------------

def check_config(s: config.Settings) -> Check:
    from sqlalchemy.engine import make_url

    problems = []
    if s.log_format.strip().lower() not in FORMATS:
        problems.append(f"PAPERSIFT_LOG_FORMAT={s.log_format!r} (use text or json)")
    if s.log_level.strip().upper() not in LOG_LEVELS:
        problems.append(f"PAPERSIFT_LOG_LEVEL={s.log_level!r} (use {', '.join(LOG_LEVELS)})")
    if s.pdf_engine not in PDF_ENGINES:
        problems.append(f"PAPERSIFT_PDF_ENGINE={s.pdf_engine!r} (use pdfminer or pdfium)")
    host = urlsplit(s.arxiv_api_url).hostname or ""
    if host.endswith("arxiv.org") and s.arxiv_delay < 3:
        problems.append(f"PAPERSIFT_ARXIV_DELAY={s.arxiv_delay} (arXiv asks for at least 3 s)")
    try:
        make_url(s.db_url)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a config problem
        problems.append(f"DATABASE_URL cannot be parsed ({exc})")
    if s.redis_url and urlsplit(s.redis_url).scheme not in {"redis", "rediss", "unix"}:
        problems.append(f"REDIS_URL={s.redis_url!r} (expected redis://host:port/db)")
    if problems:
        return Check("config", FAIL, "; ".join(problems), "set the variables named above")
    return Check("config", OK, f"{len(config.SETTINGS)} settings read")


def check_data_dir(s: config.Settings) -> Check:
    path = s.data_path
    if not path.is_dir():
        return Check("data dir", FAIL, f"{path} does not exist",
                     f"mkdir -p {path} (or set PAPERSIFT_DATA_DIR)")
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check("data dir", FAIL, f"{path} is not writable ({exc.strerror})",
                     f"chown the folder to the user running papersift (uid {os.getuid()})")
    key = s.secret_key_file
    if not s.secret_key and key.exists() and key.stat().st_mode & 0o077:
        return Check("data dir", FAIL, f"{key} is readable by other users", f"chmod 600 {key}")
    return Check("data dir", OK, f"{path} is writable")


def check_database(s: config.Settings) -> Check:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from cli import _store as db

    url = make_url(s.db_url)
    try:
        with db.engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - report any failure to connect
        return Check("database", FAIL, f"{url.render_as_string(hide_password=True)}: "
                     f"{str(exc).splitlines()[0]}",
                     "start the database server or fix DATABASE_URL")
    return Check("database", OK, f"{url.get_backend_name()} answers")


def check_schema(s: config.Settings) -> Check:
    from cli import _store as db
    from store import migrations

    try:
        with db.engine().connect() as conn:
            version = migrations.current_version(conn)
    except Exception as exc:  # noqa: BLE001
        return Check("schema", FAIL, f"cannot read the schema version ({exc.__class__.__name__})",
                     "fix the database check first")
    latest = migrations.LATEST
    if version < latest:
        return Check("schema", FAIL, f"version {version}, this papersift needs {latest}",
                     "papersift migrate")
    if version > latest:
        return Check("schema", FAIL, f"version {version} is newer than this papersift ({latest})",
                     "upgrade papersift to the version that migrated this store")
    return Check("schema", OK, f"version {version} (latest)")


def check_index(s: config.Settings) -> Check:
    from cli import _store as db
    from domain import index_files
    from ingest import indexing

    info = index_files.index_info(s.index_dir)
    if info is None:
        return Check("index", FAIL, f"no index in {s.index_dir}", "papersift index")
    try:
        current = indexing.is_current(db.engine(), s)
    except Exception as exc:  # noqa: BLE001
        return Check("index", WARN, f"{info.version} loaded; freshness unknown ({exc.__class__.__name__})")
    if not current:
        return Check("index", WARN, f"{info.version} is older than the store",
                     "papersift index (the scheduler does this every PAPERSIFT_SCHEDULE_HOURS)")
    return Check("index", OK, f"{info.version}, {info.n_docs:,} papers, current")


def check_embeddings(s: config.Settings) -> Check:
    """The semantic layer: a warning, never a failure; papersift works lexically without it."""
    from recommend.encoder_choice import EncoderSpecError, encoder_from_spec
    from services.semantic import semantic_status

    try:
        encoder_from_spec(s.embedding_encoder)     # the site would log this and stay lexical
        status = semantic_status(s)
    except EncoderSpecError as exc:
        return Check("embeddings", FAIL, str(exc), "fix or unset PAPERSIFT_EMBEDDING_ENCODER")
    if status.state == "ready" and status.ann in ("not built", "no library"):
        fix = ("pip install 'papersift[ann]', then papersift embed" if status.ann == "no library"
               else "papersift embed (builds the index beside the vectors)")
        return Check("embeddings", WARN, status.line(), fix)
    if status.state == "ready":
        return Check("embeddings", OK, status.line())
    if status.state == "unavailable":
        return Check("embeddings", WARN, status.line(),
                     "install an encoder (see README, semantic layer) for meaning-based search")
    return Check("embeddings", WARN, status.line(),
                 "papersift embed (the scheduler runs it after each index build)")


def check_redis(s: config.Settings) -> Check:
    from services.redis_client import ping_redis

    if not s.redis_url:
        return Check("redis", OK, "not configured (in-process cache, local locks)")
    failure = ping_redis(s.redis_url)
    if failure:
        return Check("redis", FAIL, f"{_hide_password(s.redis_url)}: {failure}",
                     "start redis-server or fix REDIS_URL (the site keeps serving without it)")
    return Check("redis", OK, f"{_hide_password(s.redis_url)} answers")


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


CHECKS: tuple[Callable[[config.Settings], Check], ...] = (
    check_config, check_data_dir, check_database, check_schema, check_index, check_embeddings,
    check_redis)


def run_checks(s: config.Settings) -> list[Check]:
    return [check(s) for check in CHECKS]


# -- commands ----------------------------------------------------------------------------

@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check config, data dir, database, schema, index, embeddings and Redis; say what to fix."""
    checks = run_checks(_settings())
    for check in checks:
        for line in check.lines():
            click.echo(line)
    failed = [c.name for c in checks if c.status == FAIL]
    if failed:
        click.echo(f"\n{len(failed)} problem(s): {', '.join(failed)}")
        raise SystemExit(1)
    click.echo("\nAll checks passed.")


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Apply pending schema migrations and print the versions."""
    from cli import _store as db
    from store import migrations

    try:
        before, after = migrations.upgrade(db.engine())
    except migrations.SchemaTooNew as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - an unreachable database gets a clear message
        raise click.ClickException(f"cannot migrate: {str(exc).splitlines()[0]}") from None
    # the app migrates when it starts (just before this command ran): report that too
    started = current_app.extensions.get("papersift.migrated")
    if started is not None:
        before = min(before, started[0])
    if before == after:
        click.echo(f"Schema is at version {after} (latest); nothing to do.")
    else:
        click.echo(f"Migrated the schema from version {before} to {after}.")


@click.command("backup")
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@click.option("--with-index", is_flag=True, help="Also copy the current index version.")
@with_appcontext
def backup_command(dest: Path | None, with_index: bool) -> None:
    """Copy the SQLite store consistently (online backup API) plus the index pointer to DEST
    (default: <data dir>/backups/papersift-<UTC time>)."""
    from store import backup as store_backup

    try:
        result = store_backup.backup(_settings(), dest, with_index=with_index)
    except store_backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result.summary())


def register(group: click.Group) -> None:
    for command in (doctor_command, migrate_command, backup_command):
        group.add_command(command)
