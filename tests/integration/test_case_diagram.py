"""Engine.case_diagram: the drawn BPMN of a case's version and where every token of the case is.

Cases are driven by the shipped pathways' own scenarios (processes/*/scenarios), replayed step by
step up to the moment a test looks at, with the scenario runner's step interpreter.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from engine import (Actor, CaseNotFoundError, DiagramView, Engine, FixedClock, PermissionDeniedError)
from engine.scenarios import DEFAULT_START, _Run, role_username
from tests.conftest import FIXTURES
from tests.integration.conftest import FORMS as FIXTURE_FORMS

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
PROCESSES, FORMS = ROOT / "processes", ROOT / "forms"
UTC = dt.timezone.utc


@pytest.fixture
def shipped(database_url):
    """An engine with the shipped pathways and the scenario runner's users (two per role)."""
    eng = Engine(database_url, clock=FixedClock(DEFAULT_START), expression_time_limit=2.0)
    eng.upgrade_database()
    eng.load_pathways(PROCESSES, FORMS)
    for role in sorted(eng.known_roles()):
        for n in (1, 2):
            eng.add_user(role_username(role, n), f"{role} {n}", [role])
    yield eng
    eng.dispose()


def reader(eng: Engine) -> Actor:
    return Actor(None, "reader", frozenset(eng.known_roles()))


def replay(eng: Engine, scenario: str, steps: int | None = None) -> int:
    """Run the first ``steps`` steps of ``processes/<scenario>``; return the main case's id."""
    path = PROCESSES / scenario
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if doc.get("clock"):
        eng.clock.set(dt.datetime.fromisoformat(str(doc["clock"]).replace("Z", "+00:00")))
    run = _Run(eng, path.parts[-3], doc.get("users") or {})
    for step in doc["steps"][:steps]:
        run.step(step)
    return run.cases["main"]


def by_id(view: DiagramView) -> dict:
    return {e.id: e for e in view.elements}


def name_in(bpmn: str, element_id: str) -> str:
    """An element's name as the shipped file has it (so a renamed task does not break the test)."""
    match = re.search(rf'id="{element_id}" name="([^"]*)"', (PROCESSES / bpmn).read_text(encoding="utf-8"))
    assert match, f"{element_id} not in {bpmn}"
    return match.group(1)


def test_a_refused_sign_off_counts_every_pass_of_the_loop(shipped):
    case_id = replay(shipped, "front_door/scenarios/refused-sign-off-nfa.yaml", 9)  # up to reconsider_decision
    view = shipped.case_diagram(case_id, reader(shipped))
    assert view.process_id == "front_door" and view.file == "front_door.bpmn"
    assert view.diagram_id == "BPMNDiagram_Collaboration_front_door"
    assert view.xml.startswith("<?xml") and 'id="front_door"' in view.xml
    elements = by_id(view)
    assert (elements["sign_off"].completed, elements["reconsider_decision"].completed) == (1, 1)
    # The loop brought the decision back: done once and happening again.
    decision = elements["early_help_decision"]
    decision_name = name_in("front_door/front_door.bpmn", "early_help_decision")
    assert (decision.completed, decision.active, decision.name) == (1, 1, decision_name)
    late = elements["early_help_decision_overdue"]
    assert (late.waiting, late.trigger, late.kind) == (1, "timer", "boundaryEvent")
    assert late.attached_to == decision_name and late.due_at is not None
    assert [e.id for e in view.active] == ["early_help_decision"]
    assert "flow_refused" in view.flows_taken and "flow_reconsidered" in view.flows_taken
    assert view.ended == ()
    assert view.elements[0].id == "contact_received"  # in the order reached

    case_id = replay(shipped, "front_door/scenarios/refused-sign-off-nfa.yaml")  # to the end
    view = shipped.case_diagram(case_id, reader(shipped))
    elements = by_id(view)
    assert elements["sign_off"].completed == 2 and elements["early_help_decision"].completed == 2
    assert elements["reconsider_decision"].completed == 1 and elements["initial_screening"].completed == 1
    assert view.active == () and view.waiting == ()
    assert [e.kind for e in view.ended] == ["endEvent"]
    assert "single_assessment" not in elements


