"""Timers on the engine clock: escalation of late screening, working-day waits, concurrent ticks."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from engine import Engine
from tests.integration.conftest import ready, task_of

pytestmark = pytest.mark.postgres


def _start(engine, actors):
    return engine.start_case("mini", {"child_name": "Kim"}, actors["dsw1"])


def _timer_rows(engine):
    with engine.database.engine.connect() as c:
        return c.execute(sa.text("select element_id, due_at from timers order by id")).all()


def test_late_screening_escalates_to_team_manager(engine, actors, clock):
    case = _start(engine, actors)
    assert [t.element_id for t in case.timers] == ["screening_late"]
    clock.advance(dt.timedelta(hours=1, minutes=59))
    assert engine.tick().timers_fired == 0
    assert engine.inbox(actors["tm2"]).total == 0
    clock.advance(dt.timedelta(minutes=2))
    result = engine.tick()
    assert (result.cases, result.timers_fired, result.errors) == (1, 1, ())
    chase = engine.inbox(actors["tm2"]).items
    assert [i.element_id for i in chase] == ["chase"]
    screening = [i for i in engine.inbox(actors["dsw1"]).items if i.element_id == "screening"]
    assert screening and screening[0].escalated  # still open (non-interrupting), now marked late
    assert engine.get_case(case.id, actors["tm2"]).timers == ()
    events = engine.audit_trail(case.id, actors["tm2"])
    assert [(e.action, e.element_id) for e in events][-1] == ("escalation", "screening_late")
    assert engine.tick().timers_fired == 0  # a fired timer never fires again


def test_screening_in_time_cancels_the_timer(engine, actors, clock):
    case = _start(engine, actors)
    s = task_of(engine, case.id, actors["dsw1"], "screening")
    engine.complete_task(case.id, s.id, {"decision": "nfa", "rationale": "fine"}, actors["dsw1"])
    assert _timer_rows(engine) == []
    clock.advance(dt.timedelta(hours=3))
    assert engine.tick().timers_fired == 0


def test_review_waits_ten_working_days(engine, actors, clock):
    case = _start(engine, actors)
    engine.complete_task(case.id, task_of(engine, case.id, actors["dsw1"], "screening").id,
                         {"decision": "early_help", "rationale": "support"}, actors["dsw1"])
    engine.complete_task(case.id, task_of(engine, case.id, actors["tm2"], "signoff").id, {"agree": True}, actors["tm2"])
    clock.set(dt.datetime(2026, 12, 18, 9, 0, tzinfo=dt.timezone.utc))  # Friday before Christmas
    engine.complete_task(case.id, task_of(engine, case.id, actors["ehc1"], "early_help").id, {"note": "done"},
                         actors["ehc1"])
    [(element, due)] = [(r[0], r[1]) for r in _timer_rows(engine)]
    # 10 working days after Fri 18 Dec 2026, skipping Christmas (Fri 25), Boxing Day (Mon 28, substitute)
    # and New Year's Day (Fri 1 Jan 2027).
    assert element == "wait_review" and str(due)[:16] == "2027-01-06 09:00"
    clock.set(dt.datetime(2027, 1, 6, 8, 59, tzinfo=dt.timezone.utc))
    assert engine.tick().timers_fired == 0
    clock.set(dt.datetime(2027, 1, 6, 9, 1, tzinfo=dt.timezone.utc))
    assert engine.tick().timers_fired == 1
    _, tasks = ready(engine, case.id, actors["ehc1"])
    assert [t.element_id for t in tasks] == ["review"]


def test_two_ticks_at_once_fire_each_timer_once(engine, actors, clock, database_url):
    cases = [_start(engine, actors) for _ in range(6)]
    clock.advance(dt.timedelta(hours=3))
    other = Engine(database_url, clock=clock)
    results, errors = [], []

    def run(eng):
        try:
            results.append(eng.tick())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in (engine, other)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    other.dispose()
    assert errors == []
    assert sum(r.timers_fired for r in results) == len(cases)
    with engine.database.engine.connect() as c:
        escalations = c.execute(sa.text("select count(*) from audit_events where action = 'escalation'")).scalar()
        chases = c.execute(sa.text("select count(*) from work_items where element_id = 'chase'")).scalar()
    assert escalations == len(cases) and chases == len(cases)
