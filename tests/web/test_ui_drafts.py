"""Saving a draft from the task page: the button, the banner, the values restored, discarded on completion,
and what the page says when the task was completed meanwhile or the draft is refused (CSRF on)."""
from __future__ import annotations

import re

import pytest

from engine.drafts import MAX_DRAFT_BYTES
from tests.web.test_ui_auth import sign_in
from tests.web.test_ui_task import hidden, open_task, start, task_id

pytestmark = pytest.mark.postgres


def test_the_task_form_has_a_save_as_draft_button(client, engine):
    case = start(engine)
    sign_in(client)
    _, page = open_task(client, engine, case, "screening")
    text = page.get_data(as_text=True)
    assert ('<button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" '
            'name="action" value="draft">Save as draft</button>') in text
    assert text.index(">Complete task<") < text.index(">Save as draft<")  # Enter completes, as it should
    assert 'id="draft-saved"' not in text


def test_a_draft_keeps_what_was_typed_without_validating_and_comes_back(client, engine):
    case = start(engine)
    sign_in(client)
    url, page = open_task(client, engine, case, "screening")
    # "ok" is too short for the form and no decision is chosen: a draft keeps it all the same
    response = client.post(url, data={**hidden(page), "action": "draft", "rationale": "ok"})
    assert response.status_code == 303 and response.headers["Location"] == url
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert "govuk-notification-banner--success" in text and "Draft saved at 09:00" in text  # UK time of the clock
    assert 'id="draft-saved"' in text and "You saved a draft of this task on Mon 23 Nov 2026, 09:00" in text
    assert re.search(r'name="rationale"[^>]*>ok</textarea>', text)
    assert "govuk-error-summary" not in text
    assert engine.get_case(case.id, engine.actor("dsw1")).row_version == case.row_version  # the case is untouched
    # saving again replaces it; my colleague sees the case's values, not my draft
    client.post(url, data={**hidden(page), "action": "draft", "decision": "nfa", "rationale": "second go"})
    text = client.get(url).get_data(as_text=True)
    assert "second go" in text and 'value="nfa" checked' in text
    assert engine.get_draft(case.id, task_id(engine, case.id, "screening"), engine.actor("dsw2")) is None


def test_completing_the_task_discards_the_draft(client, engine):
    case = start(engine)
    sign_in(client)
    url, page = open_task(client, engine, case, "screening")
    client.post(url, data={**hidden(page), "action": "draft", "rationale": "draft words"})
    page = client.get(url)
    response = client.post(url, data={**hidden(page), "decision": "early_help", "rationale": "final words"})
    assert response.status_code == 303
    assert engine.get_draft(case.id, url.rsplit("/", 1)[1], engine.actor("dsw1")) is None
    assert engine.get_case(case.id, engine.actor("dsw1")).data["rationale"] == "final words"


def test_a_draft_of_a_task_completed_meanwhile_is_refused_plainly_and_keeps_what_was_typed(client, engine):
    case = start(engine)
    sign_in(client)
    url, page = open_task(client, engine, case, "screening")
    engine.complete_task(case.id, task_id(engine, case.id, "screening"), {"decision": "nfa", "rationale": "none"},
                         engine.actor("dsw2"))
    response = client.post(url, data={**hidden(page), "action": "draft", "rationale": "my unsaved thoughts"})
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Your draft was not saved:" in text and "What you typed is kept below" in text
    assert "my unsaved thoughts" in text and ">Complete task<" not in text and ">Save as draft<" not in text


def test_a_draft_is_refused_to_someone_who_could_not_work_the_task(client, engine):
    engine.add_user("ehc9", "Eve Nine", ["Early Help Coordinator"], password="pw-ehc9")
    case = start(engine)
    sign_in(client, "ehc9", "pw-ehc9")
    url, page = open_task(client, engine, case, "screening", "ehc9")
    assert 'id="blocked"' in page.get_data(as_text=True)  # told up front, with no form to fill in
    response = client.post(url, data={"csrf_token": hidden(page)["csrf_token"], "action": "draft",
                                      "expected_version": str(case.row_version), "rationale": "not mine to write"})
    text = response.get_data(as_text=True)
    assert response.status_code == 403 and "You cannot save a draft of this task:" in text
    assert "needs the role" in text and "not mine to write" in text


def test_a_draft_over_the_size_limit_is_an_error_and_keeps_what_was_typed(client, engine):
    case = start(engine)
    sign_in(client)
    url, page = open_task(client, engine, case, "screening")
    long_text = "x" * 100_000  # the most one field keeps (web.ui_forms.MAX_VALUE)
    response = client.post(url, data={**hidden(page), "action": "draft", "rationale": long_text, "extra": "y"})
    assert response.status_code == 303
    draft = engine.get_draft(case.id, url.rsplit("/", 1)[1], engine.actor("dsw1"))
    assert draft.values == {"decision": "", "rationale": long_text}  # only the form's own fields are kept
    response = client.post(url, data={**hidden(page), "action": "draft", "rationale": long_text,
                                      "decision": "z" * 100_000})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "govuk-error-summary" in text
    assert "Your draft could not be saved: the draft is" in text and f"the limit is {MAX_DRAFT_BYTES:,} bytes" in text
    assert long_text in text
    assert engine.get_draft(case.id, url.rsplit("/", 1)[1], engine.actor("dsw1")).values == draft.values


def test_a_draft_is_completed_against_the_case_as_it_was_typed(client, engine, clock):
    """The case moved on after the draft was saved: completing from it is a conflict, not an overwrite."""
    import datetime as dt

    case = start(engine)
    sign_in(client)
    url, page = open_task(client, engine, case, "screening")
    client.post(url, data={**hidden(page), "action": "draft", "decision": "nfa", "rationale": "my draft words"})
    clock.advance(dt.timedelta(hours=3))
    engine.tick()  # the late-screening timer fires: the case moves on after the draft was typed
    now = engine.get_case(case.id, engine.actor("dsw1")).row_version
    assert now != case.row_version
    page = client.get(url)
    assert hidden(page)["expected_version"] == str(case.row_version)  # the version the draft was typed at
    response = client.post(url, data={**hidden(page), "decision": "nfa", "rationale": "my draft words"})
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "my draft words" in text
    assert hidden(response)["expected_version"] == str(now)  # looked at again, it may be sent
    assert client.post(url, data={**hidden(response), "decision": "nfa", "rationale": "my draft words"}
                       ).status_code == 303
