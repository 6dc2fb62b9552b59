"""Letters on a case: preview one, record it, read it back and download it as PDF.

* ``GET /cases/<id>/letters/<key>/preview``: the letter as it will be sent (nothing is stored), with
  a "Record letter" button (``#record-letter``) posting the case version and letter hash it shows.
* ``POST /cases/<id>/letters/<key>/record``: records it (the engine refuses a case or letter that
  changed since the preview: the preview is shown again, fresh, with what changed), then 303 to...
* ``GET /cases/<id>/letters/<letter_id>``: the recorded letter, with "Download PDF" (``#download-letter-pdf``);
* ``GET /cases/<id>/letters/<letter_id>.pdf``: the PDF, as an attachment named after the case reference.

Only recorded letters have a PDF, so every letter that leaves the service is on its case. The case
page's letters section comes from :func:`case_letters` (``web/templates/_case_letters.html``).
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from engine import CaseLettersView, ConflictError, LetterTemplateError, LetterView, PathwaysError
from web.auth import current_engine
from web.letters_pdf import filename, letter_pdf, uncovered
from web.ui_auth import current_ui_actor, engine_error_page
from web.ui_inbox import local_time

_KEY = re.compile(r"^[a-z][a-z0-9_]{1,60}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")

bp = Blueprint("ui_letters", __name__)
bp.register_error_handler(PathwaysError, engine_error_page)


def case_letters(case_id: int) -> CaseLettersView:
    """The case page's letters section (what the pathway offers now, what was recorded)."""
    return current_engine().case_letters(case_id, current_ui_actor())


def _key_or_404(key: str) -> str:
    if not _KEY.match(key):
        abort(404)
    return key


def _preview_page(case_id: int, key: str, *, status: int = 200, conflict: str = ""):
    engine, actor = current_engine(), current_ui_actor()
    case = engine.get_case(case_id, actor)
    try:
        letter = engine.preview_letter(case_id, key, actor)
    except LetterTemplateError as error:
        # A fault in the pathway's template: say plainly what and whom to ask; the log has it too.
        current_app.logger.error("letter template failed on case %s: %s", case_id, error)
        return render_template("letter_problem.html", case=case, message=str(error)), 500
    return render_template("letter_preview.html", case=case, letter=letter, conflict=conflict,
                           unprintable=uncovered(letter.text)), status


@bp.get("/cases/<int:case_id>/letters/<key>/preview")
@login_required
def preview_letter(case_id: int, key: str):
    """The letter as it will be sent, and the button that records it."""
    return _preview_page(case_id, _key_or_404(key))


@bp.post("/cases/<int:case_id>/letters/<key>/record")
@login_required
def record_letter(case_id: int, key: str):
    """Record the previewed letter; on to the recorded letter, or back to a fresh preview if it changed."""
    key = _key_or_404(key)
    try:
        expected = int(request.form.get("expected_version", ""))
    except ValueError:
        abort(400)
    expected_hash = request.form.get("expected_hash", "")
    if not _HASH.match(expected_hash):
        abort(400)
    engine, actor = current_engine(), current_ui_actor()
    try:
        letter = engine.record_letter(case_id, key, actor, expected_version=expected, expected_hash=expected_hash)
    except ConflictError as error:
        # Nothing was recorded: show the letter as it stands now, to be checked before recording.
        return _preview_page(case_id, key, status=409, conflict=str(error))
    flash(f"‘{letter.title}’ recorded on the case", "success")
    return redirect(url_for("ui_letters.letter_page", case_id=case_id, letter_id=letter.id), code=303)


def _letter(case_id: int, letter_id: int) -> LetterView:
    return current_engine().get_letter(case_id, letter_id, current_ui_actor())


@bp.get("/cases/<int:case_id>/letters/<int:letter_id>")
@login_required
def letter_page(case_id: int, letter_id: int):
    """A recorded letter: who recorded it and when, what wrote it, the text, and its PDF."""
    letter = _letter(case_id, letter_id)
    case = current_engine().get_case(case_id, current_ui_actor())
    return render_template("letter_recorded.html", case=case, letter=letter,
                           recorded_when=local_time(letter.recorded_at))


@bp.get("/cases/<int:case_id>/letters/<int:letter_id>.pdf")
@login_required
def letter_pdf_download(case_id: int, letter_id: int):
    """The recorded letter as an A4 PDF attachment."""
    letter = _letter(case_id, letter_id)
    response = current_app.response_class(letter_pdf(letter), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(letter)}"'
    return response
