"""gunicorn settings for papersift (`papersift serve` and the container use this file).

Command-line flags override these (`papersift serve --workers 3` passes `-w 3`).
Settings come from papersift's own table (config.py), never from extra variables.

- workers: 2 x cores + 1 (gunicorn's rule of thumb), sync workers: pages are CPU-bound,
  and a sync worker takes a connection only when it is free, so the kernel spreads load
  evenly (gthread workers queue keep-alive connections behind busy threads: measured
  here, a longer p99 tail at 64 connections). Put a buffering proxy (nginx) in front.
  The index is memory-mapped, so workers share one copy of it in the page cache.
- preload_app: the app (and its schema migration) is built once in the master before
  forking, so workers start fast and never race to migrate; each worker drops the
  database connections it inherited (post_fork) and opens its own. `create_server_app`
  also imports what requests load lazily (scikit-learn...), so workers share it too.
- timeouts: a request may take 60 s before its worker is replaced (a cold
  recommendation ranking takes ~1 s; index reloads a few); 30 s for a graceful stop.
- logs: access and error logs on stdout/stderr, where systemd and Docker collect them;
  JSON access lines when PAPERSIFT_LOG_FORMAT=json (no user agent or query string there:
  gunicorn does not escape quotes in them).
- limit_request_line: gunicorn's maximum (8190 bytes; its default is 4094), so a pasted
  abstract searched by GET fits (arXiv abstracts are at most 1,920 characters; URL-encoded
  they stay under ~6,000 bytes). Longer texts go to /api/search by POST, which has no such
  limit; the query itself is capped at recommend.search_query.MAX_QUERY_CHARS.
- max_requests with jitter recycles workers now and then, bounding slow leaks.
"""

from __future__ import annotations

import os

# not `import config`: gunicorn would read a module-level `config` as its own setting
from config import load_settings as _load_settings

_settings = _load_settings()

wsgi_app = "app:create_server_app()"
bind = ["127.0.0.1:8000"]
workers = 2 * (os.cpu_count() or 1) + 1
worker_class = "sync"
preload_app = True
timeout = 60
graceful_timeout = 30
keepalive = 5
limit_request_line = 8190           # gunicorn's maximum: room for a pasted abstract in a GET
max_requests = 2000
max_requests_jitter = 200
control_socket_disable = True       # one shared ~/.gunicorn socket would clash between servers
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

accesslog = "-"
errorlog = "-"
loglevel = _settings.log_level.lower()
if _settings.log_format.strip().lower() == "json":
    access_log_format = (
        '{"ts": "%(t)s", "logger": "gunicorn.access", "remote": "%(h)s", "method": "%(m)s", '
        '"path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s}'
    )
else:
    access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'


def post_fork(server, worker) -> None:
    """Each worker opens its own database connections instead of sharing the master's."""
    app = server.app.wsgi()
    engine = getattr(app, "extensions", {}).get("papersift.engine")
    if engine is not None:
        engine.dispose(close=False)
