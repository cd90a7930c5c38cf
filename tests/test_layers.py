"""The layers only point down: import-linter's contracts in pyproject.toml pass on the
code, and fail when a module imports upward or recommend/ reaches for the store."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.imports import imported_modules
from tests.helpers.paths import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ["cli", "domain", "ingest", "mcp_server", "recommend", "services", "store", "web"]


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=project, capture_output=True, text=True,
                          env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"}, timeout=120)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The packages and pyproject.toml copied to tmp_path, to add bad imports to."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_pass():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_an_upward_import_breaks_the_layers(project_copy: Path):
    (project_copy / "store" / "upward.py").write_text("from services import recommendations\n")
    proc = lint_imports(project_copy)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "store is not allowed to import services" in proc.stdout
    assert "store.upward -> services.recommendations" in proc.stdout


def test_flask_in_the_store_and_sql_in_recommend_break_their_contracts(project_copy: Path):
    (project_copy / "store" / "request_bound.py").write_text("from flask import g\n")
    (project_copy / "recommend" / "impure.py").write_text("import sqlalchemy\n")
    proc = lint_imports(project_copy)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "store.request_bound -> flask" in proc.stdout
    assert "recommend.impure -> sqlalchemy" in proc.stdout


def test_config_imports_no_papersift_package_and_no_package_imports_app():
    assert not imported_modules(ROOT / "config.py") & {*PACKAGES, "app"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            assert "app" not in imported_modules(path), f"{path.relative_to(ROOT)} imports app.py"


def test_flask_in_services_and_the_web_layer_from_the_cli_break_their_contracts(project_copy: Path):
    (project_copy / "services" / "request_bound.py").write_text("from flask import current_app\n")
    (project_copy / "cli" / "sideways.py").write_text("from web import services\n")
    proc = lint_imports(project_copy)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "services.request_bound -> flask" in proc.stdout
    assert "cli.sideways -> web.services" in proc.stdout


def test_the_services_load_without_flask_and_the_log_format_without_any_package():
    code = ("import sys, services.search, services.papers, services.library, services.trends, "
            "services.recommendations, services.digest, services.jobs, services.cache; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'flask_login', 'web'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert not imported_modules(ROOT / "logging_setup.py") & {*PACKAGES, "app"}
