"""Liveness and readiness endpoints for load balancers and container health checks."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from store.db import get_db
from web import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks: dict[str, str] = {}
    try:
        get_db().execute(text("SELECT 1"))
        checks["store"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["store"] = f"error: {exc.__class__.__name__}"
    checks["index"] = "ok" if services.current_index() is not None else "missing"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
