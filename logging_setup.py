"""Structured logs: one line per event, as text or JSON (`PAPERSIFT_LOG_FORMAT`).

`init_app` is called once from `create_app`: it configures the `papersift` logger
(level from `PAPERSIFT_LOG_LEVEL`, one handler on stderr, which gunicorn and Docker
collect) and logs every request with method, path, status and duration. In JSON mode
each line is one object, so a log shipper can index fields without parsing text:

    {"ts": "2026-05-01T12:00:00.123Z", "level": "INFO", "logger": "papersift.request",
     "message": "GET /paper/2101.01234 200 12.3ms", "method": "GET",
     "path": "/paper/2101.01234", "status": 200, "duration_ms": 12.3, "remote": "10.0.0.5"}
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import IO, Any

from flask import Flask, g, request
from flask.wrappers import Response

from config import Settings

ROOT_LOGGER = "papersift"
REQUEST_LOGGER = "papersift.request"
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FIELDS = ("method", "path", "status", "duration_ms", "remote")
_MARK = "_papersift_handler"

request_log = logging.getLogger(REQUEST_LOGGER)


class JsonFormatter(logging.Formatter):
    """One JSON object per record; request fields and exceptions become keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self._fixed = stream

    @property
    def stream(self) -> IO[str]:  # type: ignore[override]
        return self._fixed or sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


def make_formatter(log_format: str) -> logging.Formatter:
    """JSON or text; an unknown format falls back to text (`papersift doctor` flags it)."""
    return JsonFormatter() if log_format.strip().lower() == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Logger:
    """Give the `papersift` logger one handler in the configured format (idempotent)."""
    logger = logging.getLogger(ROOT_LOGGER)
    level = logging.getLevelName(settings.log_level.upper())
    logger.setLevel(level if isinstance(level, int) else logging.INFO)
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
    handler = _StderrHandler(stream)
    handler.setFormatter(make_formatter(settings.log_format))
    setattr(handler, _MARK, True)
    logger.addHandler(handler)
    return logger


def _start_timer() -> None:
    g._started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.pop("_started", None)
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    fields = {"method": request.method, "path": request.path, "status": response.status_code,
              "duration_ms": duration, "remote": request.remote_addr}
    request_log.info("%s %s %s %sms", request.method, request.path, response.status_code, duration,
                     extra=fields)
    return response


def init_app(app: Flask) -> None:
    """Configure logging (outside tests, which use caplog) and log every request."""
    settings: Settings = app.config["SETTINGS"]
    if not app.testing:
        configure_logging(settings)
    app.before_request(_start_timer)
    app.after_request(_log_request)
