"""A case as recorded (Engine.case_records): the manifest's summary, each submission with who and when,
parallel branches keeping their own values, consents; and the inbox's filter choices and names."""
from __future__ import annotations

import pytest

from engine import Actor, CaseNotFoundError, InboxFilter, PermissionDeniedError
from tests.conftest import FIXTURES
from tests.integration.conftest import task_of

pytestmark = pytest.mark.postgres

RECORDS = FIXTURES / "records"
START = {"child_name": "Sam", "child_dob": "2014-03-10", "referral_source": "2B",
         "received_at": "2026-11-23T08:00:00Z"}
GIVEN = {"consent_given": True, "given_by": "Jo", "relationship": "step_parent", "consent_date": "2026-11-24",
         "scope": ["assessment", "sharing"], "withdrawn": False}


def publish_parallel(engine):
    return engine.publish_folder(RECORDS / "parallel", RECORDS / "forms", Actor.system())


def run_parallel_case(engine, actors, *, refuse_first=False):
    """Start, consent (refused once first if asked), then both parallel branches with their own notes."""
    dsw, ehc = actors["dsw1"], actors["ehc1"]
    case = engine.start_case("records_parallel", START, dsw)
    if refuse_first:
        task = task_of(engine, case.id, dsw, "rp_consent")
        engine.complete_task(case.id, task.id, {"consent_given": False, "reason": "Wants to talk to her partner"}, dsw)
    engine.complete_task(case.id, task_of(engine, case.id, dsw, "rp_consent").id, GIVEN, dsw)
    engine.complete_task(case.id, task_of(engine, case.id, dsw, "rp_home_visit").id,
                         {"note": "Seen at home", "seen": True}, dsw)
    engine.complete_task(case.id, task_of(engine, case.id, ehc, "rp_school_check").id,
                         {"note": "School says all is well", "seen": False}, ehc)
    return case


def test_each_record_keeps_its_own_values_in_parallel_branches(engine, actors):
    publish_parallel(engine)
    case = run_parallel_case(engine, actors)
    view = engine.case_records(case.id, actors["dsw1"])
    assert [r.title for r in view.records] == ["Contact received", "Ask the family for consent", "Home visit",
                                               "School check"]
    assert [r.actor for r in view.records] == ["dsw1", "dsw1", "dsw1", "ehc1"]
    assert view.records[-1].actor_name == "Eve Coordinator" and view.records[0].form_title == "Record a contact"
    notes = {r.title: {f.name: f.text for f in r.fields} for r in view.records[2:]}
    assert notes == {"Home visit": {"note": "Seen at home", "seen": "Yes"},
                     "School check": {"note": "School says all is well", "seen": "No"}}
    # The merged data holds one branch's note only: the records are what keep both.
    assert engine.get_case(case.id, actors["dsw1"]).data["note"] in ("Seen at home", "School says all is well")
    assert [r.seq for r in view.records] == sorted(r.seq for r in view.records)


def test_fields_carry_their_form_titles_and_display_values(engine, actors):
    publish_parallel(engine)
    case = run_parallel_case(engine, actors)
    start, consent = engine.case_records(case.id, actors["dsw1"]).records[:2]
    fields = {f.name: f for f in start.fields}
    assert list(fields) == ["child_name", "child_dob", "referral_source", "received_at"]  # the form's order
    assert fields["child_dob"].title == "Child's date of birth" and fields["child_dob"].items == ("10 March 2014",)
    assert fields["referral_source"].items == ("School",) and fields["referral_source"].value == "2B"
    assert fields["received_at"].format == "date-time" and fields["received_at"].value == "2026-11-23T08:00:00Z"
    shown = {f.name: f.items for f in consent.fields}
    assert shown["relationship"] == ("Step parent",)  # an enum without titles: the value made readable
    assert shown["scope"] == ("The assessment", "Sharing with school")  # oneOf titles, one line per item
    assert shown["consent_given"] == ("Yes",) and shown["withdrawn"] == ("No",)


def test_the_summary_is_the_manifests_sections_as_last_recorded(engine, actors):
    publish_parallel(engine)
    case = run_parallel_case(engine, actors)
    summary = engine.case_records(case.id, actors["dsw1"]).summary
    assert [s.heading for s in summary] == ["Child", "Referrer"]
    child, referrer = ({f.title: f.text for f in s.fields} for s in summary)
    assert child == {"Child's name": "Sam", "Child's date of birth": "10 March 2014"}
    # Not recorded: titled from the form, no value; "seen" was last recorded by the school check.
    assert referrer == {"Referrer's name": "", "Referral source": "School", "Child seen?": "No"}


