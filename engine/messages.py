"""Messages between cases: a case throws a BPMN message; the engine starts or wakes other cases.

Routing, in the thrower's transaction (so the whole exchange commits or rolls back together):
1. every pathway whose main start event catches the message gets a new case, started with the
   message's payload as its start data (checked against its start form) and linked to the thrower;
2. every active case linked to the thrower (either direction) that waits for the message gets it
   (the payload lands in the catch event's ``messageVariable``) and runs on.
A message nobody takes is recorded in the thrower's audit trail. No code here knows a pathway: the
routing is by message name and case links only.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import audit, clock as clockmod, stepping, store
from .errors import FormValidationError, WorkflowRunError
from .models import Case, CaseLink, Pathway, PathwayVersion

MAX_DEPTH = 5  # a reply to a reply...: deeper than this is a loop in the pathways, not a conversation


def start_message(spec) -> str | None:
    """The message a process's start event catches (it can then be started by another case)."""
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ == "StartEvent":
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(definition, MessageEventDefinition):
                return definition.name
    return None


def release_message_start(workflow, case_clock) -> None:
    """A case whose start event waits for a message is started by the engine: release that event.

    The start data is already on the start task (validated against the start form), so the message
    carries nothing more.
    """
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if type(task.task_spec).__name__ == "StartEvent" and isinstance(definition, MessageEventDefinition):
            workflow.catch(BpmnEvent(definition, {}, {}))
            stepping.advance(workflow, case_clock)
            return


def link(session, rt, source: Case, target: Case, message: str, actor, now: dt.datetime) -> None:
    session.add(CaseLink(from_case_id=source.id, to_case_id=target.id, message=message, created_at=now))
    audit.append(session, chain=f"case:{source.id}", case_id=source.id, at=now, actor_id=actor.user_id,
                 actor_name=actor.username, action="case_linked", summary=f"{message}: started case {target.reference}",
                 after={"case": target.reference, "message": message})


def linked_case_ids(session, case_id: int) -> list[int]:
    rows = session.execute(sa.select(CaseLink.from_case_id, CaseLink.to_case_id).where(
        sa.or_(CaseLink.from_case_id == case_id, CaseLink.to_case_id == case_id))).all()
    return sorted({a if b == case_id else b for a, b in rows} - {case_id})


def _starters(session, name: str) -> list[tuple[Pathway, PathwayVersion]]:
    latest = (sa.select(PathwayVersion.pathway_id, sa.func.max(PathwayVersion.number).label("n"))
              .where(PathwayVersion.status == "published").group_by(PathwayVersion.pathway_id).subquery())
    rows = session.execute(
        sa.select(Pathway, PathwayVersion).join(PathwayVersion, PathwayVersion.pathway_id == Pathway.id)
        .join(latest, sa.and_(latest.c.pathway_id == PathwayVersion.pathway_id, latest.c.n == PathwayVersion.number))
        .where(PathwayVersion.start_message == name).order_by(Pathway.key)).all()
    return [(r[0], r[1]) for r in rows]


def route(session, rt, case: Case, live, actor, touched: dict, depth: int) -> None:
    """Deliver the messages ``case`` threw in its last step (see the module docstring).

    Raises:
        WorkflowRunError: a payload does not fit the start form it starts, or messages loop.
    """
    from .cases import _audit_changes, _persist, _title_expression, start_in

    outbox, live.outbox = list(live.outbox or []), []
    if outbox and depth >= MAX_DEPTH:
        raise WorkflowRunError(f"messages between cases went {MAX_DEPTH} deep: the pathways answer each other "
                               "in a loop")
    for event in outbox:
        definition = event.event_definition
        if not isinstance(definition, MessageEventDefinition):
            continue
        name, payload, reached = definition.name, dict(event.payload or {}), []
        for pathway, version in _starters(session, name):
            try:
                new_id = start_in(session, rt, pathway, version, payload, actor, sandbox_case=case.sandbox,
                                  check_role=False, touched=touched, linked_from=case, message=name, depth=depth + 1)
            except FormValidationError as exc:
                raise WorkflowRunError(
                    f"message {name!r} of case {case.reference} does not fit the start form of {pathway.name}: "
                    + "; ".join(f"{k or 'form'}: {', '.join(v)}" for k, v in exc.field_errors.items())) from exc
            reached.append(session.get(Case, new_id).reference)
        for other_id in linked_case_ids(session, case.id):
            other = store.get_case(session, other_id)
            if other.status != "active":
                continue
            other_live = touched.get(other_id)
            fresh = other_live is None
            if fresh:
                other_live = store.load(session, rt, other)
            waiting = [t for t in other_live.workflow.get_tasks(state=TaskState.WAITING)
                       if isinstance(getattr(t.task_spec, "event_definition", None), MessageEventDefinition)
                       and t.task_spec.event_definition.name == name]
            if not waiting:
                if fresh:
                    rt.keep_live(other_id, other_live)  # untouched: back to the cache as it was
                continue
            clock = rt.case_clock(other.clock_offset_seconds, other.clock_frozen_at)
            since = store.started_clock()
            catcher = waiting[0].task_spec.event_definition
            with clockmod.using(clock):
                correlations = catcher.calculate_correlations(other_live.workflow.script_engine,
                                                              catcher.correlation_properties, payload)
            other_live.workflow.catch(BpmnEvent(catcher, payload, correlations))
            stepping.advance(other_live.workflow, clock)
            now = rt.now()
            if fresh:
                store.claim_version(session, other, other_live.row_version, now)
                touched[other_id] = other_live
            _persist(session, rt, other, other_live, since, actor, clock,
                     version_title=_title_expression(session, rt, other.version_id))
            audit.append(session, chain=f"case:{other.id}", case_id=other.id, at=now, actor_id=actor.user_id,
                         actor_name=actor.username, action="message_received", element_id=waiting[0].task_spec.bpmn_id,
                         summary=f"{name} from case {case.reference}", after=payload)
            _audit_changes(session, other, actor, now, other_live.changes)
            reached.append(other.reference)
            route(session, rt, other, other_live, actor, touched, depth + 1)
        audit.append(session, chain=f"case:{case.id}", case_id=case.id, at=rt.now(), actor_id=actor.user_id,
                     actor_name=actor.username, action="message_sent",
                     summary=(f"{name} to {', '.join(reached)}" if reached
                              else f"{name} sent; no linked case was waiting for it"),
                     after=payload)
