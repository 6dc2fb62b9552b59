"""The JSON API end to end on the mini pathway: auth, cases, tasks, conflicts, inbox, audit."""
from __future__ import annotations

import pytest

from tests.conftest import START

pytestmark = pytest.mark.postgres

SCREENING = {"decision": "early_help", "rationale": "needs support"}


# -- authentication -----------------------------------------------------------------------------------

def test_health_needs_no_token(api):
    response = api.get(None, "/api/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_without_a_valid_token_the_api_answers_401(client):
    for header in (None, "Bearer not-a-token", "Basic ZHN3MTpwdw==", "Bearer", "Bearer  ", "not-a-token"):
        headers = {"Authorization": header} if header is not None else {}
        for method, url in (("get", "/api/me"), ("get", "/api/tasks"), ("post", "/api/cases"),
                            ("get", "/api/cases/1"), ("post", "/api/cases/1/tasks/x/claim")):
            response = getattr(client, method)(url, headers=headers)
            assert response.status_code == 401, (url, header)
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="pathways"'
            assert response.get_json()["error"]
            assert "not-a-token" not in response.get_data(as_text=True)  # a credential is never echoed


def test_me_shows_roles_and_work_counts(api):
    api.start()
    body = api.get("tm1", "/api/me").get_json()
    assert body["username"] == "tm1" and body["display_name"] == "Tess Manager"
    assert body["roles"] == ["Duty Social Worker", "Team Manager"]
    assert body["work_counts"]["role:Duty Social Worker"] == 1 and body["work_counts"]["assigned_to_me"] == 0


# -- starting and reading cases --------------------------------------------------------------------

def test_start_case_answers_201_with_location_and_the_case(api):
    response = api.post("dsw1", "/api/cases", {"pathway": "mini", "data": {"child_name": "Sam"}})
    assert response.status_code == 201
    case = response.get_json()
    assert response.headers["Location"] == f"/api/cases/{case['id']}"
    assert response.headers["ETag"] == f'"{case["row_version"]}"'
    assert case["pathway"] == "mini" and case["version"] == 1 and case["status"] == "active"
    assert case["reference"].startswith("PW-") and case["title"] == f"Sam ({case['reference']})"
    assert case["created_at"] == START.isoformat()

    read = api.get("dsw2", response.headers["Location"])
    assert read.status_code == 200 and read.headers["ETag"] == response.headers["ETag"]
    [task] = read.get_json()["ready_tasks"]
    assert (task["element_id"], task["role"], task["assignee"], task["escalated"]) == (
        "screening", "Duty Social Worker", None, False)
    assert task["form"]["name"] == "mini-screening.schema.json"
    assert task["form"]["schema"]["required"] == ["decision", "rationale"]
    assert task["documentation"] == "Screen the contact within 2 hours."
    assert task["due_at"] == "2026-11-23T11:00:00+00:00"
    assert [t["element_id"] for t in read.get_json()["timers"]] == ["screening_late"]


def test_start_case_refusals(api):
    bad_form = api.post("dsw1", "/api/cases", {"pathway": "mini", "data": {"concern": "x", "surprise": 1}})
    assert bad_form.status_code == 422
    assert bad_form.get_json()["field_errors"] == {"child_name": ["this field is required"],
                                                   "surprise": ["this form has no such field"]}
    assert api.post("ehc1", "/api/cases", {"pathway": "mini", "data": {"child_name": "A"}}).status_code == 403
    assert api.post("dsw1", "/api/cases", {"pathway": "nope", "data": {}}).status_code == 404
    assert api.post("dsw1", "/api/cases", {"data": {}}).status_code == 400
    assert api.post("dsw1", "/api/cases", {"pathway": "mini", "data": [1]}).status_code == 400
    assert api.get("dsw1", "/api/tasks").get_json()["total"] == 0  # nothing was started


def test_unknown_case_is_404_and_a_case_outside_my_roles_is_403(api, engine, tokens):
    engine.add_user("outsider", "Olly Outside", [])
    tokens["outsider"] = engine.create_token("outsider")
    case = api.start()
    for url in ("/api/cases/999", "/api/cases/999/audit", "/api/cases/999/audit/verify",
                "/api/cases/99999999999999999999"):
        response = api.get("dsw1", url)
        assert response.status_code == 404 and "error" in response.get_json(), url
    for suffix in ("", "/audit", "/audit/verify"):
        assert api.get("outsider", f"/api/cases/{case['id']}{suffix}").status_code == 403
    assert api.complete("dsw1", 999, case["ready_tasks"][0]["id"], SCREENING).status_code == 404


# -- completing tasks -------------------------------------------------------------------------------

def test_complete_screening_answers_the_updated_case(api):
    case = api.start()
    task = case["ready_tasks"][0]
    response = api.complete("dsw1", case["id"], task["id"], SCREENING, body={"expected_version": case["row_version"]})
    assert response.status_code == 200
    after = response.get_json()
    assert after["row_version"] == case["row_version"] + 1
    assert response.headers["ETag"] == f'"{after["row_version"]}"'
    assert [t["element_id"] for t in after["ready_tasks"]] == ["signoff"]
    assert after["data"]["decision"] == "early_help" and after["data"]["decided_by"] == "dsw1"


def test_four_eyes_wrong_role_and_assignment_refusals_are_403(api):
    case = api.start(user="tm1")
    screening = case["ready_tasks"][0]
    assert api.complete("ehc1", case["id"], screening["id"], SCREENING).status_code == 403  # wrong role
    assert api.complete("tm1", case["id"], screening["id"], SCREENING).status_code == 200
    signoff = api.task("tm1", case["id"], "signoff")
    refused = api.complete("tm1", case["id"], signoff["id"], {"agree": True})
    assert refused.status_code == 403 and "four-eyes" in refused.get_json()["error"]
    assert api.complete("dsw1", case["id"], signoff["id"], {"agree": True}).status_code == 403  # not a manager
    assert api.complete("tm2", case["id"], signoff["id"], {"agree": True}).status_code == 200
    assert [t["element_id"] for t in api.get("ehc1", f"/api/cases/{case['id']}").get_json()["ready_tasks"]] == [
        "early_help"]


def test_form_errors_are_422_field_by_field(api):
    case = api.start()
    response = api.complete("dsw1", case["id"], case["ready_tasks"][0]["id"], {"decision": "maybe", "x": 1})
    assert response.status_code == 422
    assert response.get_json()["field_errors"] == {"decision": ["choose one of the listed options"],
                                                   "rationale": ["this field is required"],
                                                   "x": ["this form has no such field"]}
    assert api.get("dsw1", f"/api/cases/{case['id']}").get_json() == case


def test_a_stale_version_is_409_and_changes_nothing(api):
    first = api.start()
    screening = first["ready_tasks"][0]["id"]
    assert api.complete("dsw1", first["id"], screening, SCREENING,
                        body={"expected_version": first["row_version"]}).status_code == 200
    case = api.get("tm2", f"/api/cases/{first['id']}").get_json()
    audit = api.get("tm2", f"/api/cases/{first['id']}/audit").get_json()
    signoff = case["ready_tasks"][0]["id"]
    old, now = first["row_version"], case["row_version"]
    attempts = [{"body": {"expected_version": old}}, {"headers": {"If-Match": f'"{old}"'}},
                {"headers": {"If-Match": f'"{now + 5}"'}}]
    for attempt in attempts:
        response = api.complete("tm2", case["id"], signoff, {"agree": True}, **attempt)
        assert response.status_code == 409 and "version" in response.get_json()["error"], attempt
    assert api.get("tm2", f"/api/cases/{case['id']}").get_json() == case
    assert api.get("tm2", f"/api/cases/{case['id']}/audit").get_json() == audit
    current = api.complete("tm2", case["id"], signoff, {"agree": True}, headers={"If-Match": f'"{now}"'},
                           body={"expected_version": now})
    assert current.status_code == 200 and current.get_json()["row_version"] == now + 1


def test_malformed_expected_versions_are_400(api):
    case = api.start()
    task_id = case["ready_tasks"][0]["id"]
    for if_match, body in (('W/"1"', {}), ('"one"', {}), ('"1", "2"', {}), ('"1"', {"expected_version": 2}),
                           (None, {"expected_version": "1"}), (None, {"expected_version": True}),
                           (None, {"expected_version": 0}), (None, {"expected_version": 1.0})):
        headers = {"If-Match": if_match} if if_match else {}
        response = api.complete("dsw1", case["id"], task_id, SCREENING, headers=headers, body=body)
        assert response.status_code == 400 and response.get_json()["error"], (if_match, body)
    assert api.get("dsw1", f"/api/cases/{case['id']}").get_json() == case


def test_completing_a_task_twice_is_409_and_an_unknown_task_404(api):
    case = api.start()
    task_id = case["ready_tasks"][0]["id"]
    assert api.complete("dsw1", case["id"], task_id, SCREENING).status_code == 200
    again = api.complete("dsw1", case["id"], task_id, SCREENING)
    assert again.status_code == 409 and again.get_json()["error"]
    for unknown in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert api.complete("dsw1", case["id"], unknown, SCREENING).status_code == 404


# -- claim, assign, release -------------------------------------------------------------------------

def test_claim_assign_release(api):
    case = api.start()
    task_id = case["ready_tasks"][0]["id"]
    url = f"/api/cases/{case['id']}/tasks/{task_id}"

    claimed = api.post("dsw1", f"{url}/claim")
    assert claimed.status_code == 204 and claimed.get_data() == b""
    assert api.task("dsw1", case["id"], "screening")["assignee"] == "dsw1"
    assert api.get("dsw2", "/api/tasks").get_json()["total"] == 0  # no longer open to the role
    assert api.get("dsw1", "/api/tasks?mine=true").get_json()["total"] == 1
    assert api.post("dsw2", f"{url}/claim").status_code == 409  # dsw1 has it
    assert api.complete("dsw2", case["id"], task_id, SCREENING).status_code == 403

    assert api.post("dsw1", f"{url}/release").status_code == 204
    assert api.task("dsw1", case["id"], "screening")["assignee"] is None
    assert api.post("tm1", f"{url}/assign", {"username": "dsw2"}).status_code == 204
    assert api.task("dsw1", case["id"], "screening")["assignee"] == "dsw2"
    assert api.post("dsw1", f"{url}/assign", {"username": "tm1"}).status_code == 409  # dsw2 has it
    assert api.post("dsw2", f"{url}/release").status_code == 204

    assert api.post("dsw1", f"{url}/assign", {"username": "ehc1"}).status_code == 403  # lacks the role
    assert api.post("ehc1", f"{url}/claim").status_code == 403
    assert api.post("dsw1", f"{url}/assign", {"username": "nobody"}).status_code == 404
    assert api.post("dsw1", f"{url}/assign", {}).status_code == 400
    assert api.post("dsw1", f"{url}/assign", {"username": "dsw2", "role": "x"}).status_code == 400
    assert api.post("dsw1", f"/api/cases/999/tasks/{task_id}/claim").status_code == 404

    actions = [e["action"] for e in api.get("dsw1", f"/api/cases/{case['id']}/audit").get_json()]
    assert actions == ["case_started", "task_claimed", "task_released", "task_assigned", "task_released"]


# -- inbox ------------------------------------------------------------------------------------------

def test_inbox_filters_and_pages(api):
    cases = [api.start(name=name) for name in ("Ann", "Ben", "Cal")]
    page = api.get("dsw2", "/api/tasks").get_json()
    assert (page["total"], page["page"], page["per_page"]) == (3, 1, 50)
    item = page["items"][0]
    assert item["case_id"] == cases[0]["id"] and item["element_id"] == "screening" and item["pathway"] == "mini"
    assert item["due_at"] == "2026-11-23T11:00:00+00:00" and item["task_id"] == cases[0]["ready_tasks"][0]["id"]

    second = api.get("dsw2", "/api/tasks?per_page=2&page=2").get_json()
    assert (second["total"], second["page"], second["per_page"], len(second["items"])) == (3, 2, 2, 1)
    assert second["items"][0]["case_id"] == cases[2]["id"]

    def total(query, user="dsw2"):
        response = api.get(user, f"/api/tasks?{query}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["total"]

    assert total("pathway=mini") == 3 and total("pathway=other") == 0
    assert total("task=screening") == 3 and total("task=signoff") == 0
    assert total("due_before=2026-11-23T10:00:00Z") == 0 and total("due_before=2026-11-23T12:00:00%2B00:00") == 3
    assert total("due_before=2026-11-23T12:00:00") == 3  # no zone: UTC
    assert total("mine=false") == 3 and total("mine=true") == 0
    assert total("", user="ehc1") == 0 and total("", user="tm2") == 0


def test_inbox_refuses_bad_query_parameters(api):
    for query in ("page=0", "page=x", "page=1.5", "page=100001", "per_page=0", "per_page=201", "per_page=",
                  "mine=maybe", "due_before=tomorrow", "due_before=", "pathway=", "task=" + "x" * 201,
                  "colour=red", "page=1&page=2"):
        response = api.get("dsw1", f"/api/tasks?{query}")
        assert response.status_code == 400 and response.get_json()["error"], query


# -- audit --------------------------------------------------------------------------------------------

def test_audit_trail_and_verify(api):
    case = api.start()
    api.complete("dsw1", case["id"], case["ready_tasks"][0]["id"], SCREENING)
    events = api.get("tm2", f"/api/cases/{case['id']}/audit").get_json()
    assert [(e["seq"], e["action"], e["actor"]) for e in events] == [
        (1, "case_started", "dsw1"), (2, "task_completed", "dsw1")]
    completed = events[1]
    assert completed["element_id"] == "screening" and completed["after"] == SCREENING
    assert completed["at"] == START.isoformat() and len(completed["hash"]) >= 32
    assert set(events[0]) == {"seq", "at", "actor", "action", "element_id", "summary", "before", "after", "hash"}
    verify = api.get("tm2", f"/api/cases/{case['id']}/audit/verify").get_json()
    assert verify == {"ok": True, "events": 2, "first_bad_seq": None, "reason": verify["reason"]}
