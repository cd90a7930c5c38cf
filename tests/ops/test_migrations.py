"""The versioned migration mechanism: fresh store, partial upgrade, too-new store, re-runs."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

from store import migrations, schema


@pytest.fixture
def bare_engine(tmp_path):
    eng = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    yield eng
    eng.dispose()


def _version(eng) -> int:
    with eng.connect() as conn:
        return migrations.current_version(conn)


def test_a_fresh_database_is_brought_to_the_latest_version(bare_engine):
    assert _version(bare_engine) == 0
    before, after = migrations.upgrade(bare_engine)
    assert (before, after) == (0, migrations.LATEST)
    assert _version(bare_engine) == migrations.LATEST
    tables = set(inspect(bare_engine).get_table_names())
    assert set(schema.metadata.tables) <= tables


def test_upgrade_applies_only_the_missing_steps(bare_engine):
    calls: list[int] = []

    def step(n):
        def apply(conn):
            calls.append(n)
            conn.execute(text(f"CREATE TABLE step{n} (x INTEGER)"))
        return apply

    steps = [migrations._initial, step(2)]
    assert migrations.upgrade(bare_engine, steps) == (0, 2)
    assert calls == [2]

    steps += [step(3), step(4)]
    assert migrations.pending(bare_engine, steps) == [3, 4]
    assert migrations.upgrade(bare_engine, steps) == (2, 4)
    assert calls == [2, 3, 4]
    assert {"step2", "step3", "step4"} <= set(inspect(bare_engine).get_table_names())
    assert _version(bare_engine) == 4


def test_a_failed_step_keeps_the_steps_before_it_and_resumes(bare_engine):
    def broken(conn):
        conn.execute(text("CREATE TABLE half (x INTEGER)"))
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        migrations.upgrade(bare_engine, [migrations._initial, broken])
    assert _version(bare_engine) == 1
    assert "half" not in inspect(bare_engine).get_table_names()   # rolled back with its step

    fixed = [migrations._initial, lambda conn: conn.execute(text("CREATE TABLE half (x INTEGER)"))]
    assert migrations.upgrade(bare_engine, fixed) == (1, 2)


def test_a_newer_schema_is_refused(bare_engine):
    migrations.upgrade(bare_engine)
    with bare_engine.begin() as conn:
        migrations._set_version(conn, migrations.LATEST + 3)
    with pytest.raises(migrations.SchemaTooNew, match="newer than this papersift"):
        migrations.upgrade(bare_engine)
    assert _version(bare_engine) == migrations.LATEST + 3


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
        conn.execute(schema.meta.delete())            # as if created before versioning
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert f"from version 0 to {migrations.LATEST}" in result.output
    assert _version(eng) == migrations.LATEST


def test_migrate_command_refuses_a_newer_store_with_a_clear_message(runner, app):
    eng = app.extensions["papersift.engine"]
    with eng.begin() as conn:
        migrations._set_version(conn, migrations.LATEST + 1)
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 1
    assert "newer than this papersift" in result.output
    assert "Traceback" not in result.output


def test_step_3_adds_logins_and_email_confirmation_to_a_version_2_store(bare_engine):
    migrations.upgrade(bare_engine, migrations.STEPS[:2])
    with bare_engine.begin() as conn:          # a store made by the code before step 3
        conn.execute(text("DROP TABLE user_sessions"))
        conn.execute(text("ALTER TABLE users DROP COLUMN email_confirmed"))
        conn.execute(text("INSERT INTO users (username, password_hash, email, is_admin, created) "
                          "VALUES ('ada', 'x', 'ada@example.org', 0, '2024-01-01 00:00:00')"))
    assert migrations.upgrade(bare_engine, migrations.STEPS[:3]) == (2, 3)
    assert "user_sessions" in inspect(bare_engine).get_table_names()
    with bare_engine.connect() as conn:
        row = conn.execute(text("SELECT email, email_confirmed FROM users")).one()
    assert tuple(row) == ("ada@example.org", None)          # an old address must be confirmed


def test_step_5_folds_the_author_names_of_the_papers_already_stored(bare_engine):
    from store.follows import papers_naming

    migrations.upgrade(bare_engine, migrations.STEPS[:4])
    with bare_engine.begin() as conn:          # a store made by the code before step 5
        conn.execute(text("ALTER TABLE papers DROP COLUMN authors_folded"))
        conn.execute(text("INSERT INTO papers (id, version, title, authors, abstract, categories, "
                          "primary_category, published, first_seen, modified) VALUES ('2402.00001', 1, 'T', "
                          "'[\"Jörg Müller\", \"Zoë Ng\"]', 'A', '[\"cs.LG\"]', 'cs.LG', "
                          "'2024-02-01 00:00:00', '2024-02-01 00:00:00', '2024-02-01 00:00:00')"))
    assert migrations.upgrade(bare_engine, migrations.STEPS[:5]) == (4, 5)
    with bare_engine.connect() as conn:
        assert conn.execute(text("SELECT authors_folded FROM papers")).scalar_one() == "jorg muller | zoe ng"
        assert [p.id for p in papers_naming(conn, ["Muller"])] == ["2402.00001"]
