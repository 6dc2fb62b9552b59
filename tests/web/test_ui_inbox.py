"""The inbox page: my tasks, time left, counts, filters, pages, claim and release (CSRF on throughout)."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest

from engine import InboxFilter
from tests.web.test_ui_auth import sign_in
from web.ui_inbox import PER_PAGE, time_left

pytestmark = pytest.mark.postgres


def start(engine, name="Sam", user="dsw1"):
    return engine.start_case("mini", {"child_name": name, "concern": "bruise"}, engine.actor(user))


def forms(page, action):
    """The hidden fields of every ``action`` form on the page (claim or release)."""
    text = page.get_data(as_text=True)
    found = []
    for body in re.findall(rf'<form class="app-inline-form" method="post" action="/inbox/{action}">(.*?)</form>',
                           text, re.S):
        found.append({k: htmllib.unescape(v) for k, v in re.findall(r'name="(\w+)" value="([^"]*)"', body)})
    return found


def test_the_inbox_lists_my_tasks_with_counts(client, engine):
    case = start(engine)
    sign_in(client)
    page = client.get("/inbox")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<title>Inbox – Pathways</title>" in text
    assert "Initial screening" in text and case.reference in text and "mini" in text
    assert "Due in 2 hours" in text and "Overdue</strong>" not in text
    assert "Unassigned for Duty Social Worker" in text and "Signed in as Dee Duty" in text
    assert page.headers["Cache-Control"] == "no-store"


def test_an_overdue_task_shows_overdue_and_escalated(client, engine, clock):
    start(engine)
    clock.advance(dt.timedelta(hours=3))
    engine.tick()
    sign_in(client)
    text = client.get("/inbox").get_data(as_text=True)
    assert 'govuk-tag--red">Overdue</strong>' in text
    assert "Escalated" in text
    overdue = re.search(r'Overdue</dt>\s*<dd class="govuk-summary-list__value">(\d+)', text)
    assert overdue and int(overdue.group(1)) >= 1


def test_time_left_wording():
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)  # a Monday
    assert time_left(None, now) is None
    assert time_left(now, now).text == "Overdue"
    assert time_left(now + dt.timedelta(minutes=30), now).text == "Due in 1 hour"
    assert time_left(now + dt.timedelta(hours=5), now).text == "Due in 5 hours"
    assert time_left(now + dt.timedelta(days=3), now).text == "Due in 3 working days"
    friday = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone.utc)
    assert time_left(friday + dt.timedelta(days=3), friday).text == "Due in 1 working day"  # over the weekend


def test_claim_then_release_through_the_forms(client, engine):
    case = start(engine)
    sign_in(client)
    [claim] = forms(client.get("/inbox?due=week"), "claim")
    assert claim["case_id"] == str(case.id) and claim["return_to"] == "/inbox?due=week"

    assert client.post("/inbox/claim", data={k: v for k, v in claim.items() if k != "csrf_token"}).status_code == 400
    response = client.post("/inbox/claim", data=claim)
    assert response.status_code == 303 and response.headers["Location"] == "/inbox?due=week"
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert "govuk-notification-banner--success" in text and "You have claimed ‘Initial screening’" in text
    assert engine.inbox(engine.actor("dsw1"), InboxFilter(mine_only=True)).total == 1
    assert forms(page, "claim") == []

    [release] = forms(page, "release")
    response = client.post("/inbox/release", data=release)
    assert response.status_code == 303
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have released ‘Initial screening’" in text
    assert engine.inbox(engine.actor("dsw1"), InboxFilter(mine_only=True)).total == 0


def test_an_engine_refusal_is_a_notification_not_a_traceback(client, engine):
    start(engine)
    sign_in(client)
    [claim] = forms(client.get("/inbox"), "claim")
    engine.claim_task(int(claim["case_id"]), claim["task_id"], engine.actor("dsw2"))
    response = client.post("/inbox/claim", data=claim)
    assert response.status_code == 303
    text = client.get("/inbox").get_data(as_text=True)
    assert "govuk-notification-banner" in text and "could not be claimed" in text
    assert "Traceback" not in text


def test_an_offsite_return_to_is_ignored(client, engine):
    start(engine)
    sign_in(client)
    [claim] = forms(client.get("/inbox"), "claim")
    response = client.post("/inbox/claim", data={**claim, "return_to": "https://evil.example/"})
    assert response.headers["Location"] == "/inbox"


def test_filters(client, engine, clock):
    start(engine, "Ann")
    sign_in(client)
    assert "Initial screening" in client.get("/inbox?pathway=mini&task=screening&due=today").get_data(as_text=True)
    for query in ("pathway=other", "task=chase", "due=overdue", "mine=1"):
        text = client.get(f"/inbox?{query}").get_data(as_text=True)
        assert 'id="no-tasks">No tasks match these filters.' in text, query
        assert "Clear filters" in text
    page = client.get("/inbox?due=nonsense&page=abc")  # bad values are ignored, not a 500
    assert page.status_code == 200 and "Initial screening" in page.get_data(as_text=True)
    text = client.get("/inbox").get_data(as_text=True)
    assert '<option value="mini">Mini front door</option>' in text
    assert '<option value="screening">Initial screening</option>' in text


def test_pagination(client, engine):
    for n in range(PER_PAGE + 2):
        start(engine, f"Child{n}")
    sign_in(client)
    first = client.get("/inbox").get_data(as_text=True)
    assert "govuk-pagination" in first and 'href="/inbox?page=2"' in first and 'rel="next"' in first
    assert f"Tasks 1 to {PER_PAGE} of {PER_PAGE + 2}" in first
    second = client.get("/inbox?page=2").get_data(as_text=True)
    assert f"Tasks {PER_PAGE + 1} to {PER_PAGE + 2} of {PER_PAGE + 2}" in second and 'rel="prev"' in second
    assert second.count("<th scope=\"row\"") == 2
    assert "no tasks on page 9" in client.get("/inbox?page=9").get_data(as_text=True)
