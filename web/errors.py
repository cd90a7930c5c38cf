"""Error pages: HTML for people, JSON under /api; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, NotFound

from services.library import NoSuchTag
from services.params import InvalidArgument

log = logging.getLogger("papersift.web")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def handle_http_error(exc: HTTPException):
    if _wants_json():
        return jsonify(error=exc.name, message=exc.description, status=exc.code), exc.code
    return render_template("errors/error.html", error=exc), exc.code


def handle_invalid_argument(exc: InvalidArgument):
    """A parameter a service refused: a 400 with its message."""
    return handle_http_error(BadRequest(str(exc)))


def handle_no_such_tag(exc: NoSuchTag):
    """A tag id that is not the user's: a 404 (the same whether it exists for someone else)."""
    return handle_http_error(NotFound(str(exc)))


def handle_unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InvalidArgument, handle_invalid_argument)
    app.register_error_handler(NoSuchTag, handle_no_such_tag)
    app.register_error_handler(Exception, handle_unexpected)
