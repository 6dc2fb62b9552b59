"""The public online referral form (/referral) and "Record a contact" (/contacts/new), CSRF on.

The fixture pathways have no front door: the test app points ``REFERRAL_PATHWAY`` at ``helper``,
published again from a temporary copy whose manifest says ``public_start: true`` (its start form
declares neither ``contact_method`` nor ``contact_received_at``, so the page must fill in neither),
and ``CONTACT_PATHWAY`` at ``mini``.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from engine import Engine, InboxFilter
from tests.integration.test_public_start import make_public
from tests.web.test_ui_auth import csrf_of, sign_in
from web.app import create_app

pytestmark = pytest.mark.postgres

EMERGENCY = ("If a child is in immediate danger, call 999. Emergencies only, outside office hours and at weekends "
             "and bank holidays: (0116) 305 0005, or the police: (0116) 222 2222.")


@pytest.fixture
def app(engine, tmp_path):
    make_public(engine, tmp_path, "helper")
    return create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "test", "REFERRAL_PATHWAY": "helper",
                       "CONTACT_PATHWAY": "mini"})


def refer(client, **fields):
    token = csrf_of(client.get("/referral"))
    return client.post("/referral", data={"csrf_token": token, **fields})


def test_the_referral_page_needs_no_sign_in_and_shows_the_emergency_numbers_first(client):
    page = client.get("/referral")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Signed in as" not in text
    assert EMERGENCY in text and 'class="govuk-warning-text"' in text
    assert text.index(EMERGENCY) < text.index('name="child_name"') and 'name="concern"' in text
    assert 'name="contact_method"' not in text and 'name="contact_received_at"' not in text


def test_a_valid_referral_is_confirmed_and_reaches_the_duty_inbox(client, engine):
    response = refer(client, child_name="Ria", concern="not eating at school")
    assert response.status_code == 303 and response.headers["Location"] == "/referral/sent"
    page = client.get("/referral/sent")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "govuk-panel--confirmation" in text and "What happens next" in text
    assert "within 2 hours" in text and "within 24 hours" in text
    reference = text.split('<strong id="reference">', 1)[1].split("<", 1)[0]
    assert reference.startswith("PW-")
    assert client.get("/referral/sent").status_code == 302  # shown once
    dsw1 = engine.actor("dsw1")
    [item] = [i for i in engine.inbox(dsw1, InboxFilter()).items if i.case_reference == reference]
    case = engine.get_case(item.case_id, dsw1)
    assert case.pathway_key == "helper" and case.data["child_name"] == "Ria"
    assert case.data["case"]["started_by"] == "online referral"
    assert "contact_method" not in case.data  # helper's form does not declare it
    sign_in(client)
    assert reference in client.get("/inbox").get_data(as_text=True)


def test_the_referral_sets_the_manifests_public_fields(engine, tmp_path):
    # The manifest's start_fields names the fields the page sets itself (here a declared field).
    make_public(engine, tmp_path, "helper", "start_fields:\n  public: {concern: online_form}\n")
    client = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "t",
                         "REFERRAL_PATHWAY": "helper"}).test_client()
    assert 'name="concern"' not in client.get("/referral").get_data(as_text=True)
    assert refer(client, child_name="Ria", concern="set by the client").status_code == 400  # not the public's
    assert refer(client, child_name="Ria").status_code == 303
    reference = client.get("/referral/sent").get_data(as_text=True).split('<strong id="reference">', 1)[1][:9]
    dsw1 = engine.actor("dsw1")
    [item] = [i for i in engine.inbox(dsw1, InboxFilter()).items if i.case_reference == reference]
    assert engine.get_case(item.case_id, dsw1).data["concern"] == "online_form"


def test_invalid_data_is_a_400_with_errors_and_keeps_what_was_typed(client):
    response = refer(client, child_name="", concern="hi")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "govuk-error-summary" in text and "<title>Error: " in text
    assert 'href="#child_name"' in text and 'href="#concern"' in text and ">hi</textarea>" in text
    assert EMERGENCY in text


def test_unknown_extra_fields_are_refused(client, engine):
    response = refer(client, child_name="Ria", concern="not eating at school", settings="x")
    assert response.status_code == 400 and "fields it does not have" in response.get_data(as_text=True)
    assert not any(i.pathway_key == "helper" for i in engine.inbox(engine.actor("dsw1"), InboxFilter()).items)


def test_a_pathway_not_open_to_the_public_is_refused(engine):
    client = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "t",
                         "REFERRAL_PATHWAY": "mini"}).test_client()
    response = refer(client, child_name="Sam", concern="bruise")
    assert response.status_code == 403


def test_forms_sent_back_with_errors_do_not_use_up_the_allowance(client):
    for _ in range(6):
        assert refer(client, child_name="", concern="").status_code == 400
    assert refer(client, child_name="Ria", concern="not eating at school").status_code == 303


def test_the_sixth_referral_within_the_window_is_429_and_keeps_what_was_typed(client, engine):
    for n in range(5):
        assert refer(client, child_name=f"Child {n}", concern="not eating at school").status_code == 303
    response = refer(client, child_name="Ria", concern="my careful description")
    text = response.get_data(as_text=True)
    assert response.status_code == 429 and "(0116) 305 0005" in text and "01572 722577" in text
    assert "govuk-error-summary" in text and "Too many referrals" in text
    assert re.search(r'name="child_name"[^>]*(value="Ria"|>Ria<)', text) and "my careful description" in text
    assert not [i for i in engine.inbox(engine.actor("dsw1")).items if i.case_title == "Ria"]


def test_a_flood_of_posts_is_429_with_what_was_typed(engine, tmp_path):
    make_public(engine, tmp_path, "helper")
    client = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "t", "REFERRAL_PATHWAY": "helper",
                         "REFERRAL_POST_LIMIT": (3, 600)}).test_client()
    assert [refer(client, child_name="").status_code for _ in range(3)] == [400, 400, 400]
    response = refer(client, child_name="Ria", concern="typed before the limit")
    assert response.status_code == 429 and "typed before the limit" in response.get_data(as_text=True)


def test_the_rate_limit_forgets_old_hits_on_the_engine_clock(engine, clock, tmp_path):
    make_public(engine, tmp_path, "helper")
    client = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "t", "REFERRAL_PATHWAY": "helper",
                         "REFERRAL_POST_LIMIT": (2, 10)}).test_client()
    assert [refer(client, child_name="").status_code for _ in range(3)] == [400, 400, 429]
    other = {"REMOTE_ADDR": "192.0.2.7"}  # another client address has its own allowance
    token = csrf_of(client.get("/referral"))
    assert client.post("/referral", data={"csrf_token": token}, environ_base=other).status_code == 400
    clock.advance(dt.timedelta(seconds=10.5))
    assert refer(client, child_name="").status_code == 400


def test_the_rate_limit_is_shared_by_two_apps_on_one_database(engine, database_url, clock, tmp_path):
    make_public(engine, tmp_path, "helper")
    # Two app instances (think two gunicorn workers or two servers), each with its own Engine.
    second = Engine(database_url, clock=clock)
    try:
        apps = [create_app({"TESTING": True, "ENGINE": eng, "SECRET_KEY": "shared", "REFERRAL_PATHWAY": "helper",
                            "REFERRAL_POST_LIMIT": (3, 600)}) for eng in (engine, second)]
        clients = [a.test_client() for a in apps]
        codes = [refer(clients[n % 2], child_name="").status_code for n in range(4)]
        assert codes == [400, 400, 400, 429]
        assert refer(clients[0], child_name="").status_code == 429
    finally:
        second.dispose()


def test_the_rate_limit_stores_no_address(engine, client):
    assert refer(client, child_name="Ria", concern="not eating at school").status_code == 303
    with engine.database.engine.connect() as c:
        rows = c.execute(sa.text("select bucket, key_hash from rate_limit_hits order by bucket")).all()
    assert [r.bucket for r in rows] == ["referral", "referral-posts"]
    assert all("127.0.0.1" not in r.key_hash and len(r.key_hash) == 64 for r in rows)


def test_record_a_contact_needs_sign_in(client):
    response = client.get("/contacts/new")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_record_a_contact_starts_a_case_as_the_practitioner(client, engine):
    sign_in(client)
    page = client.get("/contacts/new")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Record a contact" in text and 'name="child_name"' in text
    assert 'href="/contacts/new"' in text  # the header navigation
    response = client.post("/contacts/new", data={"csrf_token": csrf_of(page), "child_name": "Sam",
                                                  "concern": "bruise"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/cases/")
    case_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "govuk-notification-banner--success" in case_page and "Contact recorded" in case_page
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    case = engine.get_case(case_id, engine.actor("dsw1"))
    assert case.pathway_key == "mini" and case.data["case"]["started_by"] == "dsw1"


def test_record_a_contact_shows_errors_and_keeps_what_was_typed(client):
    sign_in(client)
    page = client.get("/contacts/new?pathway=mini")
    response = client.post("/contacts/new?pathway=mini", data={"csrf_token": csrf_of(page), "concern": "typed"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and 'href="#child_name"' in text and "typed" in text


def test_record_a_contact_without_the_start_role_is_403(client, engine):
    engine.add_user("tm9", "Tina Manager", ["Team Manager"], password="pw-tm9")
    sign_in(client, "tm9", "pw-tm9")
    page = client.get("/contacts/new")  # refused before the form is shown
    assert page.status_code == 403 and "You cannot record this contact" in page.get_data(as_text=True)
    assert 'name="child_name"' not in page.get_data(as_text=True)
    assert 'href="/contacts/new"' not in client.get("/inbox").get_data(as_text=True)  # not offered in the menu
    response = client.post("/contacts/new", data={"csrf_token": csrf_of(page), "child_name": "Sam"})
    assert response.status_code == 403 and engine.inbox(engine.actor("dsw1")).total == 0


def test_an_unknown_pathway_is_404(client):
    sign_in(client)
    assert client.get("/contacts/new?pathway=no_such").status_code == 404


def test_the_public_form_marks_the_referrers_own_fields_for_autocomplete(engine, tmp_path):
    """WCAG 1.3.5: the manifest names the fields about the person typing (start_fields.public_autocomplete)."""
    make_public(engine, tmp_path, "helper", extra="start_fields: {public_autocomplete: {child_name: name}}\n")
    client = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "t",
                         "REFERRAL_PATHWAY": "helper"}).test_client()
    text = client.get("/referral").get_data(as_text=True)
    assert re.search(r'<(input|textarea)[^>]*name="child_name"[^>]*autocomplete="name"', text) or re.search(
        r'<(input|textarea)[^>]*autocomplete="name"[^>]*name="child_name"', text)
    assert not re.search(r'name="concern"[^>]*autocomplete=', text)
