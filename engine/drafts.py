"""Drafts: a practitioner's unfinished form for an open task, kept until the task is done.

A draft holds the values *as typed* (field names to strings or lists of strings), so incomplete or
invalid input can be kept; the task's form validates only on completion. One draft per user per
task (``task_drafts``, unique on work item and user); saving again replaces it. A draft goes with its
work item (``ON DELETE CASCADE``): when the task is completed, cancelled or otherwise stops being open,
the step that removes the work item removes the drafts in the same transaction.

Who may save: someone who could work the task now, as :func:`engine.cases.complete_task` checks it:
the case is active, the task is open, the actor holds its lane's role, it is not assigned to someone
else, and the four-eyes rule (``notSameActorAs``) does not exclude them. The four-eyes check reads the
case's data (the data of its last completed task) instead of the task's own data, which would mean
deserializing the case; in a pathway with parallel branches the two can differ, and then completion,
which checks the task's own data, is still the gate.

Not audited, on purpose: a draft changes nothing in the case (no data, no routing, no work item), is
private to its author and replaced at will. The audit chain records what was decided (the completion,
with its data); putting every save, let alone unfinished words, into a case's permanent, hash-chained
record would be noise and would keep what the practitioner had not yet said.
"""
from __future__ import annotations

import json

import sqlalchemy as sa

from . import store
from .access import readable_case, username_of, work_refusal
from .assignment import open_work_item
from .errors import CaseClosedError, FormValidationError, PermissionDeniedError
from .models import Case, TaskDraft, WorkItem
from .runtime import Runtime
from .stepping import properties
from .views import Actor, DraftView

MAX_DRAFT_BYTES = 200_000  # the JSON of the values, UTF-8: as much as a completed form may hold
MAX_DRAFT_FIELDS = 1_000
MAX_FIELD_NAME = 300


def clean_values(values: object) -> dict[str, str | list[str]]:
    """The draft's values checked for shape and size (not against the form: a draft may be incomplete).

    Raises:
        FormValidationError: not an object of names to strings or lists of strings, too many fields,
            or larger than :data:`MAX_DRAFT_BYTES`.
    """
    if not isinstance(values, dict):
        raise FormValidationError({"": ["a draft must be an object of field names and the values typed"]})
    if len(values) > MAX_DRAFT_FIELDS:
        raise FormValidationError({"": [f"a draft may hold at most {MAX_DRAFT_FIELDS:,} fields"]})
    bad = [k for k, v in values.items()
           if not isinstance(k, str) or not k or len(k) > MAX_FIELD_NAME
           or not (isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v)))]
    if bad:
        raise FormValidationError({str(k)[:MAX_FIELD_NAME]: ["a draft value must be text or a list of texts"]
                                   for k in bad[:20]})
    size = len(json.dumps(values, ensure_ascii=False).encode("utf-8"))
    if size > MAX_DRAFT_BYTES:
        raise FormValidationError({"": [f"the draft is {size:,} bytes; the limit is {MAX_DRAFT_BYTES:,} bytes"]})
    return {k: (list(v) if isinstance(v, list) else v) for k, v in values.items()}


def save_draft(rt: Runtime, case_id: int, task_id: str, values: dict, actor: Actor, *,
               case_version: int = 0) -> DraftView:
    """Save (or replace) the actor's draft of an open task's form, in one transaction.

    ``case_version`` is the case's row_version the form was opened at; it is kept with the draft and
    given back (:class:`engine.views.DraftView`), so completing from the draft later is checked against
    the case as the person saw it.

    Raises:
        FormValidationError: ``values`` has the wrong shape or is too large (see :func:`clean_values`).
        CaseNotFoundError, TaskNotFoundError: no such case, or the case has no such task.
        CaseClosedError: the case is completed or cancelled.
        TaskNotReadyError: the task is no longer open (completed or withdrawn meanwhile).
        PermissionDeniedError: the actor is not a signed-in user, lacks the task's role, the task is
            assigned to someone else, or the four-eyes rule excludes the actor.
    """
    clean = clean_values(values)
    if actor.user_id is None:
        raise PermissionDeniedError("drafts are kept for signed-in users only")
    with rt.db.transaction() as session:
        case, item = _open_item(session, case_id, task_id)
        _require_may_work(session, rt, case, item, actor)
        now = rt.now()
        text = json.dumps(clean, ensure_ascii=False, sort_keys=True)
        draft = session.scalars(sa.select(TaskDraft).where(TaskDraft.work_item_id == item.id,
                                                           TaskDraft.user_id == actor.user_id)).first()
        if draft is None:
            session.add(TaskDraft(work_item_id=item.id, user_id=actor.user_id, values_json=text, saved_at=now,
                                  case_version=case_version))
        else:
            draft.values_json, draft.saved_at, draft.case_version = text, now, case_version
    return DraftView(case_id=case_id, task_id=str(task_id), username=actor.username, values=clean, saved_at=now,
                     case_version=case_version)


def get_draft(rt: Runtime, case_id: int, task_id: str, actor: Actor) -> DraftView | None:
    """The actor's draft of a task of the case, or None (no draft, or the task is no longer open).

    Raises:
        CaseNotFoundError: no such case.
        PermissionDeniedError: the actor may not read the case.
    """
    with rt.db.reading() as session:
        case = readable_case(session, case_id, actor)
        if actor.user_id is None:
            return None
        row = session.execute(
            sa.select(TaskDraft.values_json, TaskDraft.saved_at, TaskDraft.case_version)
            .join(WorkItem, WorkItem.id == TaskDraft.work_item_id)
            .where(WorkItem.case_id == case.id, WorkItem.task_id == str(task_id)[:36],
                   TaskDraft.user_id == actor.user_id)).first()
    if row is None:
        return None
    return DraftView(case_id=case_id, task_id=str(task_id), username=actor.username,
                     values=json.loads(row.values_json), saved_at=row.saved_at, case_version=row.case_version)


def _open_item(session, case_id: int, task_id: str) -> tuple[Case, WorkItem]:
    """The case (active) and the task's work item, locked so a completion cannot remove it under the save.

    Raises: CaseNotFoundError, TaskNotFoundError, TaskNotReadyError, CaseClosedError.
    """
    case = store.get_case(session, case_id)
    if case.status != "active":  # said before "no longer open": its tasks all are, once it is closed
        raise CaseClosedError(f"case {case.reference} is {case.status}")
    return open_work_item(session, case_id, task_id, lock_case=False)


def _require_may_work(session, rt: Runtime, case: Case, item: WorkItem, actor: Actor) -> None:
    """Could the actor complete this task now? (engine.access, on the case's data; see the module docstring)

    Raises: PermissionDeniedError.
    """
    spec, subs = store.version_spec(session, rt, case.version_id)
    task_spec = next((s.task_specs[item.element_id] for s in [spec, *subs.values()]
                      if s is not None and item.element_id in s.task_specs), None)
    separate = properties(task_spec).get("notSameActorAs") if task_spec is not None else None
    owner = username_of(session, item.assignee_id)
    refusal = work_refusal(actor, title=item.title, role=item.role, assignee=owner, separate=separate,
                           decided_by=json.loads(case.data_json or "{}").get(separate) if separate else None)
    if refusal:
        raise PermissionDeniedError(refusal)
