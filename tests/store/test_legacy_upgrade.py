"""Stores made by papersift before Alembic (tests/data/legacy/, see its README) upgrade and keep
their papers, users and libraries; on PostgreSQL the same rows are loaded into a store built
at the old step."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine, text

from store import migrations
from store.follows import papers_naming
from store.library import library_ids, user_tags
from store.users import authenticate, create_user, email_confirmed, find_user
from tests.helpers.stores import (
    LEGACY_STORES,
    column_names,
    has_recent_index,
    make_legacy_store,
    schema_differences,
)


@pytest.fixture(params=[2, 5], ids=["step2", "step5"])
def legacy_store(request, tmp_path, database_url):
    """A store at the old runner's step 2 (older installs) or 5 (the last before Alembic)."""
    step = request.param
    source = LEGACY_STORES / f"step{step}.sqlite"
    if database_url:
        eng = create_engine(database_url)
        make_legacy_store(eng, step, rows_from=source)
    else:
        copy = tmp_path / "papersift.db"
        shutil.copy(source, copy)
        eng = create_engine(f"sqlite:///{copy}")
    yield eng, step
    eng.dispose()


def test_a_legacy_store_upgrades_to_the_fresh_schema(legacy_store):
    legacy_engine, step = legacy_store
    with legacy_engine.connect() as conn:
        assert migrations.current_version(conn) == step
    assert migrations.upgrade(legacy_engine) == (step, migrations.LATEST)
    assert migrations.upgrade(legacy_engine) == (migrations.LATEST, migrations.LATEST)
    with legacy_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == migrations.HEAD
        assert schema_differences(conn) == []
        assert has_recent_index(conn)
        assert "email_confirmed" in column_names(conn, "users")
        assert "authors_folded" in column_names(conn, "papers")


def test_a_legacy_store_keeps_its_papers_users_and_libraries(legacy_store):
    legacy_engine, _ = legacy_store
    migrations.upgrade(legacy_engine)
    with legacy_engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM papers")).scalar() == 4
        ada, grace = find_user(conn, "ada"), find_user(conn, "grace")
        assert ada.is_admin
        # the address stays, to be confirmed before a digest goes to it
        assert conn.execute(text("SELECT email FROM users WHERE id = :id"), {"id": ada.id}).scalar() \
            == "ada@example.org"
        assert not email_confirmed(conn, ada.id)
        assert authenticate(conn, "grace", "a cobol compiler in 1959").id == grace.id
        assert library_ids(conn, ada.id) == {"2503.11780", "2503.11935", "2503.11937"}
        assert library_ids(conn, grace.id) == {"2503.14996"}
        assert [t.name for t in user_tags(conn, ada.id)] == ["detection"]
        # folded names were filled in for the stored papers: an accent-free look-up finds them
        assert [p.id for p in papers_naming(conn, ["Gioffre"])] == ["2503.14996"]
        # the store takes new rows after the upgrade
        assert create_user(conn, "hopper", "nanoseconds of wire length").id > grace.id


def test_papersift_migrate_reports_the_upgrade_of_a_legacy_store(legacy_store, make_app):
    legacy_engine, step = legacy_store
    app = make_app(database_url=legacy_engine.url.render_as_string(hide_password=False))
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    if step < migrations.LATEST:
        assert f"Migrated the schema from version {step} to {migrations.LATEST}." in result.output
    else:
        assert f"version {migrations.LATEST} (latest); nothing to do" in result.output
