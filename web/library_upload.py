"""Upload a reference manager's export (BibTeX, RIS, CSL-JSON) into the logged-in user's library.

`POST /library/import/file` takes a multipart form with the CSRF token (a form field, or
the X-CSRFToken header for scripts) and renders the report, or answers it as JSON when
asked for JSON. The work is `ingest.library_import.import_library`; a bad file is a 400
with the reason and nothing imported.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_login import current_user, login_required

from ingest.library_import import LibraryFileError, import_library
from store.library import LibraryError
from web import db, services
from web.forms import LIBRARY_FORMATS, ImportForm, LibraryFileForm

bp = Blueprint("library_upload", __name__, url_prefix="/library/import")


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals["library_formats"] = LIBRARY_FORMATS


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _page(file_form: LibraryFileForm, status: int, **context):
    if _wants_json():
        errors = [e for f in file_form for e in f.errors]
        return jsonify(error=" ".join(errors) or "Bad request.", **context), status
    return render_template("library/import.html", form=ImportForm(formdata=None), file_form=file_form,
                           **context), status


@bp.post("/file")
@login_required
def upload():
    form = LibraryFileForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    upload = form.file.data
    settings = current_app.config["SETTINGS"]
    try:
        report = import_library(db.engine(), settings, current_user.id, upload.read(),
                                upload.filename or "upload", fmt=form.format.data or None,
                                tag=form.tag.data or None, index=services.current_index(),
                                fetch_max=settings.library_import_fetch_max)
    except (LibraryFileError, LibraryError) as exc:
        form.file.errors = [f"{exc} Nothing was imported."]
        return _page(form, 400)
    if _wants_json():
        return jsonify(report.to_json())
    return _page(LibraryFileForm(formdata=None), 200, report=report)


@bp.errorhandler(413)
def too_large(_exc):
    limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / 1048576
    form = LibraryFileForm(formdata=None)
    form.file.errors = [f"The upload is larger than this site accepts ({limit:.0f} MB). "
                        "Nothing was imported; split the file or use `papersift library import`."]
    return _page(form, 413)
