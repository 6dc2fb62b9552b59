"""Firing due timers (``pathways tick``).

Only cases with a due timer are loaded: candidates come from the indexed ``timers.fire_at`` column,
so the cost depends on the number of due timers, not on how many are waiting. Each case is fired in
its own transaction, which first locks that case's due timer rows. On PostgreSQL the lock uses
``FOR UPDATE SKIP LOCKED``: a second tick running at the same moment skips a case the first one is
working on instead of firing its timers again. On SQLite, write transactions are serialized
(``BEGIN IMMEDIATE``) and the second tick finds the rows already gone. Either way the case's
``row_version`` check is the final guard against a double transition.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from . import cases, messages, stepping, store
from .errors import ConflictError, PathwaysError
from .models import Timer
from .runtime import Runtime
from .views import Actor, TickResult

log = logging.getLogger(__name__)
TIMER_ACTOR = Actor.system("timer")


def due_case_ids(rt: Runtime, limit: int) -> list[int]:
    """Cases with a due timer, the most overdue first.

    Read as a range of the ``fire_at`` index: grouping by case in SQL made SQLite walk every timer
    through the case index instead, so the cost grew with the number of timers waiting.
    """
    now = rt.now()
    with rt.db.reading() as session:
        rows = session.scalars(sa.select(Timer.case_id).where(Timer.fire_at < now)
                               .order_by(Timer.fire_at).limit(limit * 8))
        ids: list[int] = []
        for case_id in rows:
            if case_id not in ids:
                ids.append(case_id)
                if len(ids) == limit:
                    break
        return ids


def fire_case(rt: Runtime, case_id: int) -> int:
    """Fire the due timers of one case; return how many fired (0 if another tick had them).

    Raises:
        ExpressionError, WorkflowRunError: the pathway failed while running on.
    """
    with rt.db.transaction() as session:
        query = sa.select(Timer.id).where(Timer.case_id == case_id, Timer.fire_at < rt.now())
        if rt.db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        if not session.scalars(query).all():
            return 0
        case = store.get_case(session, case_id)
        if case.status != "active":
            session.execute(sa.delete(Timer).where(Timer.case_id == case_id))
            return 0
        live = store.load(session, rt, case)
        touched = {case_id: live}
        try:
            clock = rt.case_clock(case.clock_offset_seconds, case.clock_frozen_at)
            since = store.started_clock()
            stepping.advance(live.workflow, clock)
            now = rt.now()
            store.claim_version(session, case, live.row_version, now)
            cases._persist(session, rt, case, live, since, TIMER_ACTOR, clock,
                           version_title=cases._title_expression(session, rt, case.version_id))
            cases._audit_changes(session, case, TIMER_ACTOR, now, live.changes)
            fired = sum(1 for _t, state in live.changes.fired if state == "COMPLETED")
            messages.route(session, rt, case, live, TIMER_ACTOR, touched, 0)
        except BaseException:
            for touched_id in touched:
                rt.forget_live(touched_id)
            raise
    cases._keep(rt, touched)
    return fired


def tick(rt: Runtime, *, batch: int = 200, max_cases: int = 100_000) -> TickResult:
    """Fire every due timer. A failing case is reported and skipped, never blocking the others.

    Each case is visited at most once per tick, so a timer that cannot fire (or a cycle timer
    that is due again at once) never makes a tick run forever.
    """
    fired, errors, seen = 0, [], set()
    while len(seen) < max_cases:
        ids = [i for i in due_case_ids(rt, batch + len(seen)) if i not in seen][:batch]
        if not ids:
            break
        for case_id in ids:
            seen.add(case_id)
            try:
                fired += fire_case(rt, case_id)
            except ConflictError:
                continue  # someone completed a task meanwhile; its own step ran the timers
            except PathwaysError as exc:
                errors.append(f"case {case_id}: {exc}")
                log.warning("timer tick failed for case %s: %s", case_id, exc)
    return TickResult(cases=len(seen), timers_fired=fired, errors=tuple(errors))
