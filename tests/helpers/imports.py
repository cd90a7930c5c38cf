"""What a module imports, for the tests that check which layers a package reaches."""

from __future__ import annotations

import ast
from pathlib import Path


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports (absolute or relative)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level and node.level > 1:
                names.add((node.module or "").split(".")[0] or "..")
            elif node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names
