"""Schema migrations (Alembic): fresh store, partial upgrade, failed revision, too-new store, re-runs,
two processes starting together, and `papersift migrate`."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, inspect, text

from store import migrations, schema
from tests.helpers.stores import (
    FUTURE_REVISION,
    column_names,
    has_recent_index,
    pretend_version,
    schema_differences,
)


@pytest.fixture
def bare_engine(tmp_path, database_url):
    """An empty database: a SQLite file, or the PostgreSQL pass's fresh schema."""
    eng = create_engine(database_url or f"sqlite:///{tmp_path / 'm.db'}")
    yield eng
    eng.dispose()


def _version(eng) -> int:
    with eng.connect() as conn:
        return migrations.current_version(conn)


def test_the_revisions_form_one_chain_ending_at_head():
    chain = migrations.revision_chain()
    assert chain[-1] == migrations.HEAD
    assert len(chain) == migrations.LATEST


def test_a_fresh_database_is_brought_to_the_latest_version(bare_engine):
    assert _version(bare_engine) == 0
    before, after = migrations.upgrade(bare_engine)
    assert (before, after) == (0, migrations.LATEST)
    assert _version(bare_engine) == migrations.LATEST
    assert set(schema.metadata.tables) <= set(inspect(bare_engine).get_table_names())
    with bare_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == migrations.HEAD
        assert schema_differences(conn) == []
        assert has_recent_index(conn)


def test_the_schema_comparison_notices_a_missing_column(bare_engine):
    migrations.upgrade(bare_engine)
    with bare_engine.begin() as conn:
        conn.execute(text("ALTER TABLE papers DROP COLUMN authors_folded"))
    with bare_engine.connect() as conn:
        differences = schema_differences(conn)
    assert [d[0] for d in differences] == ["add_column"] and differences[0][3].name == "authors_folded"


def test_upgrade_applies_only_the_missing_revisions(bare_engine):
    assert migrations.upgrade(bare_engine, to=2) == (0, 2)
    assert migrations.pending(bare_engine) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert migrations.upgrade(bare_engine) == (2, migrations.LATEST)
    assert migrations.pending(bare_engine) == []


def _store_before_step_5(eng) -> None:
    migrations.upgrade(eng, to=4)
    with eng.begin() as conn:          # a store made by the code before step 5
        conn.execute(text("ALTER TABLE papers DROP COLUMN authors_folded"))
        conn.execute(text("INSERT INTO papers (id, version, title, authors, abstract, categories, "
                          "primary_category, published, first_seen, modified) VALUES ('2402.00001', 1, 'T', "
                          "'[\"Jörg Müller\", \"Zoë Ng\"]', 'A', '[\"cs.LG\"]', 'cs.LG', "
                          "'2024-02-01 00:00:00', '2024-02-01 00:00:00', '2024-02-01 00:00:00')"))


def test_a_failed_revision_rolls_back_whole_and_resumes(bare_engine):
    """A paper whose authors are not JSON stops the backfill of step 5: its new column goes with
    it, the store stays at 4, and once the row is fixed the upgrade goes through."""
    _store_before_step_5(bare_engine)
    with bare_engine.begin() as conn:
        conn.execute(text("UPDATE papers SET authors = 'not json'"))
    with pytest.raises(ValueError):
        migrations.upgrade(bare_engine)
    assert _version(bare_engine) == 4
    with bare_engine.connect() as conn:
        assert "authors_folded" not in column_names(conn, "papers")   # rolled back with its revision
    with bare_engine.begin() as conn:
        conn.execute(text("UPDATE papers SET authors = '[\"Jörg Müller\"]'"))
    assert migrations.upgrade(bare_engine) == (4, migrations.LATEST)


def test_a_newer_schema_is_refused(bare_engine):
    newer = migrations.LATEST + 3
    migrations.upgrade(bare_engine)
    with bare_engine.begin() as conn:
        pretend_version(conn, newer)
    with pytest.raises(migrations.SchemaTooNew, match="newer than this papersift") as refused:
        migrations.upgrade(bare_engine)
    assert f"version {newer} (revision {FUTURE_REVISION})" in str(refused.value)
    assert _version(bare_engine) == newer
    with bare_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == FUTURE_REVISION


