"""Keeps a web worker's RSS under PAPERSIFT_WORKER_RSS_MB (services/worker_memory.py).

The check runs when a response is closed, after its body went out, so no visitor waits
for it: one read of /proc/self/statm, and past the limit one `madvise` per mapped part.
"""

from __future__ import annotations

from flask import Flask, Response

from services.worker_memory import drop_mapped_pages_past


def init_app(app: Flask) -> None:
    limit_mb = app.config["SETTINGS"].worker_rss_mb
    if limit_mb <= 0:
        return

    @app.after_request
    def _drop_mapped_pages_when_closed(response: Response) -> Response:
        response.call_on_close(lambda: drop_mapped_pages_past(limit_mb))
        return response
