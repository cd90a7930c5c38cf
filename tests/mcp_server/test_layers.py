"""Only mcp_server/adapter.py reaches into papersift's use-cases (services/, store/,
recommend/, ingest/), and it calls them in services/, not through the web layer; and
`papersift --help` must not load the SDK or the app for the mcp commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.imports import imported_modules
from tests.helpers.paths import ROOT

USE_CASE_PACKAGES = {"services", "web", "store", "recommend", "ingest", "app", "cli", "flask_login",
                     "sqlalchemy"}
MODULES = sorted((ROOT / "mcp_server").glob("*.py"))


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "adapter.py"], ids=lambda p: p.name)
def test_only_the_adapter_imports_the_use_cases(path: Path):
    bad = imported_modules(path) & USE_CASE_PACKAGES
    assert not bad, f"mcp_server/{path.name} imports {sorted(bad)}: go through mcp_server/adapter.py"


def test_the_adapter_is_where_the_use_cases_are_called():
    imported = imported_modules(ROOT / "mcp_server" / "adapter.py")
    assert {"services", "store"} <= imported
    assert "web" not in imported


def test_the_mcp_command_module_loads_neither_the_sdk_nor_the_app():
    code = ("import sys, cli.mcp; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'mcp', 'web', 'store', 'app'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
