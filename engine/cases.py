"""Service calls on cases: start one, complete a task (claim, assign and release: :mod:`engine.assignment`).

Each function is one transaction with one commit, opened here and committed when its ``with``
block ends; any error rolls everything back (the case, its task rows, work items, timers and audit
events are written together or not at all).
"""
from __future__ import annotations

import json
from uuid import UUID

import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from . import audit, messages, sandbox, stepping, store, versions
from .access import username_of, work_refusal
from .errors import (CaseClosedError, ExpressionError, FormValidationError, PermissionDeniedError, StaleCaseError,
                     TaskNotFoundError, TaskNotReadyError)
from .forms import validate_submission
from .models import Case, WorkItem
from .runtime import LiveCase, Runtime
from .views import Actor, StartPresets

RESERVED_KEYS = frozenset({"case", "settings"})
PUBLIC_ACTOR = "online referral"  # who starts the cases the public sends in


def _chain(case_id: int) -> str:
    return f"case:{case_id}"


def start_case(rt: Runtime, pathway_key: str, data: dict, actor: Actor, *, sandbox_case: bool = False) -> int:
    """Start a case on the latest published version of ``pathway_key``; return its id.

    Raises:
        PathwayNotFoundError: no published version.
        PermissionDeniedError: the start event sits in a lane whose role the actor lacks.
        FormValidationError: ``data`` fails the start form (or is not an object of plain names).
        ExpressionError, WorkflowRunError: the pathway failed while running its first steps.
    """
    with rt.db.transaction() as session:
        pathway, version = versions.latest_published(session, pathway_key)
        touched: dict[int, LiveCase] = {}
        case_id = start_in(session, rt, pathway, version, data, actor, sandbox_case=sandbox_case,
                           check_role=True, touched=touched)
    _keep(rt, touched)
    return case_id


def start_public_case(rt: Runtime, pathway_key: str, data: dict) -> tuple[int, Actor]:
    """Start a case from the public (no sign-in): as the system actor, without the start-lane role check.

    Only a pathway whose latest published manifest says ``public_start: true`` may be started so;
    the start form still validates ``data``. Returns the case id and the actor used.

    Raises:
        PathwayNotFoundError: no published version.
        PermissionDeniedError: the pathway is not open to the public.
        FormValidationError: ``data`` fails the start form.
        ExpressionError, WorkflowRunError: the pathway failed while running its first steps.
    """
    actor = Actor.system(PUBLIC_ACTOR)
    with rt.db.transaction() as session:
        pathway, version = versions.latest_published(session, pathway_key)
        manifest = versions.manifest(session, version.id, rt)
        if manifest is None or not manifest.public_start:
            raise PermissionDeniedError(f"{pathway.name} cannot be started by the public")
        touched: dict[int, LiveCase] = {}
        case_id = start_in(session, rt, pathway, version, data, actor, sandbox_case=False,
                           check_role=False, touched=touched)
    _keep(rt, touched)
    return case_id, actor


def start_form(rt: Runtime, pathway_key: str) -> dict | None:
    """The JSON Schema of the start form of the latest published version of ``pathway_key`` (None: no form).

    Raises: PathwayNotFoundError.
    """
    with rt.db.reading() as session:
        _pathway, version = versions.latest_published(session, pathway_key)
        spec, _subs = store.version_spec(session, rt, version.id)
        start_event = next((t for t in spec.task_specs.values() if type(t).__name__ == "StartEvent"), None)
        form = stepping.properties(start_event).get("formJsonSchemaFilename") if start_event is not None else None
        text = versions.file_text(session, version.id, form, rt) if form else None
    return json.loads(text) if text else None


def start_presets(rt: Runtime, pathway_key: str) -> StartPresets:
    """The latest published version's ``start_fields`` (see :class:`engine.views.StartPresets`).

    Raises: PathwayNotFoundError.
    """
    with rt.db.reading() as session:
        _pathway, version = versions.latest_published(session, pathway_key)
        manifest = versions.manifest(session, version.id, rt)
    if manifest is None:
        return StartPresets()
    return StartPresets(now=manifest.start_now, public=dict(manifest.start_public),
                        autocomplete=dict(manifest.start_autocomplete))


def may_start(rt: Runtime, pathway_key: str, actor: Actor) -> bool:
    """Whether ``actor`` may start ``pathway_key`` (the latest published version's start roles).

    Raises: PathwayNotFoundError.
    """
    with rt.db.reading() as session:
        pathway, version = versions.latest_published(session, pathway_key)
        spec, _subs = store.version_spec(session, rt, version.id)
        name = pathway.name
    start_event = next((t for t in spec.task_specs.values() if type(t).__name__ == "StartEvent"), None)
    try:
        if start_event is not None:
            _require_start_role(actor, start_event, name)
    except PermissionDeniedError:
        return False
    return True


