"""Liveness and readiness endpoints for load balancers and container health checks.

`/healthz` answers while the process can serve a request (no I/O, so a slow database
never makes a load balancer kill healthy workers). `/readyz` answers 200 only when the
store answers, an index is loaded and, when `REDIS_URL` is set, Redis answers PING;
otherwise 503 with the failing checks, so traffic goes elsewhere until it recovers.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from store.db import get_db
from web import services
from web.cache import ping_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _store_check() -> str:
    try:
        get_db().execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _redis_check(url: str) -> str:
    failure = ping_redis(url)
    return "ok" if failure is None else f"error: {failure.split(':', 1)[0]}"


@bp.get("/readyz")
def readyz():
    checks: dict[str, str] = {"store": _store_check()}
    checks["index"] = "ok" if services.current_index() is not None else "missing"
    redis_url = current_app.config["SETTINGS"].redis_url
    if redis_url:
        checks["redis"] = _redis_check(redis_url)
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
