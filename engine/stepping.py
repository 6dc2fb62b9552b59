"""Running a case forward and keeping its projections (work items, timers) in step with it.

Everything here runs inside the caller's transaction and never commits.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, TimerEventDefinition)
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import clock as clockmod
from . import sandbox
from .errors import ExpressionError, WorkflowRunError
from .models import Case, Timer, WorkItem

MAX_ROUNDS = 50  # refresh/run rounds per call: a timer loop that never settles is a pathway bug


def advance(workflow, case_clock: clockmod.Clock) -> None:
    """Run engine steps and due timers until the workflow waits for people or time.

    SpiffWorkflow refreshes timers only at the end of ``do_engine_steps`` (findings §4), so a timer
    that fires needs another round; we loop until a round changes nothing.

    Raises:
        ExpressionError: a pathway expression failed (``element_id`` says where).
        WorkflowRunError: the workflow could not continue (e.g. no gateway condition matched).
    """
    with clockmod.using(case_clock):
        try:
            workflow.refresh_timers()
            for _ in range(MAX_ROUNDS):
                workflow.do_engine_steps()
                # do_engine_steps refreshes timers only at its end: a timer that fired then has left
                # an engine task ready, which needs another round. Otherwise the case has settled.
                if workflow.get_next_task(state=TaskState.READY, manual=False) is None:
                    return
            raise WorkflowRunError(f"the case did not settle after {MAX_ROUNDS} rounds of timers and steps")
        except (SpiffWorkflowException, ExpressionError) as exc:
            raise translate(exc) from exc


def translate(exc: BaseException) -> Exception:
    """Our typed error for anything SpiffWorkflow or the sandbox raised while running a case."""
    element_id = ""
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(exc, "task_spec", None)
    if spec is not None:
        element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", "") or ""
    seen, cur = set(), exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ExpressionError):
            if not cur.element_id and element_id:
                cur.element_id = element_id
            return cur
        cur = cur.__cause__ or cur.__context__
    message = str(exc).strip().rstrip(".").strip()
    if "No conditions satisfied" in message:
        message = f"no outgoing flow of gateway {element_id!r} matched the case data and it has no default flow"
    if isinstance(exc, WorkflowException) or isinstance(exc, SpiffWorkflowException):
        return WorkflowRunError(message or type(exc).__name__, element_id)
    return WorkflowRunError(f"{type(exc).__name__}: {message}", element_id)


# -- reading a workflow ---------------------------------------------------------------------------

def ready_human_tasks(workflow) -> list:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def properties(task_spec) -> dict:
    return dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {})


def case_data(workflow) -> dict:
    """The case's current data: the final data when finished, else the last completed task's."""
    if workflow.is_completed():
        return dict(workflow.data)
    task = workflow.last_task or workflow.task_tree
    return dict(task.data) if task is not None else {}


def _open_tasks(workflow) -> tuple[dict, dict]:
    """Ready human tasks and waiting timer tasks by id, in one walk over the case's tasks."""
    from .codec import iter_workflows

    ready, waiting = {}, {}
    for _wf_id, wf in iter_workflows(workflow):
        for task in wf.tasks.values():
            if task.state == TaskState.READY and getattr(task.task_spec, "manual", False):
                ready[str(task.id)] = task
            elif task.state == TaskState.WAITING and isinstance(
                    getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
                waiting[str(task.id)] = task
    return ready, waiting


def _timer_tasks(workflow) -> list:
    return [t for t in workflow.get_tasks(state=TaskState.WAITING)
            if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)]


def _timer_due(task) -> dt.datetime | None:
    value = task.internal_data.get("event_value")
    if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
        value = value.get("next") if isinstance(value, dict) else None
    if not isinstance(value, str):
        return None
    try:
        parsed = TimerEventDefinition.parse_time_or_duration(value)
    except Exception:  # noqa: BLE001 - a malformed value cannot be scheduled; the validator reports it
        return None
    return parsed if isinstance(parsed, dt.datetime) else None


def _attached_task(timer_task):
    """The activity a boundary timer is attached to (its sibling under the boundary split)."""
    if not hasattr(timer_task.task_spec, "cancel_activity"):
        return None  # an intermediate timer, not a boundary event
    parent = timer_task.parent
    if parent is None:
        return None
    for sibling in parent.children:
        if sibling is not timer_task and getattr(sibling.task_spec, "manual", False):
            return sibling
    return None


