"""Schema migrations with Alembic: the revisions in store/migrations/versions/, run from here.

`upgrade(engine)` brings a store to the latest revision; the app runs it as it starts and
`papersift migrate` runs it on demand. Stores report their schema as a version number, the
revision's place in the chain (1 for the first revision), which `meta.schema_version` mirrors
so that the hand-written runner papersift used before Alembic refuses a newer store.

A store from that runner has `meta.schema_version` (1 to 5) and no `alembic_version` table: it
is stamped with the matching revision once, then upgraded. Alembic is configured here, not by
an alembic.ini: the scripts ship inside the package.

To change the schema: edit `store/schema.py` (the first revision runs create_all on it, so a
fresh store gets it whole), then add a revision after the head (copy the latest file in
versions/, set `revision` and `down_revision`, and update HEAD and LATEST below) that brings
an existing store to the same shape. A revision must be a no-op on a fresh store: check with
``inspect(conn)`` before altering. Never edit or reorder a released revision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event, inspect, select, text
from sqlalchemy.engine import Connection

from store import schema

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPTS = Path(__file__).resolve().parent
HEAD = "0010"           # the newest revision; a test checks it against versions/
LATEST = 10             # its place in the chain
LEGACY_KEY = "schema_version"
_PG_LOCK_ID = 0x7061_7065_7273   # pg_advisory_lock key: one migration at a time per database


class SchemaTooNew(RuntimeError):
    """The store was migrated by a newer papersift than this one."""


@cache
def revision_chain() -> tuple[str, ...]:
    """The revision ids from the first to the head; a store at chain[n - 1] is at version n."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(SCRIPTS))
    heads = scripts.get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must form one chain; heads: {', '.join(heads)}")
    return tuple(reversed([rev.revision for rev in scripts.walk_revisions()]))


def _stored_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _mirrored_version(conn: Connection) -> int:
    """`meta.schema_version`: the old runner's version, or the number this module mirrors there."""
    if not inspect(conn).has_table("meta"):
        return 0
    value = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == LEGACY_KEY)).scalar()
    return int(value) if value and value.isdigit() else 0


def current_version(conn: Connection) -> int:
    """The store's schema version: 0 for an empty database, above LATEST for a newer store."""
    revision = _stored_revision(conn)
    if revision is None:
        return _mirrored_version(conn)
    if revision == HEAD:
        return LATEST
    chain = revision_chain()
    if revision in chain:
        return chain.index(revision) + 1
    return max(_mirrored_version(conn), LATEST + 1)


def pending(engine: Engine) -> list[int]:
    """Version numbers of the revisions `upgrade` would apply (empty when up to date)."""
    with engine.connect() as conn:
        before = current_version(conn)
    return list(range(before + 1, LATEST + 1))


def _too_new(conn: Connection, version: int) -> SchemaTooNew:
    revision = _stored_revision(conn)
    known = revision is None or revision in revision_chain()
    return SchemaTooNew(
        f"the database schema is version {version}{'' if known else f' (revision {revision})'}, "
        f"newer than this papersift ({LATEST}); upgrade papersift"
    )


def upgrade(engine: Engine, to: int | None = None) -> tuple[int, int]:
    """Bring the schema to the latest version (or to version `to`); returns (before, after).

    Raises SchemaTooNew when the store is newer than this code knows, rather than running old
    code against a schema it does not understand. Each revision commits on its own, so an
    interrupted upgrade resumes where it stopped.
    """
    target = LATEST if to is None else to
    with engine.connect() as conn:
        before = current_version(conn)
        if before == target and _stored_revision(conn) is not None:
            return before, before       # the common start: nothing to do, Alembic not even imported
    with engine.connect() as conn, _one_migration_at_a_time(conn, engine), _transactional_ddl(conn):
        before = current_version(conn)       # again: another process may have migrated meanwhile
        if before > LATEST:
            error = _too_new(conn, before)
            conn.rollback()
            raise error
        if before > 0 and _stored_revision(conn) is None:
            _stamp_legacy_store(conn, before)
        if target > before:
            _run_alembic_upgrade(conn, revision_chain()[target - 1])
        return before, current_version(conn)


def _stamp_legacy_store(conn: Connection, version: int) -> None:
    """Record the revision matching the old runner's version number, once."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    MigrationContext.configure(conn).stamp(ScriptDirectory(str(SCRIPTS)), revision_chain()[version - 1])
    conn.commit()


def alembic_config(conn: Connection | None = None) -> Config:
    """Alembic's configuration, made here rather than read from an alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    return config


def _run_alembic_upgrade(conn: Connection, revision: str) -> None:
    from alembic import command

    conn.commit()       # Alembic begins one transaction per revision itself
    command.upgrade(alembic_config(conn), revision)


def configure_and_run(context: Any) -> None:
    """Run the revisions on the connection `upgrade` handed over (env.py calls this)."""
    conn = context.config.attributes.get("connection")
    if conn is None:
        raise RuntimeError("papersift's migrations run on a connection: use `papersift migrate`")
    context.configure(connection=conn, target_metadata=schema.metadata, transaction_per_migration=True,
                      transactional_ddl=True, on_version_apply=_mirror_version)
    with context.begin_transaction():
        context.run_migrations()


def _mirror_version(*, ctx: Any, step: Any, heads: set[str], run_args: Any) -> None:
    """Keep `meta.schema_version` equal to the store's version, in the revision's transaction."""
    version = revision_chain().index(next(iter(heads))) + 1 if heads else 0
    table = schema.meta
    where = table.c.key == LEGACY_KEY
    if ctx.connection.execute(select(table.c.key).where(where)).first():
        ctx.connection.execute(table.update().where(where).values(value=str(version)))
    else:
        ctx.connection.execute(table.insert().values(key=LEGACY_KEY, value=str(version)))


@contextmanager
def _one_migration_at_a_time(conn: Connection, engine: Engine) -> Iterator[None]:
    """Two processes starting together migrate one after the other (the second finds nothing to do)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
        conn.commit()
        try:
            yield
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID})
            conn.commit()
        return
    database = engine.url.database
    if conn.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    from filelock import FileLock

    with FileLock(f"{database}.migrate.lock", timeout=600):
        yield


def _emit_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def _transactional_ddl(conn: Connection) -> Iterator[None]:
    """Make a revision's DDL transactional on SQLite too.

    Python's sqlite3 opens a transaction lazily, before the first INSERT/UPDATE, so a CREATE or
    ALTER before it would commit on its own and a failed revision would leave half its changes
    behind. Opening the transaction explicitly (SQLAlchemy's recipe for pysqlite) makes the
    whole revision roll back together; PostgreSQL's DDL is transactional already.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.rollback()
    dbapi = conn.connection.dbapi_connection
    isolation = dbapi.isolation_level
    dbapi.isolation_level = None
    event.listen(conn, "begin", _emit_begin)
    try:
        yield
    finally:
        conn.rollback()
        event.remove(conn, "begin", _emit_begin)
        dbapi.isolation_level = isolation
