"""`papersift doctor`: each problem is named with its fix, and the exit code says if any."""

from __future__ import annotations

import pytest

from ingest import indexing
from store import migrations
from tests.factories import add_papers, record
from tests.helpers.stores import pretend_version


@pytest.fixture
def healthy_app(app):
    engine = app.extensions["papersift.engine"]
    add_papers(engine, *[record() for _ in range(5)])
    indexing.build(engine, app.config["SETTINGS"])
    return app


def _line(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if line.split(":")[0].split()[-1:] == [name]
                or line[6:].startswith(name + ":"))


def test_a_healthy_install_passes(healthy_app):
    result = healthy_app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    for name in ("config", "data dir", "database", "schema", "index", "redis"):
        assert _line(result.output, name).startswith("ok")
    assert "All checks passed." in result.output


def test_missing_index_fails_with_the_command_to_run(runner):
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert _line(result.output, "index").startswith("FAIL")
    assert "fix: papersift index" in result.output


def test_stale_index_is_a_warning_only(healthy_app):
    add_papers(healthy_app.extensions["papersift.engine"], record())
    result = healthy_app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    assert _line(result.output, "index").startswith("warn")
    assert "older than the store" in result.output


def test_old_and_too_new_schema_are_reported(healthy_app):
    engine = healthy_app.extensions["papersift.engine"]
    runner = healthy_app.test_cli_runner()
    with engine.begin() as conn:
        pretend_version(conn, 0)
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "fix: papersift migrate" in result.output
    with engine.begin() as conn:
        pretend_version(conn, migrations.LATEST + 1)
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "newer than this papersift" in result.output


def test_bad_settings_are_named(make_app):
    app = make_app(log_format="xml", pdf_engine="ocr", arxiv_delay=0.5)
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    line = _line(result.output, "config")
    assert line.startswith("FAIL")
    for name in ("PAPERSIFT_LOG_FORMAT", "PAPERSIFT_PDF_ENGINE", "PAPERSIFT_ARXIV_DELAY"):
        assert name in line


def test_missing_data_dir_is_reported_with_the_fix(app, runner, tmp_path):
    import dataclasses

    gone = tmp_path / "elsewhere"
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], data_dir=str(gone))
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert _line(result.output, "data dir").startswith("FAIL")
    assert f"fix: mkdir -p {gone}" in result.output


def test_secret_key_readable_by_others_is_reported(app, runner):
    key = app.config["SETTINGS"].secret_key_file
    key.chmod(0o644)
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert f"fix: chmod 600 {key}" in result.output


def test_unreachable_database_and_redis_are_reported_without_a_traceback(make_app):
    from tests.procs import free_port

    port = free_port()
    app = make_app(database_url=f"postgresql+psycopg://u:secret@127.0.0.1:{port}/x",
                   redis_url=f"redis://127.0.0.1:{port}/0")
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    assert _line(result.output, "database").startswith("FAIL")
    assert _line(result.output, "redis").startswith("FAIL")
    assert "secret" not in result.output                     # passwords are never printed
    assert "start the database server" in result.output
    assert "Traceback" not in result.output
