"""The mapped pages of loaded index parts: kept track of, and dropped from a process's RSS.

Index parts are .npy files opened with mmap (recommend/index.py, recommend/index_vectors.py).
Every page a process reads through such a mapping counts in its RSS until the mapping is
closed, although the page cache holds the page once for every process: a web worker that
served a few thousand pages of a 1M index showed 5 GB RSS of which 0.3 GB was its own.

`drop_mapped_pages` tells the kernel the process no longer needs the pages it has mapped
(`madvise(MADV_DONTNEED)`). For a read-only file mapping this only unmaps them: they stay in
the page cache, the next read maps them again (a minor fault, no disk read) and reads the
same bytes, and the mapping itself stays valid, so a part whose file was deleted (a pruned
version) still reads. Only mappings opened read-only by the loaders are tracked, since on a
private writable mapping the same call would discard the process's changes.

The registry holds weak references: a mapping no array uses any more is closed and leaves it.
Where `madvise` or MADV_DONTNEED is missing (not Linux), dropping does nothing.
"""

from __future__ import annotations

import mmap
import os
import threading
import weakref
from pathlib import Path

import numpy as np

_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)
_tracked: weakref.WeakKeyDictionary[mmap.mmap, Path] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def track(array: np.ndarray, directory: Path) -> np.ndarray:
    """Remember the read-only mapping under `array` (a part loaded from `directory`).

    Returns `array`, so a loader can wrap its `np.load`. Arrays not backed by a mapping
    (an empty part is read into memory) are returned untracked.
    """
    mapping = getattr(array, "_mmap", None)
    if isinstance(mapping, mmap.mmap) and getattr(array, "mode", None) == "r":
        with _lock:
            _tracked[mapping] = Path(directory)
    return array


def drop_mapped_pages(directory: Path | None = None) -> int:
    """Drop from this process the pages of every tracked mapping (or those of the parts
    loaded from `directory`); returns how many mappings were advised.

    The data read afterwards is unchanged: the pages come back from the page cache (or
    the disk) on the next read.
    """
    if _DONTNEED is None:
        return 0
    wanted = None if directory is None else Path(directory)
    with _lock:
        mappings = [m for m, where in list(_tracked.items()) if wanted is None or where == wanted]
    dropped = 0
    for mapping in mappings:
        try:
            mapping.madvise(_DONTNEED)
        except (ValueError, OSError, AttributeError):  # closed meanwhile, or no madvise here
            continue
        dropped += 1
    return dropped


def drop_pages_of(index: object) -> int:
    """`drop_mapped_pages` for the parts of a loaded index (anything with the `path` of its
    version directory; 0 for an object without one, such as an index built in memory)."""
    path = getattr(index, "path", None)
    return drop_mapped_pages(path) if path is not None else 0


def tracked_count(directory: Path | None = None) -> int:
    """How many live mappings are tracked (of `directory`, when given)."""
    with _lock:
        return sum(1 for where in list(_tracked.values())
                   if directory is None or where == Path(directory))


def resident_mb() -> float | None:
    """This process's resident set size in MB from /proc/self/statm (one short read), or
    None where there is no such file (not Linux)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            fields = statm.read().split()
    except OSError:
        return None
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