def _require_start_role(actor: Actor, start_event, name: str) -> None:
    """The start event's lane, or its ``startRoles`` property when several roles may start the pathway."""
    listed = stepping.properties(start_event).get("startRoles")
    roles = [r.strip() for r in listed.split(",") if r.strip()] if listed else (
        [start_event.lane] if start_event.lane else [])
    if roles and not set(roles) & set(actor.roles):
        raise PermissionDeniedError(f"starting {name} needs one of the roles {', '.join(roles)}, "
                                    f"which {actor.username} does not hold")


def start_in(session, rt: Runtime, pathway, version, data, actor: Actor, *, sandbox_case: bool, check_role: bool,
             touched: dict, linked_from: Case | None = None, message: str = "", depth: int = 0) -> int:
    """Start a case inside the caller's transaction (a person starting it, or another case's message).

    Raises: as :func:`start_case`.
    """
    spec, subs = store.version_spec(session, rt, version.id)
    workflow = BpmnWorkflow(spec, subs, script_engine=rt.script_engine())
    start = workflow.get_next_task(state=TaskState.READY)
    start_event = next((t for t in spec.task_specs.values() if type(t).__name__ == "StartEvent"), None)
    if check_role and start_event is not None:
        _require_start_role(actor, start_event, pathway.name)
    data = _start_data(session, rt, version.id, start_event, data)

    now = rt.now()
    case = Case(pathway_id=pathway.id, version_id=version.id, status="active", sandbox=sandbox_case,
                serializer_version="", state_json="{}", created_at=now, created_by_id=actor.user_id,
                updated_at=now, title="")
    session.add(case)
    session.flush()
    case.reference = f"{'TR' if sandbox_case else 'PW'}-{case.id:06d}"
    clock = rt.case_clock(0, None)
    start.data.update(data)
    start.data["settings"] = json.loads(version.settings_json)
    start.data["case"] = {"reference": case.reference, "pathway": pathway.key, "version": version.number,
                          "started_at": clock.now().isoformat(), "started_by": actor.username,
                          "raised_by": linked_from.reference if linked_from is not None else None}
    live = LiveCase(workflow, 0, set(), 0)
    since = store.started_clock()
    stepping.advance(workflow, clock)
    messages.release_message_start(workflow, clock)
    _persist(session, rt, case, live, since, actor, clock, version_title=_title_expression(session, rt, version.id))
    raised = f", raised by case {linked_from.reference} ({message})" if linked_from is not None else ""
    audit.append(session, chain=_chain(case.id), case_id=case.id, at=now, actor_id=actor.user_id,
                 actor_name=actor.username, action="case_started",
                 summary=f"started {pathway.name} (version {version.number}){raised}", after=data)
    _audit_changes(session, case, actor, now, live.changes)
    touched[case.id] = live
    if linked_from is not None:
        messages.link(session, rt, linked_from, case, message, actor, now)
    messages.route(session, rt, case, live, actor, touched, depth)
    return case.id


def _keep(rt: Runtime, touched: dict) -> None:
    """After the commit: every case changed in the transaction goes back to the live cache."""
    for case_id, live in touched.items():
        rt.keep_live(case_id, live)


def complete_task(rt: Runtime, case_id: int, task_id: str, data: dict, actor: Actor, *,
                  expected_version: int | None = None) -> int:
    """Complete a ready human task with the submitted form data; return the case's new version.

    Raises:
        CaseNotFoundError, TaskNotFoundError: no such case or human task.
        StaleCaseError: ``expected_version`` is not the case's version, or another call saved first.
        TaskNotReadyError: the task was completed or cancelled meanwhile (or is not reachable yet).
        CaseClosedError: the case is completed or cancelled.
        PermissionDeniedError: the actor lacks the lane's role, the task is assigned to someone
            else, or the four-eyes rule forbids this actor.
        FormValidationError: the data fails the task's form, field by field.
        ExpressionError, WorkflowRunError: the pathway failed while running on.
    """
    with rt.db.transaction() as session:
        case = store.get_case(session, case_id)
        if expected_version is not None and expected_version != case.row_version:
            raise StaleCaseError(f"case {case.reference} is at version {case.row_version}, not {expected_version}")
        if case.status != "active":
            raise CaseClosedError(f"case {case.reference} is {case.status}")
        live = store.load(session, rt, case)
        touched: dict[int, LiveCase] = {case_id: live}
        try:
            result = _complete(session, rt, case, live, task_id, data, actor, touched)
        except BaseException:
            for touched_id in touched:
                rt.forget_live(touched_id)  # workflow objects may be half-run: never reuse them
            raise
    _keep(rt, touched)
    return result


