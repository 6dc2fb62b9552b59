"""The OpenAPI 3.1 description of the JSON API, kept in this one place.

``tests/web/test_api_http.py`` checks that every Flask rule under ``/api`` is described here (and
nothing else), and that real responses match the schemas below. Schemas are JSON Schema 2020-12,
as OpenAPI 3.1 uses.
"""
from __future__ import annotations

import copy
from functools import lru_cache

JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(type_: str, **extra) -> dict:
    return {"type": [type_, "null"], **extra}


def _object(properties: dict, required: list[str] | None = None, *, extra: bool = False) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": extra}
    schema["required"] = list(properties) if required is None else required
    return schema


def _json_response(description: str, schema: dict, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _errors(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


_DATETIME = {"type": "string", "format": "date-time"}
_ETAG = {"ETag": {"description": "The case's row_version as a strong ETag, e.g. \"3\"; send it back in If-Match.",
                  "schema": {"type": "string"}}}
_CASE_ID = {"name": "case_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}
_TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "The task's id, from the case's ready_tasks."}
# Every authenticated endpoint can answer these on top of its own.
_COMMON = (401,)

SCHEMAS: dict = {
    "Error": _object({"error": {"type": "string"}}),
    "FormErrors": _object({"error": {"type": "string"},
                           "field_errors": {"type": "object", "description": "Field path ('' for the whole form) "
                                            "to messages.", "additionalProperties": {
                                                "type": "array", "items": {"type": "string"}}}}),
    "PathwayProblems": _object({"error": {"type": "string"}, "problems": {"type": "array", "items": _object({
        "file": {"type": "string"}, "line": _nullable("integer"), "element_id": {"type": "string"},
        "message": {"type": "string"}})}}),
    "PathwayFailure": _object({"error": {"type": "string"},
                               "element_id": {"type": "string", "description": "The BPMN element that failed."}}),
    "Health": _object({"status": {"type": "string", "const": "ok"}}),
    "Me": _object({"username": {"type": "string"}, "display_name": {"type": "string"},
                   "roles": {"type": "array", "items": {"type": "string"}},
                   "work_counts": {"type": "object", "additionalProperties": {"type": "integer"},
                                   "description": "assigned_to_me, overdue, and role:<name> for each role."}}),
    "Form": _object({"name": _nullable("string"), "schema": _nullable("object"), "ui_schema": _nullable("object")}),
    "Task": _object({"id": {"type": "string"}, "element_id": {"type": "string"}, "title": {"type": "string"},
                     "role": {"type": "string"}, "form": _ref("Form"), "documentation": {"type": "string"},
                     "due_at": _nullable("string", format="date-time"), "assignee": _nullable("string"),
                     "escalated": {"type": "boolean"}}),
    "Timer": _object({"element_id": {"type": "string"}, "name": {"type": "string"}, "due_at": _DATETIME}),
    "Case": _object({"id": {"type": "integer"}, "reference": {"type": "string"}, "title": {"type": "string"},
                     "pathway": {"type": "string"}, "version": {"type": "integer"},
                     "status": {"type": "string", "enum": ["active", "completed", "cancelled"]},
                     "row_version": {"type": "integer"}, "sandbox": {"type": "boolean"}, "data": {"type": "object"},
                     "ready_tasks": {"type": "array", "items": _ref("Task")},
                     "timers": {"type": "array", "items": _ref("Timer")},
                     "created_at": _DATETIME, "updated_at": _DATETIME,
                     "links": {"type": "array", "items": _ref("Link"),
                               "description": "Cases linked to this one by messages (step up, referrals)."}}),
    "Link": _object({"case_id": {"type": "integer"}, "reference": {"type": "string"}, "pathway": {"type": "string"},
                     "direction": {"type": "string", "enum": ["raised", "raised_by"]},
                     "message": {"type": "string"}}),
    "WorkItem": _object({"id": {"type": "integer"}, "case_id": {"type": "integer"},
                         "case_reference": {"type": "string"}, "case_title": {"type": "string"},
                         "task_id": {"type": "string"}, "element_id": {"type": "string"},
                         "pathway": {"type": "string"}, "title": {"type": "string"}, "role": {"type": "string"},
                         "due_at": _nullable("string", format="date-time"), "escalated": {"type": "boolean"},
                         "assignee": _nullable("string"), "created_at": _DATETIME}),
    "WorkPage": _object({"items": {"type": "array", "items": _ref("WorkItem")}, "total": {"type": "integer"},
                         "page": {"type": "integer"}, "per_page": {"type": "integer"}}),
    "AuditEvent": _object({"seq": {"type": "integer"}, "at": _DATETIME, "actor": {"type": "string"},
                           "action": {"type": "string"}, "element_id": {"type": "string"},
                           "summary": {"type": "string"}, "before": _nullable("object"), "after": _nullable("object"),
                           "hash": {"type": "string"}}),
    "Verify": _object({"ok": {"type": "boolean"}, "events": {"type": "integer"},
                       "first_bad_seq": _nullable("integer"), "reason": {"type": "string"}}),
    "StartCase": _object({"pathway": {"type": "string", "minLength": 1, "maxLength": 200},
                          "data": {"type": "object", "description": "The start form's fields."}}, ["pathway"]),
    "CompleteTask": _object({"data": {"type": "object", "description": "The task form's fields."},
                             "expected_version": {"type": "integer", "minimum": 1,
                                                  "description": "The case's row_version you last read; "
                                                  "409 if it moved on. Or send If-Match."}}, []),
    "Assign": _object({"username": {"type": "string", "minLength": 1, "maxLength": 200}}),
}

RESPONSES: dict = {
    "E400": _json_response("Malformed request: bad JSON, unknown field or parameter, bad value.", _ref("Error")),
    "E401": _json_response("No or unknown API token.", _ref("Error"), {
        "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer realm=\"pathways\""}}),
    "E403": _json_response("The caller may not do this (role, assignment, four-eyes rule).", _ref("Error")),
    "E404": _json_response("No such case, task, pathway or user.", _ref("Error")),
    "E409": _json_response("The case moved on (stale version, task already done, case closed, task taken): "
                           "nothing was saved; reload and retry.", _ref("Error")),
    "E413": _json_response("The body is larger than 1 MB.", _ref("Error")),
    "E415": _json_response("The body is not sent as application/json.", _ref("Error")),
    "E422": _json_response("The data fails the form (field_errors) or the pathway is invalid (problems).",
                           {"oneOf": [_ref("FormErrors"), _ref("PathwayProblems")]}),
    "E500": _json_response("The pathway failed while running (a pathway bug, element_id says where) or the "
                           "server is misconfigured.", {"oneOf": [_ref("PathwayFailure"), _ref("Error")]}),
}

_INBOX_PARAMS = [
    {"name": "pathway", "in": "query", "schema": {"type": "string", "maxLength": 200}, "description": "Pathway key."},
    {"name": "task", "in": "query", "schema": {"type": "string", "maxLength": 200}, "description": "Task element id."},
    {"name": "due_before", "in": "query", "schema": _DATETIME,
     "description": "Only tasks due before this ISO 8601 date-time (UTC when it has no zone)."},
    {"name": "mine", "in": "query", "schema": {"type": "boolean", "default": False},
     "description": "Only tasks assigned to me (true/false, 1/0, yes/no)."},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
]


def _body(schema: str) -> dict:
    return {"required": True, "content": {JSON: {"schema": _ref(schema)}}}


def _op(op_id: str, summary: str, responses: dict, *, params: list | None = None, body: str | None = None,
        public: bool = False) -> dict:
    operation = {"operationId": op_id, "summary": summary, "responses": responses}
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = _body(body)
        responses.update(_errors(400, 413, 415))
    if public:
        operation["security"] = []
    else:
        responses.update(_errors(*_COMMON))
    return operation


def _task_action(op_id: str, summary: str, body: str | None = None) -> dict:
    return {"post": _op(op_id, summary, {"204": {"description": "Done."}, **_errors(403, 404, 409)},
                        params=[_CASE_ID, _TASK_ID], body=body)}


PATHS: dict = {
    "/api/health": {"get": _op("health", "Liveness check.", {"200": _json_response("Up.", _ref("Health"))},
                               public=True)},
    "/api/openapi.json": {"get": _op("openapi", "This description.",
                                     {"200": _json_response("OpenAPI 3.1.", {"type": "object"})}, public=True)},
    "/api/me": {"get": _op("me", "The caller, their roles and work counts.",
                           {"200": _json_response("Me.", _ref("Me"))})},
    "/api/tasks": {"get": _op("inbox", "My inbox: open tasks for my roles and tasks assigned to me.",
                              {"200": _json_response("A page of work items.", _ref("WorkPage")), **_errors(400)},
                              params=_INBOX_PARAMS)},
    "/api/cases": {"post": _op("startCase", "Start a case on a pathway's latest published version.", {
        "201": _json_response("The new case.", _ref("Case"), {
            **_ETAG, "Location": {"schema": {"type": "string"}, "description": "/api/cases/<id>"}}),
        **_errors(403, 404, 422, 500)}, body="StartCase")},
    "/api/cases/{case_id}": {"get": _op("getCase", "A case with its ready tasks, forms and timers.", {
        "200": _json_response("The case.", _ref("Case"), _ETAG), **_errors(403, 404)}, params=[_CASE_ID])},
    "/api/cases/{case_id}/tasks/{task_id}/complete": {"post": _op(
        "completeTask", "Submit a task's form; answers with the updated case.", {
            "200": _json_response("The case after the task.", _ref("Case"), _ETAG),
            **_errors(403, 404, 409, 422, 500)},
        params=[_CASE_ID, _TASK_ID, {"name": "If-Match", "in": "header", "schema": {"type": "string"},
                                     "description": "The case's ETag (row_version), e.g. \"3\": 409 if it moved on."}],
        body="CompleteTask")},
    "/api/cases/{case_id}/tasks/{task_id}/claim": _task_action("claimTask", "Take an open task for oneself."),
    "/api/cases/{case_id}/tasks/{task_id}/release": _task_action("releaseTask",
                                                                 "Put a task back for anyone holding its role."),
    "/api/cases/{case_id}/tasks/{task_id}/assign": _task_action("assignTask",
                                                                "Give a task to a user holding its role.", "Assign"),
    "/api/cases/{case_id}/audit": {"get": _op("auditTrail", "The case's audit events, oldest first.", {
        "200": _json_response("Events.", {"type": "array", "items": _ref("AuditEvent")}), **_errors(403, 404)},
        params=[_CASE_ID])},
    "/api/cases/{case_id}/audit/verify": {"get": _op("verifyAudit", "Check the case's audit hash chain.", {
        "200": _json_response("The check.", _ref("Verify")), **_errors(403, 404)}, params=[_CASE_ID])},
}


@lru_cache(maxsize=1)
def _document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pathways API", "version": "1",
                 "description": "Children's-services pathways run as BPMN cases. Send 'Authorization: Bearer "
                                "<token>'. Errors are {\"error\": message} plus details. Dates are ISO 8601. "
                                "Any /api URL may also answer 404 (no such route), 405 (wrong method) or 500."},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                          "description": "An API token (pathways user add --token)."}},
                       "schemas": SCHEMAS, "responses": RESPONSES},
    }


def document() -> dict:
    """The OpenAPI document (a copy: callers may change it freely)."""
    return copy.deepcopy(_document())