def test_rerunning_is_a_no_op(bare_engine):
    migrations.upgrade(bare_engine)
    with bare_engine.begin() as conn:
        conn.execute(schema.meta.insert().values(key="marker", value="kept"))
    assert migrations.upgrade(bare_engine) == (migrations.LATEST, migrations.LATEST)
    assert migrations.pending(bare_engine) == []
    with bare_engine.connect() as conn:
        rows = conn.execute(schema.meta.select().order_by(schema.meta.c.key)).all()
    assert [(r.key, r.value) for r in rows] == [("marker", "kept"),
                                               ("schema_version", str(migrations.LATEST))]


def test_two_processes_starting_together_migrate_once(tmp_path, database_url):
    """Each start opens its own engine; one migrates, the other waits and finds nothing to do."""
    url = database_url or f"sqlite:///{tmp_path / 'm.db'}"
    engines = [create_engine(url) for _ in range(2)]
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def start(eng):
        try:
            results.append(migrations.upgrade(eng))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(eng,)) for eng in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(results) == [(0, migrations.LATEST), (migrations.LATEST, migrations.LATEST)]
    assert _version(engines[0]) == migrations.LATEST
    for eng in engines:
        eng.dispose()


def test_migrate_command_reports_versions(make_app):
    """On a new database it says what it created (the app migrates as it starts, just
    before the command runs); run again, there is nothing to do."""
    outputs = []
    for _ in range(2):
        app = make_app()
        result = app.test_cli_runner().invoke(args=["migrate"])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        app.extensions["papersift.engine"].dispose()   # the next app opens the database anew
    assert f"Migrated the schema from version 0 to {migrations.LATEST}." in outputs[0]
    assert f"version {migrations.LATEST} (latest); nothing to do" in outputs[1]


def test_migrate_command_upgrades_an_older_store(runner, app):
    eng = app.extensions["papersift.engine"]
    with eng.begin() as conn:
        pretend_version(conn, 0)            # as if created before versioning
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert f"from version 0 to {migrations.LATEST}" in result.output
    assert _version(eng) == migrations.LATEST


def test_migrate_command_refuses_a_newer_store_with_a_clear_message(runner, app):
    eng = app.extensions["papersift.engine"]
    with eng.begin() as conn:
        pretend_version(conn, migrations.LATEST + 1)
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 1
    assert "newer than this papersift" in result.output
    assert "Traceback" not in result.output


def test_step_3_adds_logins_and_email_confirmation_to_a_version_2_store(bare_engine):
    migrations.upgrade(bare_engine, to=2)
    with bare_engine.begin() as conn:          # a store made by the code before step 3
        conn.execute(text("DROP TABLE user_sessions"))
        conn.execute(text("ALTER TABLE users DROP COLUMN email_confirmed"))
        conn.execute(text("INSERT INTO users (username, password_hash, email, is_admin, created) "
                          "VALUES ('ada', 'x', 'ada@example.org', false, '2024-01-01 00:00:00')"))
    assert migrations.upgrade(bare_engine, to=3) == (2, 3)
    assert "user_sessions" in inspect(bare_engine).get_table_names()
    with bare_engine.connect() as conn:
        row = conn.execute(text("SELECT email, email_confirmed FROM users")).one()
    assert tuple(row) == ("ada@example.org", None)          # an old address must be confirmed


def test_step_5_folds_the_author_names_of_the_papers_already_stored(bare_engine):
    from store.follows import papers_naming

    _store_before_step_5(bare_engine)
    assert migrations.upgrade(bare_engine, to=5) == (4, 5)
    with bare_engine.connect() as conn:
        assert conn.execute(text("SELECT authors_folded FROM papers")).scalar_one() == "jorg muller | zoe ng"
    migrations.upgrade(bare_engine)           # names are looked up through step 10's table
    with bare_engine.connect() as conn:
        assert [p.id for p in papers_naming(conn, ["Muller"])] == ["2402.00001"]


def _index_definitions(conn) -> dict[str, str]:
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                 "AND tbl_name = 'papers'"))
    else:
        rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'papers' "
                                 "AND schemaname = current_schema()"))   # not other tests' schemas
    return {name: sql or "" for name, sql in rows}


