"""Stores at older (or newer) schema versions, and the schema a fresh store gets."""

from __future__ import annotations

import warnings
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, create_engine, inspect, select, text

from store import migrations, schema
from tests.helpers.paths import TEST_DATA

LEGACY_STORES = TEST_DATA / "legacy"
FUTURE_REVISION = "9999_future"

# what the old runner's steps 3 to 5 added (as in scripts/make_legacy_stores.py), and the
# revisions after them
ADDED_AFTER_STEP = {
    3: ["DROP TABLE user_sessions", "ALTER TABLE users DROP COLUMN email_confirmed"],
    4: ["DROP TABLE seen", "DROP TABLE follows"],
    5: ["ALTER TABLE papers DROP COLUMN authors_folded"],
    6: ["DROP INDEX ix_papers_id_dates"],                  # revision 0006, after the runner
    7: ["DROP INDEX ix_paper_categories_misdated", "DROP INDEX ix_paper_categories_recent",
        "ALTER TABLE paper_categories DROP COLUMN latest",
        "ALTER TABLE paper_categories DROP COLUMN published"],    # revision 0007
    8: ["DROP INDEX ix_fulltext_status_updated", "DROP INDEX ix_fulltext_updated",
        "CREATE INDEX ix_fulltext_status ON fulltext (status)"],  # revision 0008
    9: ["DROP INDEX ix_paper_categories_new", "DROP INDEX ix_papers_id_version"],   # 0009
    10: ["DROP TABLE paper_author_names"],                      # revision 0010
}


def pretend_version(conn: Connection, version: int) -> None:
    """Record `version` as the store's schema version (above LATEST: a revision this code does not
    know, as a newer papersift leaves it), without changing the tables."""
    revision = None if version == 0 else (
        migrations.revision_chain()[version - 1] if version <= migrations.LATEST else FUTURE_REVISION)
    conn.execute(text("DELETE FROM alembic_version"))
    conn.execute(schema.meta.delete().where(schema.meta.c.key == "schema_version"))
    if revision is not None:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision})
        conn.execute(schema.meta.insert().values(key="schema_version", value=str(version)))


def make_legacy_store(engine: Engine, step: int, rows_from: Path | None = None) -> None:
    """A store as the runner before Alembic left it at `step`: its tables, `meta.schema_version`
    and no `alembic_version`; with the rows of the SQLite store `rows_from` copied in."""
    migrations.upgrade(engine, to=1)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        for later in range(migrations.LATEST, step, -1):      # the newest undone first
            for statement in ADDED_AFTER_STEP[later]:
                conn.execute(text(statement))
        conn.execute(schema.meta.update().values(value=str(step)))
        if rows_from is not None:
            _copy_rows(rows_from, conn)


def _copy_rows(sqlite_file: Path, conn: Connection) -> None:
    source = create_engine(f"sqlite:///{sqlite_file}")
    there, here = MetaData(), MetaData()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # reflection skips the expression index ix_papers_recent
        there.reflect(source)
        here.reflect(conn)
    with source.connect() as old:
        for table in schema.metadata.sorted_tables:
            if table.name == "meta" or table.name not in there.tables:
                continue
            rows = [dict(r._mapping) for r in old.execute(select(there.tables[table.name]))]
            if rows:
                conn.execute(here.tables[table.name].insert(), rows)
    source.dispose()
    if conn.dialect.name == "postgresql":      # ids copied in: move the id sequences past them
        for table in ("users", "tags", "follows", "saved_searches", "runs"):
            if table in here.tables:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"))


def schema_differences(conn: Connection) -> list:
    """How the store's tables differ from store/schema.py's (Alembic's autogenerate comparison)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with warnings.catch_warnings():
        # reflection skips the expression index ix_papers_recent; has_recent_index checks it
        warnings.simplefilter("ignore")
        return compare_metadata(MigrationContext.configure(conn), schema.metadata)


def has_recent_index(conn: Connection) -> bool:
    if conn.dialect.name == "sqlite":
        names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars()
    else:
        names = conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'papers'")).scalars()
    return "ix_papers_recent" in set(names)


def column_names(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}
