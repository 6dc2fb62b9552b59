"""Loading and saving a case's workflow inside a transaction.

The case row's ``row_version`` is the concurrency guard: saving runs
``UPDATE cases SET row_version = v + 1 ... WHERE id = :id AND row_version = :v`` first, so of two
calls that loaded the same version exactly one saves; the other gets :class:`StaleCaseError` and
its transaction is rolled back. On PostgreSQL that UPDATE also holds the row lock for the rest of
the transaction, which serializes audit appends per case.
"""
from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import codec
from .errors import CaseNotFoundError, StaleCaseError
from .models import Case, CaseTask, PathwayVersion
from .runtime import LiveCase, Runtime

MAX_TASK_ROW_BYTES = 1_000_000
_TASKS = CaseTask.__table__  # Core statements: executemany over plain rows, no ORM identity bookkeeping  # a task's data delta; a form or script producing more is a bug or an attack


def get_case(session: Session, case_id: int, *, lock: bool = False) -> Case:
    """Raises: CaseNotFoundError."""
    if not isinstance(case_id, int) or not 0 < case_id < 2**31:
        raise CaseNotFoundError(f"there is no case {case_id}")
    query = sa.select(Case).where(Case.id == case_id)
    if lock:
        query = query.with_for_update()
    case = session.scalars(query).first()
    if case is None:
        raise CaseNotFoundError(f"there is no case {case_id}")
    return case


def version_spec(session: Session, rt: Runtime, version_id: int) -> tuple:
    def loader() -> str:
        return session.scalar(sa.select(PathwayVersion.spec_json).where(PathwayVersion.id == version_id))
    return rt.spec_for(version_id, loader)


def load(session: Session, rt: Runtime, case: Case) -> LiveCase:
    """The case's workflow: from the live cache when it is current, else from its rows."""
    live = rt.take_live(case.id, case.row_version)
    if live is not None:
        return live
    spec, subs = version_spec(session, rt, case.version_id)
    rows = session.execute(
        sa.select(CaseTask.task_id, CaseTask.workflow_id, CaseTask.body)
        .where(CaseTask.case_id == case.id).order_by(CaseTask.seq)).all()
    workflow = codec.load(spec, subs, case.state_json, [tuple(r) for r in rows], script_engine=rt.script_engine())
    return LiveCase(workflow, case.row_version, {r.task_id for r in rows}, case.task_seq)


def claim_version(session: Session, case: Case, expected: int, now: dt.datetime) -> int:
    """Move the case from version ``expected`` to the next one, or fail if someone else did first.

    Raises:
        StaleCaseError: the case is no longer at ``expected``.
    """
    result = session.execute(
        sa.update(Case).where(Case.id == case.id, Case.row_version == expected)
        .values(row_version=expected + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise StaleCaseError(f"case {case.reference or case.id} was changed by someone else; reload it")
    case.row_version = expected + 1
    case.updated_at = now
    return expected + 1


def save(session: Session, case: Case, live: LiveCase, since: float) -> None:
    """Write the workflow's header and changed task rows; the version must already be claimed.

    Raises:
        ExpressionSizeError: a task's data grew past MAX_TASK_ROW_BYTES.
    """
    from .errors import ExpressionSizeError

    snap = codec.dump(live.workflow, known_ids=live.known_ids, since=since)
    if snap.removed:
        session.execute(sa.delete(CaseTask).where(CaseTask.case_id == case.id, CaseTask.task_id.in_(snap.removed)))
    seq = live.seq
    existing = [r for r in snap.rows if r.task_id in live.known_ids]
    new = [r for r in snap.rows if r.task_id not in live.known_ids]
    for row in snap.rows:
        if len(row.body) > MAX_TASK_ROW_BYTES:
            raise ExpressionSizeError(f"the case data grew past {MAX_TASK_ROW_BYTES} bytes in one task")
    if existing:
        session.execute(
            sa.update(_TASKS).where(_TASKS.c.case_id == sa.bindparam("c"), _TASKS.c.task_id == sa.bindparam("t"))
            .values(body=sa.bindparam("b"), workflow_id=sa.bindparam("w")),
            [{"c": case.id, "t": r.task_id, "b": r.body, "w": r.workflow_id} for r in existing])
    if new:
        values = []
        for row in new:
            seq += 1
            values.append({"case_id": case.id, "task_id": row.task_id, "seq": seq,
                           "workflow_id": row.workflow_id, "body": row.body})
        session.execute(sa.insert(_TASKS), values)
    case.state_json = snap.header
    case.serializer_version = codec.SERIALIZER_VERSION
    case.task_seq = seq
    live.known_ids = snap.all_ids
    live.seq = seq


def started_clock() -> float:
    """The ``since`` mark for :func:`save`, taken before the workflow is touched."""
    return time.time()
