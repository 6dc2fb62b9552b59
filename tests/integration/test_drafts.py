"""Drafts of task forms: saved as typed, per user per task, replaced, discarded with the task, refused
to those who could not work the task, limited in size, never audited (on SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine import (Actor, CaseClosedError, FormValidationError, PermissionDeniedError, TaskNotFoundError,
                    TaskNotReadyError)
from engine.drafts import MAX_DRAFT_BYTES
from tests.integration.conftest import task_of

pytestmark = pytest.mark.postgres


def _screening(engine, actors, user="dsw1"):
    case = engine.start_case("mini", {"child_name": "Lee"}, actors[user])
    return case, task_of(engine, case.id, actors[user], "screening")


def _draft_rows(engine) -> int:
    with engine.database.engine.connect() as c:
        return c.execute(sa.text("select count(*) from task_drafts")).scalar_one()


def test_a_draft_is_saved_as_typed_and_read_back(engine, actors, clock):
    case, task = _screening(engine, actors)
    typed = {"decision": "", "rationale": "half a thought", "kinds": ["x"], "when-month": "13"}
    saved = engine.save_draft(case.id, task.id, typed, actors["dsw1"])
    assert saved.values == typed and saved.saved_at == clock.now() and saved.username == "dsw1"
    draft = engine.get_draft(case.id, task.id, actors["dsw1"])
    assert draft is not None and draft.values == typed and draft.saved_at == clock.now()
    assert draft.case_id == case.id and draft.task_id == task.id


def test_drafts_are_per_user_and_a_second_save_replaces_the_first(engine, actors, clock):
    case, task = _screening(engine, actors)
    engine.save_draft(case.id, task.id, {"rationale": "first"}, actors["dsw1"])
    clock.advance(dt.timedelta(minutes=5))
    engine.save_draft(case.id, task.id, {"rationale": "second"}, actors["dsw1"])
    engine.save_draft(case.id, task.id, {"rationale": "dan's"}, actors["dsw2"])
    mine = engine.get_draft(case.id, task.id, actors["dsw1"])
    assert mine.values == {"rationale": "second"} and mine.saved_at == clock.now()
    assert engine.get_draft(case.id, task.id, actors["dsw2"]).values == {"rationale": "dan's"}
    assert engine.get_draft(case.id, task.id, actors["tm1"]) is None
    assert _draft_rows(engine) == 2


def test_completing_the_task_discards_every_draft_of_it(engine, actors):
    case, task = _screening(engine, actors)
    engine.save_draft(case.id, task.id, {"rationale": "mine"}, actors["dsw1"])
    engine.save_draft(case.id, task.id, {"rationale": "his"}, actors["dsw2"])
    engine.complete_task(case.id, task.id, {"decision": "early_help", "rationale": "support"}, actors["dsw2"])
    assert engine.get_draft(case.id, task.id, actors["dsw1"]) is None and _draft_rows(engine) == 0
    with pytest.raises(TaskNotReadyError, match="no longer waiting"):
        engine.save_draft(case.id, task.id, {"rationale": "late"}, actors["dsw1"])
    assert _draft_rows(engine) == 0


def test_a_task_that_stops_being_open_takes_its_drafts_with_it(engine, actors):
    # The refused sign-off loops back to a new screening task: the old task's drafts go with it.
    case, task = _screening(engine, actors)
    engine.complete_task(case.id, task.id, {"decision": "safeguarding", "rationale": "bruise"}, actors["dsw1"])
    signoff = task_of(engine, case.id, actors["tm2"], "signoff")
    engine.save_draft(case.id, signoff.id, {"reason": "thinking"}, actors["tm2"])
    engine.complete_task(case.id, signoff.id, {"agree": False, "reason": "not yet"}, actors["tm2"])
    again = task_of(engine, case.id, actors["dsw1"], "screening")
    assert again.id != task.id and _draft_rows(engine) == 0


def test_saving_a_draft_is_not_audited_and_does_not_move_the_case(engine, actors):
    case, task = _screening(engine, actors)
    before = engine.audit_trail(case.id, actors["dsw1"])
    engine.save_draft(case.id, task.id, {"rationale": "private words"}, actors["dsw1"])
    after = engine.audit_trail(case.id, actors["dsw1"])
    assert after == before
    assert engine.get_case(case.id, actors["dsw1"]).row_version == case.row_version
    assert engine.verify_case(case.id).ok


def test_only_someone_who_could_work_the_task_may_save_a_draft(engine, actors):
    case, task = _screening(engine, actors)
    with pytest.raises(PermissionDeniedError, match="needs the role 'Duty Social Worker'"):
        engine.save_draft(case.id, task.id, {"rationale": "x"}, actors["ehc1"])
    engine.claim_task(case.id, task.id, actors["dsw2"])
    with pytest.raises(PermissionDeniedError, match="assigned to dsw2"):
        engine.save_draft(case.id, task.id, {"rationale": "x"}, actors["dsw1"])
    assert engine.save_draft(case.id, task.id, {"rationale": "x"}, actors["dsw2"]).values == {"rationale": "x"}
    assert _draft_rows(engine) == 1


def test_the_decider_cannot_draft_the_sign_off(engine, actors):
    case, task = _screening(engine, actors, "tm1")
    engine.complete_task(case.id, task.id, {"decision": "safeguarding", "rationale": "bruise"}, actors["tm1"])
    signoff = task_of(engine, case.id, actors["tm1"], "signoff")
    with pytest.raises(PermissionDeniedError, match="four-eyes"):
        engine.save_draft(case.id, signoff.id, {"reason": "mine"}, actors["tm1"])
    assert engine.save_draft(case.id, signoff.id, {"reason": "ok"}, actors["tm2"]).values == {"reason": "ok"}


def test_drafts_are_limited_in_size_and_shape(engine, actors):
    case, task = _screening(engine, actors)
    with pytest.raises(FormValidationError) as error:
        engine.save_draft(case.id, task.id, {"rationale": "x" * MAX_DRAFT_BYTES}, actors["dsw1"])
    assert "the limit is 200,000 bytes" in error.value.field_errors[""][0]
    with pytest.raises(FormValidationError):
        engine.save_draft(case.id, task.id, {"count": 3}, actors["dsw1"])  # typed values are text
    with pytest.raises(FormValidationError):
        engine.save_draft(case.id, task.id, ["not", "an", "object"], actors["dsw1"])
    assert _draft_rows(engine) == 0


def test_unknown_cases_and_tasks_and_closed_cases(engine, actors):
    case, task = _screening(engine, actors)
    with pytest.raises(TaskNotFoundError):
        engine.save_draft(case.id, "00000000-0000-0000-0000-000000000000", {}, actors["dsw1"])
    assert engine.get_draft(case.id, "no-such-task", actors["dsw1"]) is None
    with pytest.raises(PermissionDeniedError):
        engine.get_draft(case.id, task.id, Actor(None, "nobody"))
    with engine.database.engine.begin() as c:
        c.execute(sa.text("update cases set status = 'cancelled' where id = :id"), {"id": case.id})
    with pytest.raises(CaseClosedError):
        engine.save_draft(case.id, task.id, {"rationale": "x"}, actors["dsw1"])
