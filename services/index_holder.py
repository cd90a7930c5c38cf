"""The loaded current index of one data dir, swapped for a new version when one appears.

Every entry point that answers from the index (pages, the JSON API, the MCP tools) asks
one IndexHolder per app for it; `holder_of` keeps that holder in the app's `extensions`
mapping, so this module needs no Flask.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from config import Settings
from domain import index_files
from recommend.index import Index, load_index

log = logging.getLogger("papersift.index")
RECHECK_SECONDS = 2.0
EXTENSION_KEY = "papersift.index"


class IndexHolder:
    """Holds the loaded index of one data dir and swaps in a new version when one appears.

    Checking the `current` pointer is a cheap read done at most every RECHECK_SECONDS, so
    every worker picks up a rebuilt index within seconds without a restart.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        # (version, index) swapped as one tuple: a reader never pairs one version's name
        # with another version's index
        self._current: tuple[str | None, Index | None] = (None, None)
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> Index | None:
        return self.current()[1]

    def current(self) -> tuple[str | None, Index | None]:
        """(version, index) of the same version, read together."""
        now = time.monotonic()
        if now - self._checked >= RECHECK_SECONDS:
            with self._lock:
                self._checked = now
                version = index_files.current_version(self.root)
                if version != self._current[0]:
                    self._swap(version)
        return self._current

    def _swap(self, version: str | None) -> None:
        try:
            index = load_index(self.root) if version else None
        except Exception:       # e.g. the version directory removed while it was read
            log.exception("cannot load index version %s; serving version %s until it loads",
                          version, self._current[0])
            return
        # the loaded index names its own version (the pointer may have moved meanwhile)
        self._current = (index.version if index is not None else None, index)

    @property
    def version(self) -> str | None:
        """The version of the index get() returns (None before the first build)."""
        return self.current()[0]

    def reload(self) -> None:
        """Forget the check time so the next get() re-reads the pointer (after a build)."""
        self._checked = 0.0


def holder_of(extensions: MutableMapping[str, Any], settings: Settings) -> IndexHolder:
    """The app's holder (an app's `extensions` mapping), made on first use."""
    holder = extensions.get(EXTENSION_KEY)
    if holder is None:
        holder = extensions[EXTENSION_KEY] = IndexHolder(settings.index_dir)
    return holder
