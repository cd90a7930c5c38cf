"""The loaded current index of one data dir, swapped for a new version when one appears.

Every entry point that answers from the index (pages, the JSON API, the MCP tools) asks
one IndexHolder per app for it; `holder_of` keeps that holder in the app's `extensions`
mapping, so this module needs no Flask.
"""

from __future__ import annotations

import threading
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from config import Settings
from domain import index_files
from recommend.index import Index, load_index

RECHECK_SECONDS = 2.0
EXTENSION_KEY = "papersift.index"


class IndexHolder:
    """Holds the loaded index of one data dir and swaps in a new version when one appears.

    Checking the `current` pointer is a cheap read done at most every RECHECK_SECONDS, so
    every worker picks up a rebuilt index within seconds without a restart.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index: Index | None = None
        self._version: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> Index | None:
        now = time.monotonic()
        if now - self._checked >= RECHECK_SECONDS:
            with self._lock:
                self._checked = now
                version = index_files.current_version(self.root)
                if version != self._version:
                    self._index = load_index(self.root) if version else None
                    self._version = version
        return self._index

    @property
    def version(self) -> str | None:
        """The version of the index get() returns (None before the first build)."""
        self.get()
        return self._version

    def reload(self) -> None:
        """Forget the check time so the next get() re-reads the pointer (after a build)."""
        self._checked = 0.0


def holder_of(extensions: MutableMapping[str, Any], settings: Settings) -> IndexHolder:
    """The app's holder (an app's `extensions` mapping), made on first use."""
    holder = extensions.get(EXTENSION_KEY)
    if holder is None:
        holder = extensions[EXTENSION_KEY] = IndexHolder(settings.index_dir)
    return holder
