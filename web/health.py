"""Liveness and readiness endpoints for load balancers and container health checks.

`/healthz` answers while the process can serve a request (no I/O, so a slow database
never makes a load balancer kill healthy workers). `/readyz` answers 200 only when the
store answers at the expected schema version, an index is loaded and, when `REDIS_URL`
is set, Redis answers PING; otherwise 503 with the failing checks, so traffic goes
elsewhere until it recovers.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from services.redis_client import ping_redis
from store import migrations
from web import services
from web.db import get_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _store_checks() -> dict[str, str]:
    """The store answers, and its schema is the version this code expects."""
    try:
        conn = get_db()
        conn.execute(text("SELECT 1"))
        version = migrations.current_version(conn)
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return {"store": f"error: {exc.__class__.__name__}"}
    if version != migrations.LATEST:
        return {"store": "ok", "schema": f"version {version}, expected {migrations.LATEST}"}
    return {"store": "ok"}


def _redis_check(url: str) -> str:
    failure = ping_redis(url)
    return "ok" if failure is None else f"error: {failure.split(':', 1)[0]}"


@bp.get("/readyz")
def readyz():
    checks: dict[str, str] = _store_checks()
    checks["index"] = "ok" if services.current_index() is not None else "missing"
    redis_url = current_app.config["SETTINGS"].redis_url
    if redis_url:
        checks["redis"] = _redis_check(redis_url)
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
