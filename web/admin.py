"""The status page: recent pipeline runs (fetch, harvest, full text, index, import).

Read-only, for administrators (`papersift users create NAME --admin`): run messages name
hosts, paths and failures that are the operator's business.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from werkzeug.exceptions import BadRequest

from services.params import int_arg
from store import runs
from web.db import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")

KINDS = ("fetch", "harvest", "fulltext", "index", "import")


@bp.get("/status")
@login_required
def status():
    if not current_user.is_admin:
        abort(403, description="The status page is for administrators.")
    kind = request.args.get("kind", "").strip() or None
    if kind is not None and kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
    limit = int_arg(request.args, "limit", 50, lo=1, hi=500)
    return render_template("admin/status.html", runs=runs.latest_runs(get_db(), kind, limit=limit),
                           kind=kind, kinds=KINDS)