def test_step_6_adds_the_window_index_and_keeps_the_papers(bare_engine):
    """A store at 5 gets ix_papers_id_dates (on PostgreSQL with the dates included, for index-only
    window checks); its papers stay, and browsing a window lists them."""
    from datetime import datetime

    from store.papers import PaperFilter, list_papers

    _store_before_step_5(bare_engine)
    migrations.upgrade(bare_engine, to=5)
    with bare_engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_papers_id_dates"))   # the index step 5's store lacks
        assert "ix_papers_id_dates" not in _index_definitions(conn)
    assert migrations.upgrade(bare_engine) == (5, migrations.LATEST)
    with bare_engine.connect() as conn:
        definition = _index_definitions(conn)["ix_papers_id_dates"]
        if conn.dialect.name == "postgresql":
            assert "INCLUDE (published, updated)" in definition
        assert schema_differences(conn) == []
        total, page = list_papers(conn, PaperFilter(since=datetime(2024, 1, 1)))
    assert total == 1 and [p.id for p in page] == ["2402.00001"]


def test_step_7_copies_the_dates_beside_the_categories_and_browses_the_same(bare_engine):
    """A store at 6 gets paper_categories.published and .latest filled from its papers, and the
    index that makes a category within a window one range; browsing lists the same papers.
    Stepping down to 6 takes them away again."""
    from datetime import datetime

    from store.papers import PaperFilter, list_papers

    _store_before_step_5(bare_engine)
    migrations.upgrade(bare_engine, to=6)
    with bare_engine.begin() as conn:       # a revised paper and the categories of both
        conn.execute(text("DROP INDEX ix_paper_categories_new"))   # step 9's, on the new columns
        conn.execute(text("INSERT INTO papers (id, version, title, authors, abstract, categories, "
                          "primary_category, published, updated, first_seen, modified) VALUES "
                          "('2401.00007', 2, 'U', '[]', 'A', '[\"cs.LG\", \"cs.CV\"]', 'cs.LG', "
                          "'2024-01-03 00:00:00', '2024-03-01 00:00:00', '2024-01-03 00:00:00', "
                          "'2024-03-01 00:00:00')"))
        conn.execute(text("INSERT INTO paper_categories (paper_id, category, position) VALUES "
                          "('2402.00001', 'cs.LG', 0), ('2401.00007', 'cs.LG', 0), "
                          "('2401.00007', 'cs.CV', 1)"))
    assert migrations.upgrade(bare_engine) == (6, migrations.LATEST)
    with bare_engine.connect() as conn:
        rows = conn.execute(text("SELECT paper_id, category, published, latest FROM paper_categories "
                                 "ORDER BY paper_id, category")).all()
        assert schema_differences(conn) == []
        assert {"ix_paper_categories_recent", "ix_paper_categories_misdated"} <= {
            i["name"] for i in inspect(conn).get_indexes("paper_categories")}
        total, page = list_papers(conn, PaperFilter(category="cs.LG", since=datetime(2024, 1, 15)))
    as_dates = [(r[0], r[1], str(r[2])[:10], str(r[3])[:10]) for r in rows]
    assert as_dates == [("2401.00007", "cs.CV", "2024-01-03", "2024-03-01"),
                        ("2401.00007", "cs.LG", "2024-01-03", "2024-03-01"),
                        ("2402.00001", "cs.LG", "2024-02-01", "2024-02-01")]
    assert total == 2 and [p.id for p in page] == ["2401.00007", "2402.00001"]   # newest revision first
    from alembic import command

    with bare_engine.begin() as conn:
        command.downgrade(migrations.alembic_config(conn), "0006")
    with bare_engine.connect() as conn:
        assert not {"published", "latest"} & set(column_names(conn, "paper_categories"))
        assert list_papers(conn, PaperFilter(category="cs.LG"))[0] == 2


def _fulltext_indexes(conn) -> set[str]:
    return {i["name"] for i in inspect(conn).get_indexes("fulltext")}


