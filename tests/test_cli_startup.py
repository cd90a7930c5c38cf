"""The CLI answers without loading what a command does not use.

Each command runs in a fresh interpreter, as `papersift` does, and reports the modules it
imported, so an eager import of numpy, scipy or scikit-learn added anywhere on the way
fails here (timings are in bench/cli_startup.py, not in tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

NUMERIC = {"numpy", "scipy", "sklearn"}
# runs the `papersift` group as the console script does, then lists the imported modules
PROBE = """
import json, os, sys
from app import cli
try:
    cli.main(args=sys.argv[1:], prog_name="papersift")
except SystemExit as exc:
    code = exc.code or 0
with open(os.environ["PROBE_OUT"], "w") as fh:
    json.dump({"exit": code, "modules": sorted(sys.modules)}, fh)
"""


def run_cli(tmp_path: Path, data_dir: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "probe.json"
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(PAPERSIFT_DATA_DIR=str(data_dir), PROBE_OUT=str(out))
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    return proc, json.loads(out.read_text())


def packages(report: dict) -> set[str]:
    return {name.split(".")[0] for name in report["modules"]}


def test_help_lists_every_command_without_the_app_or_the_numeric_stack(tmp_path, data_dir, app):
    proc, report = run_cli(tmp_path, data_dir, "--help")
    assert report["exit"] == 0, proc.stderr
    listed = {line.split()[0] for line in proc.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert set(app.cli.commands) <= listed
    assert {"search", "status", "config", "limiter", "routes"} <= listed
    loaded = packages(report)
    assert not loaded & NUMERIC
    assert "sqlalchemy" not in loaded, "listing commands must not open the store"
    assert not loaded & {"flask_limiter", "rich"}, "plugins' commands are imported when they run"
    assert not {m for m in report["modules"] if m.startswith("web.")}


def test_a_plugin_command_is_imported_when_it_runs(tmp_path, data_dir):
    proc, report = run_cli(tmp_path, data_dir, "limiter", "--help")
    assert report["exit"] == 0, proc.stderr
    assert "Flask-Limiter maintenance" in proc.stdout and "limits" in proc.stdout
    assert "flask_limiter" in packages(report)


def test_config_prints_settings_without_opening_the_store(tmp_path, data_dir):
    proc, report = run_cli(tmp_path, data_dir, "config")
    assert report["exit"] == 0, proc.stderr
    assert f"PAPERSIFT_DATA_DIR = {data_dir}" in proc.stdout
    assert not packages(report) & (NUMERIC | {"sqlalchemy"})
    assert list(data_dir.iterdir()) == [], "config must not create the database or the secret key"


def test_status_reads_the_store_without_scikit_learn(tmp_path, data_dir):
    proc, report = run_cli(tmp_path, data_dir, "status")
    assert report["exit"] == 0, proc.stderr
    assert "papers: 0" in proc.stdout
    assert not packages(report) & {"scipy", "sklearn"}, "status reads the index's meta.json only"


def test_one_shot_search_ranks_without_scikit_learn(tmp_path, sample_app):
    data_dir = Path(sample_app.config["SETTINGS"].data_dir)
    proc, report = run_cli(tmp_path, data_dir, "search", "neural", "networks", "-n", "3")
    assert report["exit"] == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "papers match 'neural networks'" in lines[0]
    assert len(lines) == 4 and all("neural" in line.lower() for line in lines[1:])
    assert "sklearn" not in packages(report)
    assert "flask_limiter" not in packages(report), "a command needs no web extension"
    assert "alembic" not in packages(report), "an up-to-date store needs no migration tooling"


def test_every_command_of_the_app_is_on_the_papersift_group(app):
    from app import cli

    # `papersift --help` lists the group's commands without building the app
    assert set(app.cli.commands) <= set(cli.commands)


SERVER_PROBE = """
import json, sys
import app
import store.users
getattr(app, sys.argv[1])()
print(json.dumps({"modules": sorted(sys.modules), "hashes": store.users.dummy_hash.cache_info().currsize}))
"""


@pytest.mark.parametrize(("factory", "preloaded"), [("create_app", False), ("create_server_app", True)])
def test_only_a_server_app_imports_what_requests_load_lazily(data_dir, factory, preloaded):
    """A server imports up front what requests load on first use, so they never wait."""
    env = {**os.environ, "PAPERSIFT_DATA_DIR": str(data_dir), "PAPERSIFT_SCHEDULER": "0"}
    proc = subprocess.run([sys.executable, "-c", SERVER_PROBE, factory], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    deferred = {"sklearn.svm", "feedgen.feed", "bibtexparser", "scipy.special"}
    assert (deferred <= set(report["modules"])) is preloaded
    assert (report["hashes"] == 1) is preloaded


@pytest.mark.parametrize(("path", "built"), [
    (["run-all"], "server"), (["run"], "server"),
    (["status"], "app without web"), (["users", "list"], "app without web"),
    (["routes"], "app with web"), (["shell"], "app with web"), (["limiter", "limits"], "app with web"),
])
def test_each_command_builds_the_app_it_needs(monkeypatch, path, built):
    """Serving commands preload, papersift's own commands skip the web layer (no route is
    theirs to use), Flask's and plugins' commands see the whole site."""
    import click

    import app as app_module

    monkeypatch.setattr(app_module, "create_server_app", lambda: "server")
    monkeypatch.setattr(app_module, "create_app", lambda web=True: f"app {'with' if web else 'without'} web")
    ctx = click.Context(app_module.cli, info_name="papersift")
    for name in path:
        ctx = click.Context(click.Command(name), parent=ctx, info_name=name)
    with ctx:
        assert app_module._create_cli_app() == built


def test_own_commands_run_without_the_web_layer(tmp_path, data_dir):
    proc, report = run_cli(tmp_path, data_dir, "users", "list")
    assert report["exit"] == 0, proc.stderr
    assert "No accounts yet" in proc.stdout
    assert not {m for m in report["modules"] if m.startswith("web.")}
