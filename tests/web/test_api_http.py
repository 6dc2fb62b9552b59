"""The JSON API as HTTP: bodies, sizes, routes, headers, the error table, and the OpenAPI description."""
from __future__ import annotations

import logging
import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import engine as engine_module
from engine import (AuthenticationError, CaseClosedError, ConfigurationError, ConflictError, ExpressionTimeoutError,
                    FormValidationError, PathwayInvalidError, PathwayNotFoundError, PermissionDeniedError, Problem,
                    SandboxViolationError, StaleCaseError, TaskNotFoundError, TaskNotReadyError, UserNotFoundError,
                    WorkflowRunError)
from web.app import create_app
from web.openapi import document

pytestmark = pytest.mark.postgres


# -- bodies -------------------------------------------------------------------------------------------

BAD_BODIES = [
    ("{not json", "application/json", 400, "not valid JSON"),
    ('{"pathway": "mini", "data": NaN}', "application/json", 400, "not valid JSON"),
    (b'{"pathway": "\xff"}', "application/json", 400, "not valid JSON"),
    ("[1, 2]", "application/json", 400, "must be an object"),
    ("", "application/json", 400, "needs a JSON object"),
    ('{"pathway": "mini", "colour": 1}', "application/json", 400, "unknown field(s) in the body: colour"),
    ("[" * 100_000 + "]" * 100_000, "application/json", 400, "nested too deeply"),
    ('{"pathway": "mini"}', "text/plain", 415, "application/json"),
    ("pathway=mini", "application/x-www-form-urlencoded", 415, "application/json"),
]


def test_bad_bodies_are_refused_with_a_clear_message(api):
    for data, content_type, status, words in BAD_BODIES:
        response = api.post("dsw1", "/api/cases", data=data, content_type=content_type)
        assert response.status_code == status, (data[:40], content_type)
        assert response.is_json and words in response.get_json()["error"], response.get_json()
    assert api.get("dsw1", "/api/tasks").get_json()["total"] == 0


def test_a_body_over_one_megabyte_is_413(api):
    big = '{"pathway": "mini", "data": {"concern": "' + "x" * (1024 * 1024) + '"}}'
    response = api.post("dsw1", "/api/cases", data=big, content_type="application/json")
    assert response.status_code == 413 and response.is_json and response.get_json()["error"]


# -- routes and headers ---------------------------------------------------------------------------

def test_unknown_api_routes_are_404_json_and_wrong_methods_405_json(api):
    for url in ("/api/nope", "/api", "/api/cases/abc", "/api/cases/0"):
        response = api.get("dsw1", url)
        assert response.status_code == 404 and response.is_json and response.get_json()["error"], url
    wrong = api.client.delete("/api/cases/1")
    assert wrong.status_code == 405 and wrong.is_json and "POST" not in wrong.headers["Allow"]
    listing = api.get("dsw1", "/api/cases")
    assert listing.status_code == 405 and listing.headers["Allow"].split(", ").count("POST") == 1


def test_security_headers_and_no_caching_on_every_api_response(api):
    responses = [api.get(None, "/api/health"), api.get(None, "/api/me"), api.get("dsw1", "/api/nope"),
                 api.get("dsw1", "/api/tasks"), api.post("dsw1", "/api/cases", {"pathway": "mini", "data": {}})]
    for response in responses:
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["Cache-Control"] == "no-store"
    page = api.client.get("/not-the-api")
    assert page.status_code == 404 and not page.is_json and page.headers["X-Frame-Options"] == "DENY"


# -- the error table --------------------------------------------------------------------------------

