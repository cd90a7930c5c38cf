"""recommend/ stays pure computation: no web framework, no SQL, no store or ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.imports import imported_modules

RECOMMEND = Path(__file__).resolve().parents[2] / "recommend"
FORBIDDEN = {"flask", "flask_login", "flask_wtf", "flask_limiter", "werkzeug", "sqlalchemy",
             "store", "web", "ingest", "app", "config"}


MODULES = sorted(RECOMMEND.rglob("*.py"))


def test_recommend_has_modules():
    assert {"features.py", "index.py", "similar.py", "text.py"} <= {p.name for p in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_nothing_from_the_web_or_the_store(path):
    bad = imported_modules(path) & FORBIDDEN
    assert not bad, f"recommend/{path.name} imports {sorted(bad)}"
    assert ".." not in imported_modules(path), "relative imports must stay inside recommend/"


def test_the_check_catches_a_forbidden_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("import numpy\nfrom store.papers import IndexDoc\nimport flask.json\n")
    assert imported_modules(module) & FORBIDDEN == {"store", "flask"}