def _as_aware(value) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
    if isinstance(value, dt.date):
        # A due *date* means the end of that working day.
        return dt.datetime.combine(value, dt.time(23, 59, 59), dt.timezone.utc)
    raise TypeError(f"a due date must be a date, a datetime or an ISO string, not {type(value).__name__}")


def task_due(task, case_clock: clockmod.Clock, time_limit: float) -> dt.datetime | None:
    """When a human task is due: its ``dueAt`` expression, else its earliest boundary timer.

    Raises:
        ExpressionError: the ``dueAt`` expression failed.
    """
    expression = properties(task.task_spec).get("dueAt")
    if expression:
        with clockmod.using(case_clock):
            try:
                return _as_aware(sandbox.evaluate(expression, dict(task.data), time_limit=time_limit))
            except ExpressionError as exc:
                exc.element_id = exc.element_id or task.task_spec.bpmn_id
                raise
            except (TypeError, ValueError) as exc:
                raise ExpressionError(f"dueAt of {task.task_spec.bpmn_id}: {exc}",
                                      task.task_spec.bpmn_id, expression) from exc
    dues = [_timer_due(t) for t in (task.parent.children if task.parent else [])
            if t is not task and t.state == TaskState.WAITING
            and isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)]
    dues = [d for d in dues if d is not None]
    return min(dues) if dues else None


# -- projections ------------------------------------------------------------------------------------

@dataclass
class Changes:
    """What a step did to the projections, for the audit trail."""

    opened: list[WorkItem] = field(default_factory=list)
    closed: list[WorkItem] = field(default_factory=list)
    fired: list[tuple[Timer, str]] = field(default_factory=list)  # (timer, state name of its task)


def sync_projections(session: Session, case: Case, workflow, *, case_clock: clockmod.Clock,
                     now: dt.datetime, time_limit: float) -> Changes:
    """Make ``work_items`` and ``timers`` match the workflow: insert new, delete gone, mark escalations."""
    changes = Changes()
    ready, waiting = _open_tasks(workflow)
    items = {w.task_id: w for w in session.scalars(sa.select(WorkItem).where(WorkItem.case_id == case.id))}
    for task_id, item in items.items():
        if task_id not in ready:
            session.delete(item)
            changes.closed.append(item)
    for task_id, task in ready.items():
        if task_id in items:
            items[task_id].case_title = case.title
            continue
        spec = task.task_spec
        item = WorkItem(case_id=case.id, task_id=task_id, element_id=spec.bpmn_id,
                        pathway_id=case.pathway_id, version_id=case.version_id,
                        case_reference=case.reference or "", case_title=case.title,
                        title=spec.bpmn_name or spec.bpmn_id, role=spec.lane or "",
                        form=properties(spec).get("formJsonSchemaFilename"),
                        due_at=task_due(task, case_clock, time_limit), sandbox=case.sandbox, created_at=now)
        session.add(item)
        items[task_id] = item
        changes.opened.append(item)

    offset = dt.timedelta(seconds=case.clock_offset_seconds or 0)
    rows = {r.task_id: r for r in session.scalars(sa.select(Timer).where(Timer.case_id == case.id))}
    for task_id, row in rows.items():
        if task_id not in waiting:
            gone = workflow.get_task_from_id(_uuid(task_id)) if _has_task(workflow, task_id) else None
            state = TaskState.get_name(gone.state) if gone is not None else "REMOVED"
            changes.fired.append((row, state))
            if state == "COMPLETED" and row.attached_to_task_id in items:
                items[row.attached_to_task_id].escalated_at = now
            session.delete(row)
    for task_id, task in waiting.items():
        due = _timer_due(task)
        if due is None:
            continue
        fire_at = None if case.clock_frozen_at is not None else due - offset
        row = rows.get(task_id)
        if row is None:
            attached = _attached_task(task)
            session.add(Timer(case_id=case.id, task_id=task_id, element_id=task.task_spec.bpmn_id or "",
                              name=task.task_spec.bpmn_name or "", due_at=due, fire_at=fire_at,
                              attached_to_task_id=str(attached.id) if attached is not None else None,
                              sandbox=case.sandbox))
        elif row.due_at != due or row.fire_at != fire_at:
            row.due_at, row.fire_at = due, fire_at
    return changes


def _uuid(task_id: str):
    from uuid import UUID

    return UUID(task_id)


def _has_task(workflow, task_id: str) -> bool:
    try:
        workflow.get_task_from_id(_uuid(task_id))
        return True
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises its own TaskNotFoundException
        return False


def snapshot_data(workflow) -> str:
    return json.dumps(case_data(workflow), default=str, sort_keys=True)
