"""Cases end to end on the engine's public surface: start, complete, roles, forms, conflicts."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import (CaseClosedError, FormValidationError, PathwayNotFoundError, PermissionDeniedError,
                    StaleCaseError, TaskNotFoundError, TaskNotReadyError)
from tests.integration.conftest import ready, task_of

pytestmark = pytest.mark.postgres


def _start(engine, actors, name="Sam"):
    return engine.start_case("mini", {"child_name": name, "concern": "bruise"}, actors["dsw1"])


def _rows(engine, table):
    with engine.database.engine.connect() as c:
        return c.execute(sa.text(f"select count(*) from {table}")).scalar()


def test_start_case_opens_screening_for_the_duty_lane(engine, actors):
    case = _start(engine, actors)
    assert case.status == "active" and case.version_number == 1 and case.reference.startswith("PW-")
    assert case.title == f"Sam ({case.reference})"
    [task] = case.ready_tasks
    assert (task.element_id, task.role, task.form_name) == ("screening", "Duty Social Worker", "mini-screening.schema.json")
    assert task.form_schema["required"] == ["decision", "rationale"]
    assert task.documentation == "Screen the contact within 2 hours."
    assert task.due_at is not None and (task.due_at - case.created_at).total_seconds() == 2 * 3600
    assert case.data["child_name"] == "Sam" and case.data["settings"] == {"screening_hours": 2}
    inbox = engine.inbox(actors["dsw2"])
    assert [i.element_id for i in inbox.items] == ["screening"] and inbox.total == 1
    assert engine.inbox(actors["ehc1"]).total == 0


def test_start_form_is_enforced(engine, actors):
    with pytest.raises(FormValidationError) as err:
        engine.start_case("mini", {"concern": "x", "surprise": 1}, actors["dsw1"])
    assert err.value.field_errors == {"child_name": ["this field is required"],
                                      "surprise": ["this form has no such field"]}
    assert _rows(engine, "cases") == 0


def test_start_needs_the_start_lane_role_and_a_published_pathway(engine, actors):
    with pytest.raises(PermissionDeniedError):
        engine.start_case("mini", {"child_name": "A"}, actors["ehc1"])
    with pytest.raises(PathwayNotFoundError):
        engine.start_case("nope", {}, actors["dsw1"])


def test_decision_signed_off_routes_to_early_help(engine, actors):
    case = _start(engine, actors)
    screening = task_of(engine, case.id, actors["dsw1"], "screening")
    v2 = engine.complete_task(case.id, screening.id, {"decision": "early_help", "rationale": "needs support"},
                              actors["dsw1"], expected_version=case.row_version)
    assert v2 == case.row_version + 1
    signoff = task_of(engine, case.id, actors["tm2"], "signoff")
    assert signoff.due_at.date().isoformat() == "2026-11-24"  # dueAt: one working day after the start
    engine.complete_task(case.id, signoff.id, {"agree": True}, actors["tm2"])
    view, tasks = ready(engine, case.id, actors["ehc1"])
    assert [t.element_id for t in tasks] == ["early_help"]
    assert view.data["decided_by"] == "dsw1"
    actions = [e.action for e in engine.audit_trail(case.id, actors["tm2"])]
    assert actions == ["case_started", "task_completed", "task_completed"]


def test_refused_signoff_goes_back_to_screening(engine, actors):
    case = _start(engine, actors)
    s1 = task_of(engine, case.id, actors["dsw1"], "screening")
    engine.complete_task(case.id, s1.id, {"decision": "nfa", "rationale": "no concerns"}, actors["dsw1"])
    signoff = task_of(engine, case.id, actors["tm2"], "signoff")
    engine.complete_task(case.id, signoff.id, {"agree": False, "reason": "speak to school"}, actors["tm2"])
    s2 = task_of(engine, case.id, actors["dsw1"], "screening")
    assert s2.id != s1.id
    engine.complete_task(case.id, s2.id, {"decision": "nfa", "rationale": "school confirms"}, actors["dsw1"])
    engine.complete_task(case.id, task_of(engine, case.id, actors["tm2"], "signoff").id, {"agree": True}, actors["tm2"])
    # The non-interrupting 2-hour timers are still waiting on nothing: the case needs them gone to end.
    view = engine.get_case(case.id, actors["tm2"])
    assert view.status == "completed" and view.ready_tasks == ()
    assert engine.inbox(actors["dsw1"]).total == 0 and engine.inbox(actors["tm2"]).total == 0


def test_four_eyes_the_decider_cannot_sign_off(engine, actors):
    case = _start(engine, actors)
    screening = task_of(engine, case.id, actors["tm1"], "screening")
    engine.complete_task(case.id, screening.id, {"decision": "nfa", "rationale": "fine"}, actors["tm1"])
    signoff = task_of(engine, case.id, actors["tm1"], "signoff")
    before = engine.get_case(case.id, actors["tm1"]).row_version
    with pytest.raises(PermissionDeniedError, match="four-eyes"):
        engine.complete_task(case.id, signoff.id, {"agree": True}, actors["tm1"])
    assert engine.get_case(case.id, actors["tm1"]).row_version == before
    engine.complete_task(case.id, signoff.id, {"agree": True}, actors["tm2"])


def test_wrong_role_is_refused_and_nothing_changes(engine, actors):
    case = _start(engine, actors)
    screening = task_of(engine, case.id, actors["dsw1"], "screening")
    audit_before = _rows(engine, "audit_events")
    with pytest.raises(PermissionDeniedError, match="Duty Social Worker"):
        engine.complete_task(case.id, screening.id, {"decision": "nfa", "rationale": "x" * 5}, actors["tm2"])
    assert _rows(engine, "audit_events") == audit_before
    assert engine.get_case(case.id, actors["dsw1"]).row_version == case.row_version


def test_form_errors_are_per_field_and_lose_nothing(engine, actors):
    case = _start(engine, actors)
    screening = task_of(engine, case.id, actors["dsw1"], "screening")
    with pytest.raises(FormValidationError) as err:
        engine.complete_task(case.id, screening.id, {"decision": "maybe", "rationale": "a"}, actors["dsw1"])
    assert set(err.value.field_errors) == {"decision", "rationale"}
    assert err.value.field_errors["decision"] == ["choose one of the listed options"]
    with pytest.raises(FormValidationError):
        engine.complete_task(case.id, screening.id, ["not", "an", "object"], actors["dsw1"])
    view = engine.get_case(case.id, actors["dsw1"])
    assert view.row_version == case.row_version and [t.id for t in view.ready_tasks] == [screening.id]
    engine.complete_task(case.id, screening.id, {"decision": "nfa", "rationale": "ok now"}, actors["dsw1"])


def test_stale_version_and_task_no_longer_ready_are_conflicts(engine, actors):
    case = _start(engine, actors)
    screening = task_of(engine, case.id, actors["dsw1"], "screening")
    engine.complete_task(case.id, screening.id, {"decision": "nfa", "rationale": "fine"}, actors["dsw1"])
    with pytest.raises(StaleCaseError):
        engine.complete_task(case.id, screening.id, {"decision": "nfa", "rationale": "fine"}, actors["dsw2"],
                             expected_version=case.row_version)
    with pytest.raises(TaskNotReadyError):
        engine.complete_task(case.id, screening.id, {"decision": "nfa", "rationale": "fine"}, actors["dsw2"])
    with pytest.raises(TaskNotFoundError):
        engine.complete_task(case.id, "not-a-uuid", {}, actors["dsw2"])


def test_completed_case_refuses_more_work(engine, actors):
    case = _start(engine, actors)
    s = task_of(engine, case.id, actors["dsw1"], "screening")
    engine.complete_task(case.id, s.id, {"decision": "nfa", "rationale": "fine"}, actors["dsw1"])
    engine.complete_task(case.id, task_of(engine, case.id, actors["tm2"], "signoff").id, {"agree": True}, actors["tm2"])
    with pytest.raises(CaseClosedError):
        engine.complete_task(case.id, s.id, {}, actors["dsw1"])


def test_claim_assign_release(engine, actors):
    case = _start(engine, actors)
    screening = task_of(engine, case.id, actors["dsw1"], "screening")
    engine.claim_task(case.id, screening.id, actors["dsw1"])
    assert engine.inbox(actors["dsw2"]).total == 0  # claimed work leaves colleagues' lists
    mine = engine.inbox(actors["dsw1"])
    assert mine.total == 1 and mine.items[0].assignee == "dsw1"
    with pytest.raises(PermissionDeniedError, match="assigned to dsw1"):
        engine.complete_task(case.id, screening.id, {"decision": "nfa", "rationale": "fine"}, actors["dsw2"])
    with pytest.raises(Exception, match="already with dsw1"):
        engine.claim_task(case.id, screening.id, actors["dsw2"])
    engine.release_task(case.id, screening.id, actors["dsw1"])
    engine.assign_task(case.id, screening.id, "dsw2", actors["tm1"])
    with pytest.raises(PermissionDeniedError):
        engine.assign_task(case.id, screening.id, "ehc1", actors["tm1"])
    assert engine.inbox(actors["dsw2"]).items[0].assignee == "dsw2"
    engine.complete_task(case.id, screening.id, {"decision": "nfa", "rationale": "fine"}, actors["dsw2"])
    actions = [e.action for e in engine.audit_trail(case.id, actors["dsw1"])]
    assert actions == ["case_started", "task_claimed", "task_released", "task_assigned", "task_completed"]


def test_reading_a_case_needs_a_role_of_its_pathway(engine, actors):
    outsider = engine.add_user("outsider", "Out Sider", [])
    case = _start(engine, actors)
    with pytest.raises(PermissionDeniedError):
        engine.get_case(case.id, engine.actor(outsider.username))
