"""The library page and its actions: save/remove, tags, not interested, export, import
(the actions themselves are services.library).

Every action is a POST with a CSRF token (a form field, or the X-CSRFToken header from
library.js) and answers JSON to scripts or redirects back for plain forms. Everything
is scoped to the logged-in user: tag ids of other users are 404s.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask_login import current_user, login_required

from services import library
from services.library_io import to_bibtex, to_json
from services.params import int_arg
from store import library as lib
from web import db, services
from web.auth import safe_next
from web.forms import ImportForm, LibraryFileForm

bp = Blueprint("library", __name__, url_prefix="/library")
api_bp = Blueprint("library_api", __name__, url_prefix="/api")
PAGE_SIZE = 25


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _payload(name: str) -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    value = (data or {}).get(name, "")
    return value if isinstance(value, str) else ""


def _state(paper_id: str) -> dict:
    return library.paper_state(db.get_db(), current_user.id, paper_id)


def _done(paper_id: str | None, message: str, status: int = 200):
    """JSON state for scripts; a flash and a redirect back for forms."""
    if _wants_json():
        body = _state(paper_id) if paper_id else {}
        return jsonify(message=message, **body), status
    flash(message, "success" if status < 400 else "error")
    return redirect(safe_next(_payload("next"), "library.index"))


def _paper_or_404(paper_id: str):
    return services.get_paper_or_404(db.get_db(), paper_id)


@bp.get("")
@login_required
def index():
    tag_id = int_arg(request.args, "tag", 0, 0, 2**31) or None
    page = int_arg(request.args, "page", 1, 1, 10**6)
    shown = library.library_page(db.get_db(), current_user.id, tag_id, request.args.get("sort", "added"),
                                 page, PAGE_SIZE)
    return render_template("library/index.html", entries=shown.entries, total=shown.total, tag=shown.tag,
                           sort=shown.sort, page=shown.page, pages=shown.pages, tags=shown.tags,
                           size=shown.size)


@bp.post("/papers/<path:paper_id>/add")
@login_required
def add(paper_id: str):
    paper = _paper_or_404(paper_id)
    tag = _payload("tag").strip() or None
    try:
        with db.transaction() as conn:
            library.add_papers(conn, current_user.id, [paper.id], tag=tag)
    except lib.LibraryError as exc:
        return _done(paper.id, str(exc), 400)
    return _done(paper.id, "Saved to your library." + (f" Tagged {tag}." if tag else ""))


@bp.post("/papers/<path:paper_id>/remove")
@login_required
def remove(paper_id: str):
    paper = _paper_or_404(paper_id)
    with db.transaction() as conn:
        library.remove_paper(conn, current_user.id, paper.id)
    return _done(paper.id, "Removed from your library.")


@bp.post("/papers/<path:paper_id>/tag")
@login_required
def tag(paper_id: str):
    paper = _paper_or_404(paper_id)
    try:
        with db.transaction() as conn:
            made = library.tag_paper(conn, current_user.id, paper.id, _payload("tag"))
    except lib.LibraryError as exc:
        return _done(paper.id, str(exc), 400)
    return _done(paper.id, f"Tagged {made.name}.")


@bp.post("/papers/<path:paper_id>/untag/<int:tag_id>")
@login_required
def untag(paper_id: str, tag_id: int):
    paper = _paper_or_404(paper_id)
    with db.transaction() as conn:
        library.untag_paper(conn, current_user.id, paper.id, tag_id)
    return _done(paper.id, "Tag removed.")


@bp.post("/papers/<path:paper_id>/not-interested")
@login_required
def not_interested(paper_id: str):
    paper = _paper_or_404(paper_id)
    undo = _payload("undo") in {"1", "true"}
    with db.transaction() as conn:
        library.set_not_interested(conn, current_user.id, paper.id, undo=undo)
    return _done(paper.id, "Marked as not interested: it will not be recommended."
                 if not undo else "Not-interested mark removed.")


@bp.post("/tags/<int:tag_id>/rename")
@login_required
def rename_tag(tag_id: int):
    try:
        with db.transaction() as conn:
            renamed = library.rename_tag(conn, current_user.id, tag_id, _payload("name"))
    except lib.LibraryError as exc:
        return _done(None, str(exc), 400)
    return _done(None, f"Tag renamed to {renamed.name}.")


@bp.post("/tags/<int:tag_id>/delete")
@login_required
def delete_tag(tag_id: int):
    with db.transaction() as conn:
        library.delete_tag(conn, current_user.id, tag_id)
    return _done(None, "Tag deleted; its papers stay in your library.")


def _export_entries():
    tag_id = int_arg(request.args, "tag", 0, 0, 2**31) or None
    return library.export_entries(db.get_db(), current_user.id, tag_id)


def _attachment(body: str, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/export.bib")
@login_required
def export_bibtex():
    entries, tag = _export_entries()
    return _attachment(to_bibtex(entries), "application/x-bibtex", "papersift-library.bib")


@bp.get("/export.json")
@login_required
def export_json():
    entries, tag = _export_entries()
    response = jsonify(to_json(entries, current_user.username, tag.name if tag else None))
    response.headers["Content-Disposition"] = 'attachment; filename="papersift-library.json"'
    return response


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_ids():
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("library/import.html", form=form, file_form=LibraryFileForm(formdata=None)
                               ), 400 if form.is_submitted() else 200
    try:
        with db.transaction() as conn:
            done = library.import_id_list(conn, current_user.id, form.ids.data, tag=form.tag.data or None)
    except library.TooManyIds as exc:
        form.ids.errors = [str(exc)]
        return render_template("library/import.html", form=form,
                               file_form=LibraryFileForm(formdata=None)), 400
    except lib.LibraryError as exc:
        form.tag.errors = [str(exc)]
        return render_template("library/import.html", form=form,
                               file_form=LibraryFileForm(formdata=None)), 400
    return render_template("library/import.html", form=ImportForm(formdata=None), added=done.result.added,
                           unknown=done.result.unknown, bad=done.bad, total=done.total,
                           file_form=LibraryFileForm(formdata=None))


@api_bp.get("/library")
@login_required
def api_library():
    return jsonify(library.library_json(db.get_db(), current_user.id))


def _library_state() -> dict:
    """The user's saved and not-interested ids, read once a request (cards ask per paper)."""
    if "library_state" not in g:
        if current_user and current_user.is_authenticated:
            conn = db.get_db()
            g.library_state = {"ids": lib.library_ids(conn, current_user.id),
                               "not_interested": lib.not_interested_ids(conn, current_user.id)}
        else:
            g.library_state = {"ids": set(), "not_interested": set()}
    return g.library_state


