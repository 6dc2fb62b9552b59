"""Reading requests and writing responses for the JSON API.

Requests: JSON bodies, query parameters and the ``If-Match`` header are checked here, and anything
malformed is a 400 naming the part at fault, before the engine is called. Responses: the engine's
frozen views become plain JSON, with dates as ISO 8601 strings.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from engine import AuditEventView, CaseView, TaskView, TimerView, VerifyResult, WorkItemView, WorkPage

TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})


# -- requests ---------------------------------------------------------------------------------------

def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise.
    raise ValueError(f"{name} is not a JSON value")


def json_object(allowed: set[str]) -> dict:
    """The request body as a JSON object whose keys are all in ``allowed``.

    Raises:
        UnsupportedMediaType: the body is not sent as ``application/json``.
        BadRequest: the body is missing, not JSON, not an object, or has keys outside ``allowed``.
    """
    raw = request.get_data(cache=True)  # reading enforces MAX_CONTENT_LENGTH (413)
    if not raw.strip():
        raise BadRequest("the request needs a JSON object as its body")
    if not request.is_json:
        raise UnsupportedMediaType("send the body as JSON, with 'Content-Type: application/json'")
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise BadRequest("the JSON body is nested too deeply") from None
    except ValueError as exc:  # includes bad UTF-8 (UnicodeDecodeError) and JSONDecodeError
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("the JSON body must be an object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"unknown field(s) in the body: {', '.join(unknown)}; "
                         f"expected: {', '.join(sorted(allowed))}")
    return body


def query_params(allowed: set[str]) -> dict[str, str]:
    """The query string as single values, refusing unknown and repeated parameters.

    Refusing unknown names catches typos (``due-before``) that would otherwise return an
    unfiltered, plausible-looking list.

    Raises:
        BadRequest: an unknown or repeated parameter.
    """
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(unknown)}; expected: {', '.join(sorted(allowed))}")
    repeated = sorted(k for k in request.args if len(request.args.getlist(k)) > 1)
    if repeated:
        raise BadRequest(f"query parameter(s) given more than once: {', '.join(repeated)}")
    return dict(request.args)


def int_param(params: dict[str, str], name: str, default: int, low: int, high: int | None = None) -> int:
    """An integer parameter within ``[low, high]``; raises BadRequest otherwise."""
    text = params.get(name)
    if text is None:
        return default
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number {bounds}") from None
    if value < low or (high is not None and value > high):
        raise BadRequest(f"{name} must be a whole number {bounds}")
    return value


def bool_param(params: dict[str, str], name: str) -> bool:
    """A true/false parameter (``true``/``false``, ``1``/``0``, ``yes``/``no``); raises BadRequest otherwise."""
    text = params.get(name, "false").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise BadRequest(f"{name} must be true or false")


def datetime_param(params: dict[str, str], name: str) -> dt.datetime | None:
    """An ISO 8601 date-time parameter; one without a zone is taken as UTC. Raises BadRequest."""
    text = params.get(name)
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 date-time such as 2026-11-24T09:00:00Z") from None
    # The engine stores aware UTC times only; a bare date-time is read as UTC rather than refused.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def text_param(params: dict[str, str], name: str, max_length: int = 200) -> str | None:
    """A non-empty text parameter of at most ``max_length`` characters; raises BadRequest otherwise."""
    text = params.get(name)
    if text is None:
        return None
    if not text.strip() or len(text) > max_length:
        raise BadRequest(f"{name} must be between 1 and {max_length} characters")
    return text


def expected_version(body_value: Any) -> int | None:
    """The case version a write expects, from the body's ``expected_version`` and/or ``If-Match``.

    Raises:
        BadRequest: either is not a version number, or the two disagree.
    """
    if body_value is not None and (isinstance(body_value, bool) or not isinstance(body_value, int)
                                   or body_value < 1):
        raise BadRequest("expected_version must be a positive whole number (the case's row_version)")
    header = request.headers.get("If-Match")
    from_header = None
    if header is not None:
        etags = request.if_match
        strong = list(etags.as_set(include_weak=False))
        if etags.star_tag:
            strong = []  # "*" asks only that the case exists, which every call checks anyway
        elif len(strong) != 1 or etags.as_set(include_weak=True) != set(strong) or not strong[0].isdigit():
            raise BadRequest('If-Match must hold one case version as a strong ETag, e.g. If-Match: "3"')
        from_header = int(strong[0]) if strong else None
    if body_value is not None and from_header is not None and body_value != from_header:
        raise BadRequest("expected_version and If-Match name different versions")
    return body_value if body_value is not None else from_header


# -- responses --------------------------------------------------------------------------------------

def iso(value: dt.datetime | None) -> str | None:
    """An aware datetime as ISO 8601 text (``None`` stays ``None``)."""
    return value.isoformat() if value is not None else None


def task_json(task: TaskView) -> dict:
    """A ready task, its form grouped as ``form: {name, schema, ui_schema}``."""
    return {"id": task.id, "element_id": task.element_id, "title": task.title, "role": task.role,
            "form": {"name": task.form_name, "schema": task.form_schema, "ui_schema": task.ui_schema},
            "documentation": task.documentation, "due_at": iso(task.due_at), "assignee": task.assignee,
            "escalated": task.escalated}


def timer_json(timer: TimerView) -> dict:
    """A waiting timer."""
    return {"element_id": timer.element_id, "name": timer.name, "due_at": iso(timer.due_at)}


def case_json(case: CaseView) -> dict:
    """A case as ``GET /api/cases/<id>`` shows it."""
    return {"id": case.id, "reference": case.reference, "title": case.title, "pathway": case.pathway_key,
            "version": case.version_number, "status": case.status, "row_version": case.row_version,
            "sandbox": case.sandbox, "data": case.data, "ready_tasks": [task_json(t) for t in case.ready_tasks],
            "timers": [timer_json(t) for t in case.timers], "created_at": iso(case.created_at),
            "updated_at": iso(case.updated_at),
            "links": [{"case_id": link.case_id, "reference": link.reference, "pathway": link.pathway_key,
                       "direction": link.direction, "message": link.message} for link in case.links]}


def work_item_json(item: WorkItemView) -> dict:
    """One inbox entry."""
    return {"id": item.id, "case_id": item.case_id, "case_reference": item.case_reference,
            "case_title": item.case_title, "task_id": item.task_id, "element_id": item.element_id,
            "pathway": item.pathway_key, "title": item.title, "role": item.role, "due_at": iso(item.due_at),
            "escalated": item.escalated, "assignee": item.assignee, "created_at": iso(item.created_at)}


def work_page_json(page: WorkPage) -> dict:
    """A page of the inbox with its paging numbers."""
    return {"items": [work_item_json(i) for i in page.items], "total": page.total, "page": page.page,
            "per_page": page.per_page}


def audit_event_json(event: AuditEventView) -> dict:
    """One audit event, hash included so a client can cross-check the chain."""
    return {"seq": event.seq, "at": iso(event.at), "actor": event.actor, "action": event.action,
            "element_id": event.element_id, "summary": event.summary, "before": event.before,
            "after": event.after, "hash": event.hash}


def verify_json(result: VerifyResult) -> dict:
    """The outcome of checking a case's audit hash chain."""
    return {"ok": result.ok, "events": result.events, "first_bad_seq": result.first_bad_seq,
            "reason": result.reason}