ERRORS = [
    (AuthenticationError("unknown or revoked token"), 401, {}),
    (PermissionDeniedError("no"), 403, {}),
    (PathwayNotFoundError("p"), 404, {}), (TaskNotFoundError("t"), 404, {}), (UserNotFoundError("u"), 404, {}),
    (FormValidationError({"a": ["bad"]}), 422, {"field_errors": {"a": ["bad"]}}),
    (ConflictError("c"), 409, {}), (StaleCaseError("s"), 409, {}), (TaskNotReadyError("t"), 409, {}),
    (CaseClosedError("closed"), 409, {}),
    (PathwayInvalidError([Problem("mini.bpmn", 3, "gw", "no default")]), 422,
     {"problems": [{"file": "mini.bpmn", "line": 3, "element_id": "gw", "message": "no default"}]}),
    (SandboxViolationError("import is not allowed", "script_1"), 500, {"element_id": "script_1"}),
    (ExpressionTimeoutError("too slow", "gw_decision"), 500, {"element_id": "gw_decision"}),
    (WorkflowRunError("no flow matched", "gw_signoff"), 500, {"element_id": "gw_signoff"}),
]


@pytest.mark.parametrize("error, status, details", ERRORS, ids=lambda v: type(v).__name__ if isinstance(
    v, Exception) else None)
def test_engine_errors_map_to_statuses(error, status, details, caplog):
    # The app's engine is never called here, so an unmigrated in-memory database will do.
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "k"})

    def boom():
        raise error
    app.add_url_rule("/api/boom", view_func=boom)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/api/boom")
    assert response.status_code == status
    assert response.get_json() == {"error": str(error), **details}
    assert ("WWW-Authenticate" in response.headers) == (status == 401)
    assert bool([r for r in caplog.records if "boom" in r.getMessage()]) == (status == 500)


def test_configuration_errors_and_crashes_do_not_leak_details():
    # Not TESTING, so a crash is handled (as in production) rather than re-raised into the test.
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "k"})

    def misconfigured():
        raise ConfigurationError("cannot use database URL 'postgresql://u:secret@db/x'")

    def crash():
        raise RuntimeError("secret internals")
    app.add_url_rule("/api/misconfigured", view_func=misconfigured)
    app.add_url_rule("/api/crash", view_func=crash)
    client = app.test_client()
    for url in ("/api/misconfigured", "/api/crash"):
        response = client.get(url)
        assert response.status_code == 500 and response.is_json and "secret" not in response.get_data(as_text=True)


def test_create_app_settings(engine, monkeypatch, caplog):
    monkeypatch.delenv("PATHWAYS_SECRET_KEY", raising=False)
    with caplog.at_level(logging.WARNING):
        app = create_app({"ENGINE": engine})
    assert app.extensions["pathways_engine"] is engine and len(app.config["SECRET_KEY"]) >= 32
    assert "ENGINE" not in app.config and app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert any("SECRET_KEY" in r.getMessage() for r in caplog.records)
    monkeypatch.setenv("PATHWAYS_SECRET_KEY", "from-env")
    assert create_app({"ENGINE": engine}).config["SECRET_KEY"] == "from-env"
    assert create_app({"ENGINE": engine, "SECRET_KEY": "given"}).config["SECRET_KEY"] == "given"
    with pytest.raises(TypeError):
        create_app({"ENGINE": "sqlite://"})
    own = create_app({"DATABASE_URL": engine.database_url, "SECRET_KEY": "k"})
    assert isinstance(own.extensions["pathways_engine"], engine_module.Engine)
    assert own.extensions["pathways_engine"].database_url == engine.database_url
    own.extensions["pathways_engine"].dispose()


# -- OpenAPI --------------------------------------------------------------------------------------

def _documented_operations(doc) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in doc["paths"].items() for method in item}


