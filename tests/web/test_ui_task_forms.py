"""The task page with a UI schema, a nested object, GOV.UK date inputs and a list of objects (CSRF on).

The fixture pathway ``mini`` is published again from a temporary copy whose screening form has more
fields and a UI schema (``formUiSchemaFilename``); new cases start on that version.
"""
from __future__ import annotations

import json
import re
import shutil

import pytest

from engine import Actor
from tests.integration.conftest import FORMS, PROCESSES
from tests.web.test_ui_auth import sign_in
from tests.web.test_ui_task import hidden, open_task, start

pytestmark = pytest.mark.postgres

SCREENING = {
    "type": "object", "title": "Screening decision",
    "properties": {
        "decision": {"type": "string", "enum": ["safeguarding", "early_help", "nfa"]},
        "rationale": {"type": "string", "minLength": 3},
        "seen_on": {"type": "string", "format": "date", "title": "Date the child was seen"},
        "referrer": {"type": "object", "title": "Referrer",
                     "properties": {"name": {"type": "string", "title": "Name", "minLength": 2, "maxLength": 100},
                                    "phone": {"type": "string", "title": "Phone", "maxLength": 30}},
                     "required": ["name"]},
        "actions": {"type": "array", "title": "Actions", "maxItems": 5,
                    "items": {"type": "object", "title": "Action", "required": ["what"],
                              "properties": {"what": {"type": "string", "title": "What", "maxLength": 200},
                                             "by": {"type": "string", "format": "date", "title": "By when"}}}},
    },
    "required": ["decision", "rationale", "referrer"],
    "additionalProperties": False,
}
UI = {
    "ui:order": ["decision", "*", "rationale"],
    "decision": {"ui:widget": "select", "ui:title": "Your decision"},
    "rationale": {"ui:help": "Say what you saw and heard.", "ui:options": {"rows": 8}},
    "referrer": {"phone": {"ui:options": {"width": "20"}, "ui:autocomplete": "tel"}},
    "seen_on": {"ui:unknown": True},
}


@pytest.fixture
def rich(engine, tmp_path):
    folder, forms = tmp_path / "mini", tmp_path / "forms"
    shutil.copytree(PROCESSES / "mini", folder)
    shutil.copytree(FORMS, forms)
    (forms / "mini-screening.schema.json").write_text(json.dumps(SCREENING))
    (forms / "mini-screening.uischema.json").write_text(json.dumps(UI))
    bpmn = folder / "mini.bpmn"
    line = '<spiffworkflow:property name="formJsonSchemaFilename" value="mini-screening.schema.json"/>'
    text = bpmn.read_text()
    assert text.count(line) == 1
    bpmn.write_text(text.replace(line, line + '\n          <spiffworkflow:property name="formUiSchemaFilename" '
                                              'value="mini-screening.uischema.json"/>'))
    engine.publish_folder(folder, forms, Actor.system())
    return engine


def test_the_page_lays_the_form_out_by_its_ui_schema(client, rich):
    case = start(rich)
    sign_in(client)
    _, page = open_task(client, rich, case, "screening")
    text = page.get_data(as_text=True)
    order = [text.index(f'name="{n}"') for n in ("decision", "seen_on", "referrer.name", "actions[0].what",
                                                  "rationale")]
    assert order == sorted(order)
    assert '<select class="govuk-select" id="decision" name="decision">' in text and "Your decision" in text
    assert re.search(r'<textarea class="govuk-textarea" id="rationale" name="rationale" rows="8" '
                     r'aria-describedby="rationale-hint">', text)
    assert "Say what you saw and heard." in text
    assert 'class="govuk-input govuk-input--width-20" id="referrer-phone" name="referrer.phone" type="text" ' \
           'autocomplete="tel"' in text
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">Referrer</legend>' in text
    for name in ("seen_on", "seen_on-month", "seen_on-year"):
        assert f'id="{name}" name="{name}" type="text" inputmode="numeric"' in text
    assert 'name="action" value="add:actions">Add another action</button>' in text
    # a form with "Add another" starts with a hidden copy of its main button: Enter completes the task
    assert text.index('tabindex="-1" aria-hidden="true">Complete task</button>') < text.index('name="decision"')


