"""Structured logs: request lines with method, path, status and duration; JSON or text."""

from __future__ import annotations

import io
import json
import logging

import config
import logging_setup


def test_every_request_is_logged_with_its_fields(client, caplog):
    caplog.set_level(logging.INFO, logger=logging_setup.REQUEST_LOGGER)
    client.get("/healthz")
    client.get("/paper/2101.99999")
    records = [r for r in caplog.records if r.name == logging_setup.REQUEST_LOGGER]
    assert [(r.method, r.path, r.status) for r in records] == [
        ("GET", "/healthz", 200), ("GET", "/paper/2101.99999", 404)]
    assert all(isinstance(r.duration_ms, float) and r.duration_ms >= 0 for r in records)


def test_json_lines_carry_the_request_fields(data_dir):
    settings = config.load_settings({}, data_dir=str(data_dir), log_format="json")
    stream = io.StringIO()
    logger = logging_setup.configure_logging(settings, stream=stream)
    try:
        logging.getLogger(logging_setup.REQUEST_LOGGER).info(
            "GET / 200 1.5ms", extra={"method": "GET", "path": "/", "status": 200,
                                      "duration_ms": 1.5, "remote": "127.0.0.1"})
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("papersift.web").exception("failed \"quoted\"")
    finally:
        _remove_handlers(logger)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "papersift.request"
    assert {k: first[k] for k in ("method", "path", "status", "duration_ms", "remote")} == {
        "method": "GET", "path": "/", "status": 200, "duration_ms": 1.5, "remote": "127.0.0.1"}
    assert first["ts"].endswith("Z")
    assert second["message"] == 'failed "quoted"' and "ValueError: boom" in second["exception"]


def test_text_format_and_reconfiguring_keeps_one_handler(data_dir):
    settings = config.load_settings({}, data_dir=str(data_dir), log_level="WARNING")
    stream = io.StringIO()
    logging_setup.configure_logging(settings, stream=stream)
    logger = logging_setup.configure_logging(settings, stream=stream)
    try:
        ours = [h for h in logger.handlers if getattr(h, logging_setup._MARK, False)]
        assert len(ours) == 1
        logging.getLogger("papersift.x").info("hidden")
        logging.getLogger("papersift.x").warning("shown")
    finally:
        _remove_handlers(logger)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith("WARNING papersift.x: shown")


def _remove_handlers(logger: logging.Logger) -> None:
    for handler in [h for h in logger.handlers if getattr(h, logging_setup._MARK, False)]:
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
