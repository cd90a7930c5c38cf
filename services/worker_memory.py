"""A web worker's resident memory kept near its own: the mapped index pages it has read are
dropped once its RSS passes a limit (PAPERSIFT_WORKER_RSS_MB).

A worker's RSS counts every page of the mapped index it has touched, which the page cache
holds once for all workers; at 1M papers that was 5 GB of one worker's RSS against 0.3 GB
of its own memory. Past the limit, `drop_mapped_pages_past` drops the pages of every loaded
part (recommend/mapped_pages.py): they stay in the page cache, so the next reads are minor
faults, not disk reads. The web layer calls it after each response has been sent.
"""

from __future__ import annotations

import logging

from recommend.mapped_pages import drop_mapped_pages, resident_mb

log = logging.getLogger("papersift.memory")


def drop_mapped_pages_past(limit_mb: int) -> bool:
    """Drop this process's mapped index pages when its RSS is over `limit_mb` (0: never).

    Returns whether it dropped them. Where RSS cannot be read (not Linux) it does nothing.
    """
    if limit_mb <= 0:
        return False
    before = resident_mb()
    if before is None or before <= limit_mb:
        return False
    n_mappings = drop_mapped_pages()
    log.debug("RSS %.0f MB over %d MB: dropped the pages of %d mapped parts, RSS now %.0f MB",
              before, limit_mb, n_mappings, resident_mb() or 0.0)
    return True
