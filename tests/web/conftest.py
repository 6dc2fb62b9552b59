"""Fixtures for the JSON API: an app on the integration tests' engine, a client, and tokens.

The ``engine`` fixture (users dsw1, dsw2, tm1, tm2, ehc1 on the ``mini`` pathway, a FixedClock)
is the integration tests' own, imported so both suites exercise the same world.
"""
from __future__ import annotations

import pytest

from tests.integration.conftest import clock, engine  # noqa: F401  (fixtures re-used here)
from web.app import create_app

USERS = ("dsw1", "dsw2", "tm1", "tm2", "ehc1")


@pytest.fixture
def app(engine):  # noqa: F811  (the fixture imported above)
    return create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "test"})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(engine):  # noqa: F811
    return {name: engine.create_token(name, "test") for name in USERS}


class Api:
    """The test client with a caller: ``api.as_("dsw1").get(...)``; JSON in, response out."""

    def __init__(self, client, tokens):
        self.client = client
        self.tokens = tokens

    def headers(self, user: str | None, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return {**headers, **(extra or {})}

    def get(self, user, url, **kw):
        return self.client.get(url, headers=self.headers(user, kw.pop("headers", None)), **kw)

    def post(self, user, url, body=None, **kw):
        if body is not None:
            kw["json"] = body
        return self.client.post(url, headers=self.headers(user, kw.pop("headers", None)), **kw)

    # -- shortcuts for the mini pathway ------------------------------------------------------------
    def start(self, user="dsw1", name="Sam") -> dict:
        response = self.post(user, "/api/cases", {"pathway": "mini", "data": {"child_name": name, "concern": "bruise"}})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def task(self, user, case_id, element_id) -> dict:
        case = self.get(user, f"/api/cases/{case_id}").get_json()
        [task] = [t for t in case["ready_tasks"] if t["element_id"] == element_id]
        return task

    def complete(self, user, case_id, task_id, data, **kw):
        body = {"data": data, **kw.pop("body", {})}
        return self.post(user, f"/api/cases/{case_id}/tasks/{task_id}/complete", body, **kw)


@pytest.fixture
def api(client, tokens):
    return Api(client, tokens)
