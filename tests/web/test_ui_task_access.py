"""Who may work a task, said on the task page before anyone types; a task done meanwhile; error pages.

* A reader of the case who may not complete a task (another role's, assigned to someone else, four
  eyes) sees what the task is and why not, with no form; a post anyway is refused (403).
* Pages outside the API answer HTTP errors with GOV.UK error pages; the API keeps JSON.
* "For this decision" shows the forms' titles and choices, not field names and codes.
"""
from __future__ import annotations

import pytest

from tests.integration.front_door_cases import complete, front_door_engine
from tests.web.test_ui_auth import sign_in
from tests.web.test_ui_task import hidden, start, task_id
from web.app import create_app

pytestmark = pytest.mark.postgres


def test_another_roles_task_is_explained_without_a_form(client, engine):
    case = start(engine)
    engine.add_user("tm8", "Tom Eight", ["Team Manager"], password="pw-tm8")
    sign_in(client, "tm8", "pw-tm8")
    # tm8 may read the case (Team Manager is a lane of the pathway) but screening is the duty's.
    url = f"/cases/{case.id}/tasks/{task_id(engine, case.id, 'screening')}"
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="blocked"' in text
    assert "needs the role &#39;Duty Social Worker&#39;" in text or "needs the role 'Duty Social Worker'" in text
    assert 'name="decision"' not in text and "Complete task" not in text and "Save as draft" not in text
    response = client.post(url, data={"csrf_token": hidden(page)["csrf_token"],
                                      "expected_version": str(case.row_version), "decision": "nfa"})
    assert response.status_code == 403 and "You cannot complete this task" in response.get_data(as_text=True)
    assert engine.get_case(case.id, engine.actor("dsw1")).row_version == case.row_version


def test_a_task_assigned_to_someone_else_is_explained(client, engine):
    case = start(engine)
    tid = task_id(engine, case.id, "screening")
    engine.claim_task(case.id, tid, engine.actor("dsw2"))
    sign_in(client)
    text = client.get(f"/cases/{case.id}/tasks/{tid}").get_data(as_text=True)
    assert 'id="blocked"' in text and "assigned to dsw2" in text and 'name="decision"' not in text
    engine.release_task(case.id, tid, engine.actor("dsw2"))
    text = client.get(f"/cases/{case.id}/tasks/{tid}").get_data(as_text=True)
    assert 'id="blocked"' not in text and 'name="decision"' in text


def test_html_pages_answer_http_errors_the_govuk_way(client):
    response = client.get("/no-such-page")
    text = response.get_data(as_text=True)
    assert response.status_code == 404 and "Page not found" in text and "govuk-template" in text
    response = client.delete("/login")
    assert response.status_code == 405 and "Allow" in response.headers and "govuk-template" in response.get_data(
        as_text=True)
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.is_json


def test_for_this_decision_shows_titles_and_choices(database_url):
    engine = front_door_engine(database_url)
    try:
        case = engine.start_case("front_door", {
            "child_name": "Ola", "referral_source": "1B", "contact_method": "phone",
            "contact_received_at": "2026-11-23T09:00:00+00:00", "concern": "Often hungry at school"},
            engine.actor("dsw"))
        complete(engine, case.id, "record_consent", "dsw", {"consent_status": "given",
                                                            "consent_given_by": "parent_or_carer",
                                                            "consent_relationship": "mother",
                                                            "consent_date": "2026-11-23",
                                                            "consent_scope": ["share_information"]})
        complete(engine, case.id, "record_threshold_indicators", "dsw", {
            "developmental_needs": [], "family_environmental_factors": [], "parents_and_carers": [],
            "significant_harm_suspected": False, "child_in_need_concern": False, "multi_agency_needed": False})
        [task] = engine.get_case(case.id, engine.actor("dsw")).ready_tasks
        shown = {f.name: f for f in task.shown}
        assert shown["consent_status"].title == "Agreement" and shown["consent_status"].items == ("Given",)
        assert shown["share_without_consent"].items == ()  # not recorded
        app = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "test"})
        client = app.test_client()
        sign_in(client, "dsw", "pw-dsw-long")
        text = client.get(f"/cases/{case.id}/tasks/{task.id}").get_data(as_text=True)
        assert "<dt class=\"govuk-summary-list__key\">Agreement</dt>" in text
        assert "consent_status" not in text.split('id="for-this-decision"')[1].split("</div>\n    </div>")[0]
    finally:
        engine.dispose()