def _first_time(key: str) -> bool:
    """True once per request and key: include a script once however many cards need it."""
    seen = g.setdefault("first_time", set())
    if key in seen:
        return False
    seen.add(key)
    return True


@bp.record_once
def _template_globals(state) -> None:
    """Globals rather than a context processor, so imported macros (paper cards) see them."""
    state.app.jinja_env.globals.update(
        library_state=_library_state, paper_tags_of=_paper_tags_of, first_time=_first_time,
        library_holders=_shown_holders,
        paper_tag_list=_paper_tag_list, user_tag_list=_user_tags)


def _shown_holders(paper_id: str) -> str:
    """"in N libraries", or "in fewer than M" below min_library_count: on a small site a
    count of 1 would tell visitors what one person saved."""
    n = lib.holders(db.get_db(), paper_id)
    least = current_app.config["SETTINGS"].min_library_count
    if least > 1 and n < least:
        return f"in fewer than {least} libraries"
    return f"in {n} librar{'y' if n == 1 else 'ies'}"


def _paper_tags_of(paper_id: str) -> list[str]:
    if not (current_user and current_user.is_authenticated):
        return []
    return lib.paper_tag_names(db.get_db(), current_user.id, [paper_id]).get(paper_id, [])


def _user_tags() -> list[lib.Tag]:
    if "user_tags" not in g:
        g.user_tags = lib.user_tags(db.get_db(), current_user.id) if current_user.is_authenticated else []
    return g.user_tags


def _paper_tag_list(paper_id: str) -> list[lib.Tag]:
    names = set(_paper_tags_of(paper_id))
    return [t for t in _user_tags() if t.name in names]