def test_consents_latest_first_with_their_parts(engine, actors):
    publish_parallel(engine)
    case = run_parallel_case(engine, actors, refuse_first=True)
    view = engine.case_records(case.id, actors["dsw1"])
    consents = view.consents
    assert len(consents) == 2 and consents[0].seq > consents[1].seq
    latest, refused = consents[0].consent, consents[1].consent
    assert [f.text for f in latest.agreed] == ["Yes"] and [f.text for f in refused.agreed] == ["No"]
    assert [f.text for f in latest.given_by] == ["Jo", "Step parent"]
    assert [f.text for f in latest.date] == ["24 November 2026"]
    assert latest.scope[0].items == ("The assessment", "Sharing with school")
    assert not latest.is_withdrawn and [f.text for f in refused.notes] == ["Wants to talk to her partner"]
    # Declared parts left empty stay, not recorded (the page says so); notes appear only when recorded.
    assert [(f.name, f.items) for f in refused.date] == [("consent_date", ())] and latest.notes == ()
    assert all(r.consent is None for r in view.records if r.title != "Ask the family for consent")


def test_a_withdrawn_consent_is_marked(engine, actors):
    publish_parallel(engine)
    dsw = actors["dsw1"]
    case = engine.start_case("records_parallel", START, dsw)
    engine.complete_task(case.id, task_of(engine, case.id, dsw, "rp_consent").id,
                         {**GIVEN, "withdrawn": True, "withdrawn_on": "2026-12-01"}, dsw)
    [record] = engine.case_records(case.id, dsw).consents
    assert record.consent.is_withdrawn and [f.text for f in record.consent.withdrawn_on] == ["1 December 2026"]


def test_a_pathway_without_summary_or_consent_forms(engine, actors):
    case = engine.start_case("mini", {"child_name": "Ann", "concern": "bruise"}, actors["dsw1"])
    view = engine.case_records(case.id, actors["dsw1"])
    assert view.summary == () and view.consents == ()
    [start] = view.records
    assert start.title == "Contact received" and [(f.title, f.text) for f in start.fields] == [
        ("Child name", "Ann"), ("Concern", "bruise")]  # no titles in the form: the field names made readable


def test_records_are_read_like_the_case(engine, actors):
    case = engine.start_case("mini", {"child_name": "Ann", "concern": "bruise"}, actors["dsw1"])
    with pytest.raises(PermissionDeniedError):
        engine.case_records(case.id, Actor(None, "outsider", frozenset({"Nobody"})))
    with pytest.raises(CaseNotFoundError):
        engine.case_records(999_999, actors["dsw1"])


def test_the_audit_trail_names_people(engine, actors):
    case = engine.start_case("mini", {"child_name": "Ann", "concern": "bruise"}, actors["dsw1"])
    [event] = engine.audit_trail(case.id, actors["dsw1"])
    assert event.actor == "dsw1" and event.actor_name == "Dee Duty"


def test_inbox_rows_and_choices_give_pathway_names(engine, actors):
    engine.start_case("mini", {"child_name": "Ann", "concern": "bruise"}, actors["dsw1"])
    [item] = engine.inbox(actors["dsw1"]).items
    assert item.pathway_key == "mini" and item.pathway_name == "Mini front door"
    choices = engine.inbox_choices(actors["dsw1"])
    assert choices.pathways == (("mini", "Mini front door"),)
    assert choices.tasks == (("screening", "Initial screening"),)
    assert engine.inbox_choices(actors["ehc1"]).pathways == ()


def test_inbox_choices_cover_every_open_item_not_a_first_page(engine, actors):
    publish_parallel(engine)
    dsw = actors["dsw1"]
    for n in range(201):  # each with a screening due in 2 hours: these fill the first 200 rows
        engine.start_case("mini", {"child_name": f"Child {n}", "concern": "bruise"}, dsw)
    engine.start_case("records_parallel", START, dsw)  # its consent task has no due date: it comes last
    first_200 = engine.inbox(dsw, page=1, per_page=200).items
    assert {i.element_id for i in first_200} == {"screening"}
    choices = engine.inbox_choices(dsw)
    assert choices.pathways == (("mini", "Mini front door"), ("records_parallel", "Parallel records"))
    assert choices.tasks == (("rp_consent", "Ask the family for consent"), ("screening", "Initial screening"))
    # Work assigned to me counts even when it is not my role's open work.
    item = engine.inbox(dsw, InboxFilter(element_id="rp_consent")).items[0]
    engine.claim_task(item.case_id, item.task_id, dsw)
    assert ("rp_consent", "Ask the family for consent") in engine.inbox_choices(dsw).tasks
    assert engine.inbox_choices(dsw, sandbox=True).tasks == ()
