"""The README documents every setting and every command (as datasette's test_docs does)."""

import re

import config
from tests.helpers.paths import ROOT

README = (ROOT / "README.md").read_text()
FLASK_BUILTINS = {"run", "routes", "shell"}


def test_every_setting_is_in_the_readme():
    missing = [s.env for s in config.SETTINGS if f"`{s.env}`" not in README]
    assert not missing, f"settings missing from README.md: {missing}"


def test_every_command_is_in_the_readme(app):
    names = set(app.cli.commands) - FLASK_BUILTINS
    missing = sorted(n for n in names if not re.search(rf"`papersift {re.escape(n)}\b", README))
    assert not missing, f"commands missing from README.md: {missing}"


def test_readme_quick_start_is_the_two_commands():
    assert "make run" in README and "make test" in README
