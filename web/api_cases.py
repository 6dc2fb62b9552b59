"""The JSON API's case endpoints: start and read a case, work its tasks, read and verify its audit trail.

Each endpoint checks the request's shape (400 when malformed), makes one engine call that does the
work in one transaction, and renders the result; engine errors become statuses in
:mod:`web.api_errors`.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify
from werkzeug.exceptions import BadRequest

from engine import CaseView
from web import api_io
from web.auth import current_actor, current_engine, protect

MAX_TEXT = 200
# Ids beyond a 32-bit integer column cannot exist; bounding the converter makes them a plain 404
# instead of a database overflow error.
CASE = "<int(min=1, max=2147483647):case_id>"

bp = Blueprint("api_cases", __name__, url_prefix="/api/cases")
protect(bp)


def _case_response(case: CaseView, status: int = 200) -> Response:
    response = jsonify(api_io.case_json(case))
    response.status_code = status
    # The case's row_version is its ETag: send it back in If-Match to complete a task safely.
    response.set_etag(str(case.row_version))
    return response


def _text_field(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise BadRequest(f"{name} must be a text of 1 to {MAX_TEXT} characters")
    return value


def _data_field(body: dict) -> dict:
    value = body.get("data", {})
    if not isinstance(value, dict):
        raise BadRequest("data must be a JSON object of form fields")
    return value


@bp.post("")
def start_case():
    """Start a case on the latest published version of a pathway, with its start form's data."""
    body = api_io.json_object({"pathway", "data"})
    case = current_engine().start_case(_text_field(body, "pathway"), _data_field(body), current_actor())
    response = _case_response(case, 201)
    response.headers["Location"] = f"/api/cases/{case.id}"
    return response


@bp.get(f"/{CASE}")
def get_case(case_id: int):
    """A case with its data, its ready tasks (and their forms) and its timers."""
    return _case_response(current_engine().get_case(case_id, current_actor()))


@bp.post(f"/{CASE}/tasks/<task_id>/complete")
def complete_task(case_id: int, task_id: str):
    """Submit a task's form; on success answer with the case as it now stands."""
    body = api_io.json_object({"data", "expected_version"})
    version = api_io.expected_version(body.get("expected_version"))
    actor = current_actor()
    current_engine().complete_task(case_id, task_id, _data_field(body), actor, expected_version=version)
    return _case_response(current_engine().get_case(case_id, actor))


@bp.post(f"/{CASE}/tasks/<task_id>/claim")
def claim_task(case_id: int, task_id: str):
    """Take an open task for oneself."""
    current_engine().claim_task(case_id, task_id, current_actor())
    return Response(status=204)


@bp.post(f"/{CASE}/tasks/<task_id>/release")
def release_task(case_id: int, task_id: str):
    """Put a task back for anyone holding its role."""
    current_engine().release_task(case_id, task_id, current_actor())
    return Response(status=204)


@bp.post(f"/{CASE}/tasks/<task_id>/assign")
def assign_task(case_id: int, task_id: str):
    """Give an open task to a user who holds its role."""
    body = api_io.json_object({"username"})
    current_engine().assign_task(case_id, task_id, _text_field(body, "username"), current_actor())
    return Response(status=204)


@bp.get(f"/{CASE}/audit")
def audit_trail(case_id: int):
    """The case's audit events, oldest first."""
    events = current_engine().audit_trail(case_id, current_actor())
    return jsonify([api_io.audit_event_json(e) for e in events])


@bp.get(f"/{CASE}/audit/verify")
def verify_audit(case_id: int):
    """Check the case's audit hash chain."""
    # verify_case takes no actor: read the case first so only those who may read it can probe it,
    # and an unknown case is a 404 rather than an empty, "intact" chain.
    current_engine().get_case(case_id, current_actor())
    return jsonify(api_io.verify_json(current_engine().verify_case(case_id)))