def test_openapi_describes_exactly_the_api_routes(app, api):
    response = api.get(None, "/api/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1") and doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api"):
            path = re.sub(r"<(?:[^>:]+:)?([^>]+)>", r"{\1}", rule.rule)
            routes |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == _documented_operations(doc)
    for path, item in doc["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for operation in item.values():
            assert names == {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}, path
            assert operation["responses"] and operation["operationId"]


class _Contract:
    """Checks responses against the schemas the OpenAPI document gives for their path, method and status."""

    def __init__(self):
        self.doc = document()
        # Inline response schemas get a home in the document, so that every schema is reachable by a
        # JSON pointer and its $refs to components resolve against the same document.
        inline = self.doc["x-inline"] = []
        entries = [entry for item in self.doc["paths"].values() for operation in item.values()
                   for entry in operation["responses"].values()]
        for entry in entries + list(self.doc["components"]["responses"].values()):
            media = entry.get("content", {}).get("application/json")
            if media is not None and set(media["schema"]) != {"$ref"}:
                inline.append(media["schema"])
                media["schema"] = {"$ref": f"#/x-inline/{len(inline) - 1}"}
        resource = Resource.from_contents(self.doc, default_specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:pathways-openapi", resource)

    def check(self, response, path: str, method: str) -> None:
        declared = self.doc["paths"][path][method]["responses"]
        entry = declared.get(str(response.status_code))
        assert entry is not None, f"{method} {path} answered undocumented {response.status_code}"
        if "$ref" in entry:
            entry = self.doc["components"]["responses"][entry["$ref"].rsplit("/", 1)[1]]
        if "content" not in entry:
            assert response.get_data() == b""
            return
        schema = {"$ref": "urn:pathways-openapi" + entry["content"]["application/json"]["schema"]["$ref"]}
        errors = list(Draft202012Validator(schema, registry=self.registry).iter_errors(response.get_json()))
        assert not errors, f"{method} {path} {response.status_code}: {errors[0].message}"


def test_responses_match_the_openapi_schemas(api):
    contract = _Contract()

    case_path = "/api/cases/{case_id}"
    task_path = case_path + "/tasks/{task_id}"
    contract.check(api.get(None, "/api/health"), "/api/health", "get")
    contract.check(api.get(None, "/api/openapi.json"), "/api/openapi.json", "get")
    contract.check(api.get(None, "/api/me"), "/api/me", "get")
    started = api.post("dsw1", "/api/cases", {"pathway": "mini", "data": {"child_name": "Sam"}})
    contract.check(started, "/api/cases", "post")
    contract.check(api.post("dsw1", "/api/cases", {"pathway": "mini", "data": {}}), "/api/cases", "post")
    contract.check(api.post("dsw1", "/api/cases", data="{", content_type="application/json"), "/api/cases", "post")
    case = started.get_json()
    task_id = case["ready_tasks"][0]["id"]
    contract.check(api.get("dsw1", f"/api/cases/{case['id']}"), case_path, "get")
    contract.check(api.get("dsw1", "/api/cases/999"), case_path, "get")
    contract.check(api.get("dsw1", "/api/me"), "/api/me", "get")
    contract.check(api.get("dsw1", "/api/tasks"), "/api/tasks", "get")
    contract.check(api.get("dsw1", "/api/tasks?page=0"), "/api/tasks", "get")
    for action in ("claim", "release"):
        contract.check(api.post("dsw1", f"/api/cases/{case['id']}/tasks/{task_id}/{action}"),
                       f"{task_path}/{action}", "post")
    contract.check(api.post("dsw1", f"/api/cases/{case['id']}/tasks/{task_id}/assign", {"username": "dsw2"}),
                   f"{task_path}/assign", "post")
    contract.check(api.post("dsw1", f"/api/cases/{case['id']}/tasks/{task_id}/release"), f"{task_path}/release", "post")
    contract.check(api.complete("dsw1", case["id"], task_id, {"decision": "x"}), f"{task_path}/complete", "post")
    contract.check(api.complete("dsw1", case["id"], task_id, {"decision": "nfa", "rationale": "fine"}),
                   f"{task_path}/complete", "post")
    contract.check(api.complete("dsw1", case["id"], task_id, {"decision": "nfa", "rationale": "fine"}),
                   f"{task_path}/complete", "post")
    contract.check(api.get("dsw1", f"/api/cases/{case['id']}/audit"), case_path + "/audit", "get")
    contract.check(api.get("dsw1", f"/api/cases/{case['id']}/audit/verify"), case_path + "/audit/verify", "get")