def test_step_8_indexes_the_full_texts_by_time_and_steps_back(bare_engine):
    """A store at 7 (an index on status only) gets (status, updated) in its place and (updated);
    the fingerprint reads the same through them. Stepping down to 7 puts status back."""
    from alembic import command

    from store.fulltext import record_result
    from store.papers import fingerprint

    migrations.upgrade(bare_engine, to=7)
    with bare_engine.begin() as conn:      # a fresh store's revision 1 already made step 8's shape
        conn.execute(text("DROP INDEX ix_fulltext_status_updated"))
        conn.execute(text("DROP INDEX ix_fulltext_updated"))
        conn.execute(text("CREATE INDEX ix_fulltext_status ON fulltext (status)"))
        conn.execute(text("INSERT INTO papers (id, version, title, authors, abstract, categories, "
                          "primary_category, published, first_seen, modified) VALUES "
                          "('2402.00001', 1, 'T', '[]', 'A', '[\"cs.LG\"]', 'cs.LG', "
                          "'2024-02-01 00:00:00', '2024-02-01 00:00:00', '2024-02-01 00:00:00')"))
        record_result(conn, "2402.00001", 1, status="ok", text="words " * 10, pages=1)
        before = fingerprint(conn)
        assert _fulltext_indexes(conn) == {"ix_fulltext_status"}
    assert migrations.upgrade(bare_engine, to=8) == (7, 8)
    with bare_engine.connect() as conn:
        assert _fulltext_indexes(conn) == {"ix_fulltext_status_updated", "ix_fulltext_updated"}
        assert schema_differences(conn) == []
        assert fingerprint(conn) == before
    with bare_engine.begin() as conn:
        command.downgrade(migrations.alembic_config(conn), "0007")
    with bare_engine.connect() as conn:
        assert _fulltext_indexes(conn) == {"ix_fulltext_status"}


def test_step_9_indexes_a_categorys_new_papers_and_steps_back(bare_engine):
    from alembic import command

    migrations.upgrade(bare_engine, to=8)
    with bare_engine.begin() as conn:      # a fresh store's revision 1 already made step 9's shape
        conn.execute(text("DROP INDEX ix_paper_categories_new"))
        conn.execute(text("DROP INDEX ix_papers_id_version"))
    assert migrations.upgrade(bare_engine, to=9) == (8, 9)
    with bare_engine.connect() as conn:
        assert "ix_paper_categories_new" in {i["name"] for i in inspect(conn).get_indexes("paper_categories")}
        assert "ix_papers_id_version" in _index_definitions(conn)
        assert schema_differences(conn) == []
    with bare_engine.begin() as conn:
        command.downgrade(migrations.alembic_config(conn), "0008")
    with bare_engine.connect() as conn:
        assert "ix_paper_categories_new" not in {
            i["name"] for i in inspect(conn).get_indexes("paper_categories")}
        assert "ix_papers_id_version" not in _index_definitions(conn)


def test_step_10_fills_the_author_names_of_the_papers_already_stored(bare_engine):
    """A store at 9 gets paper_author_names for every stored paper (in batches), and author
    look-ups find them; stepping down to 9 takes the table away."""
    from alembic import command

    from store.follows import papers_naming

    migrations.upgrade(bare_engine, to=9)
    with bare_engine.begin() as conn:
        conn.execute(text("DROP TABLE paper_author_names"))        # step 9's store has none
        for i, (authors, folded) in enumerate([('["Jörg Müller", "Zoë Ng"]', "jorg muller | zoe ng"),
                                               ('["Ada Lovelace"]', "ada lovelace"), ("[]", "")]):
            conn.execute(text(
                "INSERT INTO papers (id, version, title, authors, authors_folded, abstract, "
                "categories, primary_category, published, first_seen, modified) VALUES "
                f"('2402.0000{i + 1}', 1, 'T', :a, :f, 'A', '[\"cs.LG\"]', 'cs.LG', "
                f"'2024-02-0{i + 1} 00:00:00', '2024-02-01 00:00:00', '2024-02-01 00:00:00')"),
                {"a": authors, "f": folded})
    assert migrations.upgrade(bare_engine) == (9, 10)
    with bare_engine.connect() as conn:
        rows = conn.execute(text("SELECT last_name, paper_id FROM paper_author_names "
                                 "ORDER BY last_name")).all()
        assert [tuple(r) for r in rows] == [("lovelace", "2402.00002"), ("muller", "2402.00001"),
                                            ("ng", "2402.00001")]
        assert [p.id for p in papers_naming(conn, ["Müller", "lovelace"])] == ["2402.00002", "2402.00001"]
        assert schema_differences(conn) == []
    with bare_engine.begin() as conn:
        command.downgrade(migrations.alembic_config(conn), "0009")
    assert "paper_author_names" not in inspect(bare_engine).get_table_names()