def test_nested_and_date_errors_are_shown_beside_their_fields_and_in_the_summary(client, rich):
    case = start(rich)
    sign_in(client)
    url, page = open_task(client, rich, case, "screening")
    response = client.post(url, data={**hidden(page), "decision": "nfa", "rationale": "seen at school",
                                      "referrer.name": "", "referrer.phone": "0116",
                                      "seen_on": "31", "seen_on-month": "2", "seen_on-year": "2026"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<a href="#seen_on">Date the child was seen must be a real date</a>' in text
    assert 'value="31"' in text and 'value="0116"' in text  # what was typed is kept
    # the date is right now; the engine finds the nested field missing
    response = client.post(url, data={**hidden(page), "decision": "nfa", "rationale": "seen at school",
                                      "referrer.name": "", "referrer.phone": "0116",
                                      "seen_on": "27", "seen_on-month": "Feb", "seen_on-year": "2026"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<a href="#referrer-name">Enter name</a>' in text
    assert ('<p id="referrer-name-error" class="govuk-error-message"><span class="govuk-visually-hidden">'
            'Error:</span> Enter name</p>') in text
    assert 'class="govuk-input govuk-input--error" id="referrer-name" name="referrer.name"' in text


def test_a_complete_form_is_saved_as_nested_json(client, rich):
    case = start(rich)
    sign_in(client)
    url, page = open_task(client, rich, case, "screening")
    response = client.post(url, data={**hidden(page), "action": "add:actions", "actions[0].what": "Call the GP"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" not in text
    assert 'name="actions[1].what"' in text and 'value="Call the GP"' in text and "Action 2" in text
    response = client.post(url, data={
        **hidden(response), "decision": "early_help", "rationale": "needs support", "referrer.name": "Ann Smith",
        "seen_on": "7", "seen_on-month": "3", "seen_on-year": "2026",
        "actions[0].what": "Call the GP", "actions[0].by": "1", "actions[0].by-month": "12",
        "actions[0].by-year": "2026", "actions[1].what": "", "actions[1].by": ""})
    assert response.status_code == 303, response.get_data(as_text=True)
    data = rich.get_case(case.id, rich.actor("dsw1")).data
    assert data["referrer"] == {"name": "Ann Smith"} and data["seen_on"] == "2026-03-07"
    assert data["actions"] == [{"what": "Call the GP", "by": "2026-12-01"}]


def test_a_draft_of_a_nested_form_comes_back_as_typed(client, rich):
    case = start(rich)
    sign_in(client)
    url, page = open_task(client, rich, case, "screening")
    response = client.post(url, data={**hidden(page), "action": "draft", "referrer.phone": "0116 496 0000",
                                      "seen_on": "", "seen_on-month": "13", "actions[0].what": "Visit"})
    assert response.status_code == 303
    text = client.get(url).get_data(as_text=True)
    assert 'name="referrer.phone" type="text" value="0116 496 0000"' in text
    assert 'id="seen_on-month" name="seen_on-month" type="text" inputmode="numeric" value="13"' in text
    assert 'name="actions[0].what" type="text" value="Visit"' in text
    assert "govuk-error-summary" not in text  # a draft is not validated


def test_a_task_completed_meanwhile_keeps_nested_and_date_inputs_as_typed(client, rich):
    case = start(rich)
    sign_in(client)
    url, page = open_task(client, rich, case, "screening")
    task = url.rsplit("/", 1)[1]
    rich.complete_task(case.id, task, {"decision": "nfa", "rationale": "none", "referrer": {"name": "Bo"}},
                       rich.actor("dsw2"))
    response = client.post(url, data={**hidden(page), "decision": "early_help", "referrer.name": "Ann Smith",
                                      "seen_on": "7", "seen_on-month": "3", "seen_on-year": "2026"})
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "Someone else has changed this case" in text
    # Back in the task's own form: a nested text input and the date's three inputs, as typed.
    for name, value in (("referrer.name", "Ann Smith"), ("seen_on", "7"), ("seen_on-month", "3"),
                        ("seen_on-year", "2026")):
        assert re.search(rf'name="{re.escape(name)}"[^>]*value="{value}"', text), name
    assert re.search(r'value="early_help"[^>]*(checked|selected)', text)
    assert ">Complete task<" not in text and ">Save as draft<" not in text


def test_the_public_referral_form_takes_a_gov_uk_date_and_refuses_unknown_inputs(engine, tmp_path):
    from web.app import create_app
    from tests.web.test_ui_auth import csrf_of

    folder, forms = tmp_path / "helper", tmp_path / "forms"
    shutil.copytree(PROCESSES / "helper", folder)
    shutil.copytree(FORMS, forms)
    with (folder / "pathway.yaml").open("a") as manifest:
        manifest.write("\npublic_start: true\n")
    schema = json.loads((forms / "helper-request.schema.json").read_text())
    schema["properties"]["child_dob"] = {"type": "string", "format": "date", "title": "Date of birth"}
    (forms / "helper-request.schema.json").write_text(json.dumps(schema))
    engine.publish_folder(folder, forms, Actor.system())
    client = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "t",
                         "REFERRAL_PATHWAY": "helper"}).test_client()

    def refer(**fields):
        return client.post("/referral", data={"csrf_token": csrf_of(client.get("/referral")), **fields})

    response = refer(child_name="Ria", concern="not eating", child_dob="30", **{"child_dob-month": "2",
                                                                                "child_dob-year": "2015"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and '<a href="#child_dob">Date of birth must be a real date</a>' in text
    assert refer(child_name="Ria", concern="not eating", **{"child_dob-day": "3"}).status_code == 400
    response = refer(child_name="Ria", concern="not eating", child_dob="3", **{"child_dob-month": "2",
                                                                               "child_dob-year": "2015"})
    assert response.status_code == 303