def test_parallel_branches_and_waiting_timers_with_their_due_times(shipped):
    case_id = replay(shipped, "young_carers/scenarios/concern-raised-assessment-with-consent.yaml", 1)
    view = shipped.case_diagram(case_id, reader(shipped))
    elements = by_id(view)
    assert elements["gw_split"].completed == 1 and elements["gw_split"].kind == "parallelGateway"
    assert [e.id for e in view.active] == ["initial_screening"]
    assert {e.id for e in view.waiting} == {"wait_until_17", "screening_overdue"}
    assert elements["wait_until_17"].due_at == dt.datetime(2031, 3, 10, tzinfo=UTC)
    assert elements["wait_until_17"].attached_to == ""  # an intermediate timer, not a boundary
    assert elements["screening_overdue"].due_at == dt.datetime(2026, 11, 23, 11, tzinfo=UTC)
    assert {"flow_split_to_transition", "flow_split_to_route"} <= set(view.flows_taken)


def test_two_tokens_on_one_element_are_counted(shipped):
    # Core group meetings recur on a non-interrupting timer while a review is open: two at once.
    case_id = replay(shipped, "cp_conference/scenarios/cp-plan-two-reviews-then-cin-plan.yaml", 17)
    elements = by_id(shipped.case_diagram(case_id, reader(shipped)))
    assert elements["core_group_meeting"].active == 2
    assert elements["review_conference"].active == 1 and elements["core_group_due"].waiting == 1


def test_an_embedded_subprocess_is_active_and_its_tokens_are_drawn(shipped):
    case_id = replay(shipped, "step_up/scenarios/no-outcome-escalation.yaml", 14)
    elements = by_id(shipped.case_diagram(case_id, reader(shipped)))
    assert (elements["await_outcome"].kind, elements["await_outcome"].active) == ("subProcess", 1)
    received = elements["outcome_received"]
    assert (received.waiting, received.trigger, received.in_diagram) == (1, "message", True)
    assert received.due_at is None


def test_a_call_activity_is_active_and_its_process_is_named_but_not_drawn(engine, actors):
    engine.publish_folder(FIXTURES / "diagram" / "relay", FIXTURE_FORMS, Actor.system())
    dsw = actors["dsw1"]
    case = engine.start_case("relay", {"child_name": "Kim"}, dsw)
    view = engine.case_diagram(case.id, dsw)
    elements = by_id(view)
    assert view.file == "relay.bpmn" and view.diagram_id == "BPMNDiagram_Collaboration_relay"
    assert elements["call_visit"].active == 1 and elements["call_visit"].in_diagram
    assert elements["review"].active == 1 and elements["review"].in_diagram
    inner = elements["write_up"]
    assert (inner.active, inner.in_diagram, inner.name) == (1, False, "Write up the visit")
    assert "visit_start" in elements and not elements["visit_start"].in_diagram
    assert set(view.flows_taken) == {"r_flow_1", "r_flow_review", "r_flow_visit"}  # none of visit.bpmn's

    [review] = [t for t in engine.get_case(case.id, dsw).ready_tasks if t.element_id == "review"]
    engine.complete_task(case.id, review.id, {"note": "read"}, dsw)
    join = by_id(engine.case_diagram(case.id, dsw))["gw_join"]
    assert (join.waiting, join.kind) == (1, "parallelGateway")  # waiting for the visit's branch


def test_a_file_without_layout_has_no_diagram_id(engine, actors):
    case = engine.start_case("mini", {"child_name": "Sam", "concern": "bruise"}, actors["dsw1"])
    view = engine.case_diagram(case.id, actors["dsw1"])
    assert view.diagram_id == "" and 'id="mini"' in view.xml
    assert [e.id for e in view.active] == ["screening"] and [e.id for e in view.waiting] == ["screening_late"]


def test_reading_the_diagram_changes_nothing(engine, actors):
    case = engine.start_case("mini", {"child_name": "Sam", "concern": "bruise"}, actors["dsw1"])
    before = (engine.get_case(case.id, actors["dsw1"]).row_version, len(engine.audit_trail(case.id, actors["dsw1"])))
    engine.case_diagram(case.id, actors["dsw1"])
    engine.forget_cached_cases()
    engine.case_diagram(case.id, actors["dsw1"])  # the cold path, rebuilt from rows
    after = (engine.get_case(case.id, actors["dsw1"]).row_version, len(engine.audit_trail(case.id, actors["dsw1"])))
    assert before == after


def test_errors_are_those_of_get_case(engine, actors):
    case = engine.start_case("mini", {"child_name": "Sam", "concern": "bruise"}, actors["dsw1"])
    with pytest.raises(CaseNotFoundError):
        engine.case_diagram(case.id + 1000, actors["dsw1"])
    with pytest.raises(CaseNotFoundError):
        engine.case_diagram(-1, actors["dsw1"])
    with pytest.raises(PermissionDeniedError):
        engine.case_diagram(case.id, Actor(None, "outsider", frozenset({"Youth Worker"})))
