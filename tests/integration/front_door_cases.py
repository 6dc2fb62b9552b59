"""The shipped front door pathway on a fresh engine, and cases driven to their outcome (letters tests)."""
from __future__ import annotations

from pathlib import Path

import yaml

from engine import Actor, Engine, FixedClock
from tests.conftest import START

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"
USERS = {"dsw": ("Dee Duty", ["Duty Social Worker"]), "tm": ("Tess Manager", ["Team Manager"]),
         "ehc": ("Eve Coordinator", ["Early Help Coordinator"]), "sw": ("Sam Worker", ["Social Worker"]),
         "yw": ("Yan Youth", ["Youth Worker"])}
LETTER = {"referrer_advised_on": "2026-11-24", "referrer_advised_how": "phone",
          "letter_to": "Ms Józefa Nowak, Class teacher", "letter_address": "Oakham Primary School\nOakham",
          "letter_outcome_summary": "We agreed the family’s “early help” plan with them.",
          "letter_next_steps": "The Early Help Coordinator will call you this week."}


def front_door_engine(database_url: str, clock: FixedClock | None = None) -> Engine:
    """An engine with the roles, the shipped front door pathway and one user per role in ``USERS``."""
    engine = Engine(database_url, clock=clock or FixedClock(START), expression_time_limit=2.0)
    engine.upgrade_database()
    roles = yaml.safe_load((PROCESSES / "roles.yaml").read_text(encoding="utf-8"))["roles"]
    engine.sync_roles([(r["name"], r.get("description", "")) for r in roles])
    engine.publish_folder(PROCESSES / "front_door", FORMS, Actor.system())
    for username, (name, user_roles) in USERS.items():
        if set(user_roles) <= engine.known_roles():
            engine.add_user(username, name, user_roles, password=f"pw-{username}-long")
    return engine


def complete(engine: Engine, case_id: int, element_id: str, username: str, data: dict) -> None:
    actor = engine.actor(username)
    [task] = [t for t in engine.get_case(case_id, actor).ready_tasks if t.element_id == element_id]
    engine.complete_task(case_id, task.id, data, actor)


def early_help_case(engine: Engine, child: str = "Łukasz Zoë", *, outcome: dict | None = None,
                    duty_outcome: str = "early_help_assessment") -> int:
    """A front door case through screening, the early help decision and sign-off to its outcome."""
    case = engine.start_case("front_door", {
        "child_name": child, "referrer_name": "Józefa Nowak", "referral_source": "2A", "contact_method": "phone",
        "contact_received_at": "2026-11-23T09:00:00+00:00", "concern": "Often hungry at school"},
        engine.actor("dsw"))
    complete(engine, case.id, "record_consent", "dsw", {
        "consent_status": "given", "consent_given_by": "parent_or_carer", "consent_relationship": "mother",
        "consent_date": "2026-11-23", "consent_scope": ["contact_other_professionals", "share_information"]})
    complete(engine, case.id, "record_threshold_indicators", "dsw", {
        "developmental_needs": [], "family_environmental_factors": [], "parents_and_carers": [],
        "significant_harm_suspected": False, "child_in_need_concern": False, "multi_agency_needed": False})
    complete(engine, case.id, "initial_screening", "dsw", {
        "agrees_with_suggestion": True, "safeguarding_or_cin": False, "rationale": "Needs support, not safeguarding"})
    complete(engine, case.id, "early_help_decision", "dsw", {"duty_outcome": duty_outcome,
                                                               "rationale": "Family agrees to early help"})
    complete(engine, case.id, "sign_off", "tm", {"signed_off": True})
    if duty_outcome in ("early_help_assessment", "targeted_intervention"):
        complete(engine, case.id, "early_help_referral", "ehc", {"route": duty_outcome,
                                                                  "signposted_to": "Early Help service"})
    elif duty_outcome == "advice_and_guidance":
        complete(engine, case.id, "universal_signposting", "dsw", {"signposted_to": "the school nurse"})
    if outcome is not None:
        complete(engine, case.id, "outcome_recorded", "dsw", outcome)
    return case.id