def _complete(session, rt: Runtime, case: Case, live: LiveCase, task_id: str, data: dict, actor: Actor,
              touched: dict) -> int:
    workflow = live.workflow
    task = _find_task(workflow, task_id)
    spec = task.task_spec
    if not getattr(spec, "manual", False):
        raise TaskNotFoundError(f"{task_id} is not a human task")
    if task.state != TaskState.READY:
        raise TaskNotReadyError(f"'{spec.bpmn_name or spec.bpmn_id}' is {TaskState.get_name(task.state).lower()}, "
                                "not waiting to be done")
    item = session.scalars(sa.select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_id == task_id)).first()
    props = stepping.properties(spec)
    separate = props.get("notSameActorAs")
    # The task's own data decides the four-eyes rule here (see engine.access).
    refusal = work_refusal(actor, title=spec.bpmn_name or spec.bpmn_id, role=spec.lane or "",
                           assignee=username_of(session, item.assignee_id) if item is not None else None,
                           separate=separate, decided_by=task.data.get(separate) if separate else None)
    if refusal:
        raise PermissionDeniedError(refusal)
    form_name = props.get("formJsonSchemaFilename")
    schema = versions.file_text(session, case.version_id, form_name, rt) if form_name else None
    clean = validate_submission(schema, data) if schema is not None else _plain(data)
    before = {k: task.data.get(k) for k in clean}
    actor_field = props.get("actorField")

    clock = rt.case_clock(case.clock_offset_seconds, case.clock_frozen_at)
    since = store.started_clock()
    task.data.update(clean)
    if actor_field:
        task.data[actor_field] = actor.username
    with stepping.clockmod.using(clock):
        try:
            task.run()
        except Exception as exc:  # noqa: BLE001 - post-scripts run here; translate like any step
            raise stepping.translate(exc) from exc
    stepping.advance(workflow, clock)
    now = rt.now()
    version = store.claim_version(session, case, live.row_version, now)
    _persist(session, rt, case, live, since, actor, clock, version_title=_title_expression(session, rt, case.version_id))
    audit.append(session, chain=_chain(case.id), case_id=case.id, at=now, actor_id=actor.user_id,
                 actor_name=actor.username, action="task_completed", element_id=spec.bpmn_id, task_id=task_id,
                 summary=f"completed '{spec.bpmn_name or spec.bpmn_id}'", before=before, after=clean)
    _audit_changes(session, case, actor, now, live.changes)
    messages.route(session, rt, case, live, actor, touched, 0)
    return version


def _find_task(workflow, task_id: str):
    try:
        return workflow.get_task_from_id(UUID(str(task_id)))
    except (ValueError, Exception) as exc:  # noqa: BLE001 - bad UUID text or SpiffWorkflow's not-found
        raise TaskNotFoundError(f"this case has no task {task_id}") from exc


def _plain(data) -> dict:
    if not isinstance(data, dict):
        raise FormValidationError({"": ["the submission must be a JSON object of field values"]})
    bad = [k for k in data if not (isinstance(k, str) and k.isidentifier() and not k.startswith("_"))
           or k in RESERVED_KEYS]
    if bad:
        raise FormValidationError({k: ["not a usable field name"] for k in bad})
    return dict(data)


def _start_data(session, rt: Runtime, version_id: int, start_event, data) -> dict:
    form = stepping.properties(start_event).get("formJsonSchemaFilename") if start_event is not None else None
    schema = versions.file_text(session, version_id, form, rt) if form else None
    return validate_submission(schema, data if data is not None else {}) if schema else _plain(data or {})


def _title_expression(session, rt: Runtime, version_id: int) -> str | None:
    manifest = versions.manifest(session, version_id, rt)
    return manifest.title if manifest is not None else None


def _persist(session, rt: Runtime, case: Case, live: LiveCase, since: float, actor: Actor, clock,
             *, version_title: str | None) -> None:
    workflow = live.workflow
    data = stepping.case_data(workflow)
    if version_title:
        try:
            with stepping.clockmod.using(clock):
                case.title = str(sandbox.evaluate(version_title, dict(data), time_limit=rt.expression_time_limit))[:300]
        except ExpressionError:
            pass  # a title is a convenience: a case must not fail because its title cannot be worked out
    if workflow.is_completed() and case.status == "active":
        case.status = "completed"
        case.closed_at = rt.now()
    case.data_json = json.dumps(data, default=str, sort_keys=True)
    # Thrown messages leave the workflow before it is saved, so a reload never sends them twice.
    live.outbox = list(live.outbox or []) + workflow.get_events()
    store.save(session, case, live, since)
    live.row_version = case.row_version
    live.changes = stepping.sync_projections(session, case, workflow, case_clock=clock, now=rt.now(),
                                             time_limit=rt.expression_time_limit)


def _audit_changes(session, case: Case, actor: Actor, now, changes) -> None:
    for timer, state in changes.fired:
        if state != "COMPLETED":
            continue
        action = "escalation" if timer.attached_to_task_id else "timer_fired"
        audit.append(session, chain=_chain(case.id), case_id=case.id, at=now, actor_id=None, actor_name="timer",
                     action=action, element_id=timer.element_id, task_id=timer.task_id,
                     summary=f"timer '{timer.name or timer.element_id}' fired (due {timer.due_at.isoformat()})")
    if case.status == "completed" and case.closed_at == now:
        audit.append(session, chain=_chain(case.id), case_id=case.id, at=now, actor_id=actor.user_id,
                     actor_name=actor.username, action="case_completed", summary="the case reached its end")

