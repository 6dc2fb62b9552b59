"""The case page and the task page: forms from JSON Schema, completing, errors, conflicts, four eyes (CSRF on)."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
from werkzeug.datastructures import MultiDict

from tests.web.test_ui_auth import sign_in
from web.ui_forms import build_fields, read_submission

pytestmark = pytest.mark.postgres


def start(engine, name="Sam", user="dsw1"):
    return engine.start_case("mini", {"child_name": name, "concern": "bruise"}, engine.actor(user))


def task_id(engine, case_id, element_id, user="dsw1"):
    [task] = [t for t in engine.get_case(case_id, engine.actor(user)).ready_tasks if t.element_id == element_id]
    return task.id


def hidden(page) -> dict:
    text = page.get_data(as_text=True)
    return {k: htmllib.unescape(v) for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text)}


def open_task(client, engine, case, element_id, user="dsw1"):
    url = f"/cases/{case.id}/tasks/{task_id(engine, case.id, element_id, user)}"
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    return url, page


def test_the_task_page_renders_the_screening_form(client, engine):
    case = start(engine)
    sign_in(client)
    _, page = open_task(client, engine, case, "screening")
    text = page.get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">Initial screening</h1>" in text and case.reference in text
    assert "Screen the contact within 2 hours." in text and 'id="task-due"' in text
    assert 'type="radio" value="safeguarding"' in text and 'name="decision"' in text and "Early help" in text
    assert re.search(r'<(textarea|input)[^>]*name="rationale"', text)
    assert "(optional)" not in text  # both fields are required
    assert hidden(page)["expected_version"] == str(case.row_version)


def test_submitting_valid_data_completes_the_task(client, engine):
    case = start(engine)
    sign_in(client)
    url, page = open_task(client, engine, case, "screening")
    response = client.post(url, data={**hidden(page), "decision": "safeguarding", "rationale": "visible injury"})
    assert response.status_code == 303 and response.headers["Location"] == f"/cases/{case.id}"
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "govuk-notification-banner--success" in text and "‘Initial screening’ completed" in text
    assert "Sign off decision" in text and f"/cases/{case.id}/tasks/" in text
    view = engine.get_case(case.id, engine.actor("dsw1"))
    assert view.data["decision"] == "safeguarding" and view.data["decided_by"] == "dsw1"


def test_a_post_without_the_csrf_token_is_refused(client, engine):
    case = start(engine)
    sign_in(client)
    url, page = open_task(client, engine, case, "screening")
    form = {k: v for k, v in hidden(page).items() if k != "csrf_token"}
    assert client.post(url, data={**form, "decision": "nfa", "rationale": "fine"}).status_code == 400
    assert engine.get_case(case.id, engine.actor("dsw1")).row_version == case.row_version


def test_invalid_data_shows_the_error_summary_and_keeps_what_was_typed(client, engine):
    case = start(engine)
    sign_in(client)
    url, page = open_task(client, engine, case, "screening")
    response = client.post(url, data={**hidden(page), "rationale": "ok"})  # no decision; rationale too short
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in text and 'href="#decision">Select decision' in text
    assert 'href="#rationale">' in text and 'id="rationale-error"' in text
    assert re.search(r'name="rationale"[^>]*>ok</textarea>|name="rationale"[^>]*value="ok"', text)
    assert "<title>Error: " in text
    assert engine.get_case(case.id, engine.actor("dsw1")).row_version == case.row_version


def test_four_eyes_is_shown_and_the_decider_cannot_sign_off(client, engine):
    engine.add_user("tm9", "Tina Manager", ["Team Manager", "Duty Social Worker"], password="pw-tm9")
    case = start(engine)
    sign_in(client, "tm9", "pw-tm9")
    url, page = open_task(client, engine, case, "screening", "tm9")
    assert client.post(url, data={**hidden(page), "decision": "safeguarding", "rationale": "bruise"}).status_code == 303
    url, page = open_task(client, engine, case, "signoff", "tm9")
    text = page.get_data(as_text=True)
    assert 'id="four-eyes"' in text and "<strong>tm9</strong>, who cannot sign it off" in text
    # The decider is told up front, and gets no form to fill in.
    assert 'id="blocked"' in text and "tm9 recorded the decision" in text and 'type="radio"' not in text
    assert "Complete task" not in text
    version = engine.get_case(case.id, engine.actor("tm9")).row_version
    response = client.post(url, data={"csrf_token": hidden(page)["csrf_token"], "expected_version": str(version),
                                      "agree": "yes", "reason": "agreed"})  # posted anyway: refused, typing kept
    text = response.get_data(as_text=True)
    assert response.status_code == 403 and "four-eyes rule" in text and "tm9 recorded the decision" in text
    assert 'value="yes" checked' in text and "agreed" in text


def test_a_stale_form_is_a_conflict_and_keeps_what_was_typed(client, engine):
    case = start(engine)
    sign_in(client)
    url, page = open_task(client, engine, case, "screening")
    engine.complete_task(case.id, task_id(engine, case.id, "screening"), {"decision": "nfa", "rationale": "none"},
                         engine.actor("dsw2"))
    response = client.post(url, data={**hidden(page), "decision": "safeguarding", "rationale": "my careful words"})
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else has changed this case since you opened this task:" in text
    assert "What you typed is kept below; check the case before submitting again." in text
    assert "my careful words" in text and "Complete task" not in text
    # Back in the task's own form (the choice is still a checked radio), saying who completed it meanwhile.
    assert 'type="radio" value="safeguarding" checked' in text
    assert 'id="completed-by"' in text and "Dan Duty completed it on" in text


def test_a_stale_version_with_the_task_still_ready_refreshes_the_version(client, engine, clock):
    case = start(engine)
    sign_in(client)
    url, page = open_task(client, engine, case, "screening")
    clock.advance(dt.timedelta(hours=3))
    engine.tick()  # the late-screening timer fires: the case moves on, screening is still to do
    now = engine.get_case(case.id, engine.actor("dsw1")).row_version
    assert now != case.row_version
    response = client.post(url, data={**hidden(page), "decision": "nfa", "rationale": "typed text"})
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "typed text" in text and "Complete task" in text
    assert hidden(response)["expected_version"] == str(now)
    response = client.post(url, data={**hidden(response), "decision": "nfa", "rationale": "typed text"})
    assert response.status_code == 303


def test_the_case_page_lists_tasks_data_and_timeline(client, engine):
    case = start(engine)
    sign_in(client)
    page = client.get(f"/cases/{case.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert case.reference in text and "Mini front door, version" in text and 'id="ready-tasks"' in text
    assert "Initial screening" in text and 'id="case-data"' in text and "Child name" in text and "bruise" in text
    assert 'id="timeline"' in text and "dsw1" in text
    assert ">Settings<" not in text


def test_unknown_case_and_task_are_404_pages(client, engine):
    case = start(engine)
    sign_in(client)
    missing = client.get("/cases/999999")
    assert missing.status_code == 404 and "govuk-heading-l" in missing.get_data(as_text=True)
    assert client.get(f"/cases/{case.id}/tasks/no-such-task").status_code == 404


def test_signed_out_pages_redirect_to_login(client, engine):
    case = start(engine)
    for url in (f"/cases/{case.id}", f"/cases/{case.id}/tasks/x"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_a_user_without_a_role_of_the_pathway_is_refused(client, engine):
    engine.add_user("outsider", "Out Sider", [], password="pw-out")
    case = start(engine)
    sign_in(client, "outsider", "pw-out")
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 403 and "Sorry, there is a problem" in response.get_data(as_text=True)


def test_the_inbox_links_to_the_task_page(client, engine):
    case = start(engine)
    sign_in(client)
    text = client.get("/inbox").get_data(as_text=True)
    assert f'href="/cases/{case.id}/tasks/{task_id(engine, case.id, "screening")}"' in text


SCHEMA = {
    "type": "object",
    "properties": {
        "agrees": {"type": "boolean", "title": "Do you agree?"},
        "level": {"type": "string", "oneOf": [{"const": "a", "title": "Level A"}, {"const": "b", "title": "Level B"}]},
        "count": {"type": "integer", "title": "How many"},
        "when": {"type": "string", "format": "date"},
        "short": {"type": "string", "maxLength": 50},
        "kinds": {"type": "array", "items": {"enum": ["x", "y"]}},
        "many": {"type": "string", "enum": [str(n) for n in range(12)]},
        "why": {"type": "string"},
    },
    "required": ["agrees", "level"],
    "if": {"properties": {"agrees": {"const": False}}}, "then": {"required": ["why"]},
}


def test_schema_fields_and_conversion():
    top = build_fields(SCHEMA, {})
    fields = {f.name: f for f in top + top[0].children}
    assert [(c.name, c.reveal_for) for c in top[0].children] == [("why", "no")]  # revealed under "No"
    assert fields["agrees"].kind == "radios" and fields["agrees"].options == [("yes", "Yes"), ("no", "No")]
    assert fields["level"].kind == "radios" and fields["level"].options == [("a", "Level A"), ("b", "Level B")]
    assert fields["count"].kind == "number" and fields["when"].kind == "date"
    assert fields["when"].hint == "For example, 27 3 2007"
    assert [(p.name, p.id) for p in fields["when"].parts] == [("when", "when"), ("when-month", "when-month"),
                                                              ("when-year", "when-year")]
    assert fields["short"].kind == "text" and fields["why"].kind == "textarea"
    assert fields["kinds"].kind == "checkboxes" and fields["many"].kind == "select"
    assert not fields["agrees"].optional and not fields["why"].optional and fields["short"].optional
    form = MultiDict([("agrees", "no"), ("level", "b"), ("count", "3"), ("when", ""), ("kinds", "x"),
                      ("kinds", "y"), ("why", "because"), ("short", "")])
    data, typed, errors = read_submission(SCHEMA, form)
    assert errors == {}
    assert data == {"agrees": False, "level": "b", "count": 3, "kinds": ["x", "y"], "why": "because"}
    assert typed["kinds"] == ["x", "y"] and typed["when"] == "" and typed["when-year"] == ""
    data, _, errors = read_submission(SCHEMA, MultiDict([("when", "7"), ("when-month", "3"), ("when-year", "2026")]))
    assert errors == {} and data["when"] == "2026-03-07"
    _, _, errors = read_submission(SCHEMA, MultiDict([("count", "lots"), ("level", "zzz")]))
    assert set(errors) == {"count", "level"}
