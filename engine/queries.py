"""Read-only queries: the inbox, counts, a case as the API shows it, the audit trail.

None of these deserializes a workflow: the inbox and counts read ``work_items`` only; a case view
reads the case row, its work items and timers, and the version's cached spec for documentation.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from . import audit, codec, store, versions
from .access import readable_case, work_refusal
from .models import AuditEvent, Case, CaseLink, CaseTask, Pathway, PathwayVersion, Timer, User, WorkItem
from .runtime import Runtime
from .version_forms import VersionForms
from .stepping import properties
from .views import (Actor, AuditEventView, CaseView, InboxChoices, LinkView, TaskView, TimerView, VerifyResult,
                    WorkItemView, WorkPage)

MAX_PER_PAGE = 200  # a page larger than this is cut to it (exported as engine.MAX_PER_PAGE)


@dataclass(frozen=True)
class InboxFilter:
    pathway_key: str | None = None
    element_id: str | None = None
    due_before: dt.datetime | None = None
    mine_only: bool = False
    sandbox: bool = False


def _branches(session, actor: Actor, flt: InboxFilter, columns) -> list:
    """The inbox as index-friendly halves (open work for my roles; work assigned to me).

    An OR of the two halves makes databases scan the whole table; UNION ALL of the halves lets
    each one read its own index (ix_work_items_open, ix_work_items_mine).
    """
    filters = [WorkItem.sandbox == flt.sandbox]
    if flt.pathway_key:
        pathway_id = session.scalar(sa.select(Pathway.id).where(Pathway.key == flt.pathway_key))
        filters.append(WorkItem.pathway_id == (pathway_id or -1))
    if flt.element_id:
        filters.append(WorkItem.element_id == flt.element_id)
    if flt.due_before:
        due = flt.due_before
        # A naive time is taken as UTC: the engine never uses the server's local zone.
        filters.append(WorkItem.due_at < (due.replace(tzinfo=dt.timezone.utc) if due.tzinfo is None else due))
    branches = []
    if not flt.mine_only and actor.roles:
        branches.append(sa.select(*columns).where(WorkItem.assignee_id.is_(None),
                                                  WorkItem.role.in_(sorted(actor.roles)), *filters))
    if actor.user_id is not None:
        branches.append(sa.select(*columns).where(WorkItem.assignee_id == actor.user_id, *filters))
    return branches


def _union(branches):
    return branches[0].subquery() if len(branches) == 1 else sa.union_all(*branches).subquery()


def inbox(rt: Runtime, actor: Actor, flt: InboxFilter = InboxFilter(), *, page: int = 1, per_page: int = 50) -> WorkPage:
    """Open tasks for the actor's roles and tasks assigned to them: overdue first, then by due date.

    Pages are cut from (due date, id) pairs read from the indexes alone; only the page's rows are
    then fetched, so a deep page does not read every earlier row.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    with rt.db.reading() as session:
        branches = _branches(session, actor, flt, (WorkItem.id, WorkItem.due_at))
        if not branches:
            return WorkPage((), 0, page, per_page)
        union = _union(branches)
        total = session.scalar(sa.select(sa.func.count()).select_from(union))
        ids = list(session.scalars(sa.select(union.c.id)
                                   .order_by(union.c.due_at.is_(None), union.c.due_at, union.c.id)
                                   .offset((page - 1) * per_page).limit(per_page)))
        rows = {r.id: r for r in session.scalars(sa.select(WorkItem).where(WorkItem.id.in_(ids)))} if ids else {}
        ordered = [rows[i] for i in ids if i in rows]
        names = _usernames(session, {r.assignee_id for r in ordered})
        keys = _pathway_keys(session, {r.pathway_id for r in ordered})
        items = tuple(_item_view(r, names, keys) for r in ordered)
    return WorkPage(items, total, page, per_page)


def counts(rt: Runtime, actor: Actor, *, sandbox: bool = False) -> dict[str, int]:
    """How many open tasks the actor can see: per role, assigned to them, and overdue."""
    now = rt.now()
    with rt.db.reading() as session:
        per_role = dict(session.execute(
            sa.select(WorkItem.role, sa.func.count()).where(
                WorkItem.sandbox == sandbox, WorkItem.assignee_id.is_(None), WorkItem.role.in_(sorted(actor.roles)))
            .group_by(WorkItem.role)).all()) if actor.roles else {}
        mine = session.scalar(sa.select(sa.func.count()).where(
            WorkItem.sandbox == sandbox, WorkItem.assignee_id == actor.user_id)) if actor.user_id else 0
        branches = _branches(session, actor, InboxFilter(sandbox=sandbox, due_before=now), (WorkItem.id,))
        overdue = session.scalar(sa.select(sa.func.count()).select_from(_union(branches))) if branches else 0
    return {"assigned_to_me": mine or 0, "overdue": overdue or 0, **{f"role:{k}": v for k, v in per_role.items()}}


def inbox_choices(rt: Runtime, actor: Actor, *, sandbox: bool = False) -> InboxChoices:
    """The distinct pathways and tasks (element id, title) of the actor's inbox, for its filter form.

    The same two halves as :func:`inbox` (open work of each of my roles; work assigned to me), so
    every choice matches some open item. Each half is a DISTINCT read from ``ix_work_items_choices``
    alone (one statement per role, so SQLite skips from one distinct value to the next instead of
    reading every entry), and each distinct task's title is one row found through the same index:
    the cost follows the number of distinct tasks, not of open items.
    """
    w = aliased(WorkItem)  # the row giving a distinct task its title

    def half(item, role: str | None) -> list:
        """The conditions of one half (a role's open work; None: assigned to me) on ``item`` (or its alias)."""
        if role is None:
            return [item.sandbox == sandbox, item.assignee_id == actor.user_id]
        return [item.sandbox == sandbox, item.assignee_id.is_(None), item.role == role]

    halves = sorted(actor.roles) + ([None] if actor.user_id is not None else [])
    if not halves:
        return InboxChoices((), ())
    found: dict[tuple[int, str], str] = {}
    with rt.db.reading() as session:
        for role in halves:
            distinct = (sa.select(WorkItem.pathway_id, WorkItem.element_id).where(*half(WorkItem, role))
                        .distinct().subquery())
            title = (sa.select(w.title).where(*half(w, role), w.pathway_id == distinct.c.pathway_id,
                                              w.element_id == distinct.c.element_id)
                     .limit(1).scalar_subquery())
            for pathway_id, element_id, task_title in session.execute(
                    sa.select(distinct.c.pathway_id, distinct.c.element_id, title)):
                found.setdefault((pathway_id, element_id), task_title or element_id)
        keys = _pathway_keys(session, {pathway_id for pathway_id, _ in found})
    pathways = sorted(set(keys.values()), key=lambda kn: (kn[1].lower(), kn[0]))
    titles: dict[str, str] = {}
    for (_pathway_id, element_id), task_title in sorted(found.items()):
        titles.setdefault(element_id, task_title)  # one choice per element id: the filter matches on the id
    tasks = sorted(titles.items(), key=lambda et: (et[1].lower(), et[0]))
    return InboxChoices(tuple(pathways), tuple(tasks))


def _usernames(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    return dict(session.execute(sa.select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}


def _pathway_keys(session, ids) -> dict[int, tuple[str, str]]:
    """Pathway id → (key, name)."""
    rows = session.execute(sa.select(Pathway.id, Pathway.key, Pathway.name).where(Pathway.id.in_(ids))) if ids else ()
    return {i: (key, name) for i, key, name in rows}


def _item_view(r: WorkItem, names, keys) -> WorkItemView:
    return WorkItemView(id=r.id, case_id=r.case_id, case_reference=r.case_reference, case_title=r.case_title,
                        task_id=r.task_id, element_id=r.element_id, pathway_key=keys.get(r.pathway_id, ("", ""))[0],
                        title=r.title, role=r.role, due_at=r.due_at, escalated=r.escalated_at is not None,
                        assignee=names.get(r.assignee_id), created_at=r.created_at,
                        pathway_name=keys.get(r.pathway_id, ("", ""))[1])


def case_view(rt: Runtime, case_id: int, actor: Actor, *, check: bool = True) -> CaseView:
    """Raises: CaseNotFoundError; PermissionDeniedError when the actor may not read it."""
    with rt.db.reading() as session:
        case = readable_case(session, case_id, actor, check=check)
        version = session.get(PathwayVersion, case.version_id)
        key, pathway_name = session.execute(sa.select(Pathway.key, Pathway.name)
                                            .where(Pathway.id == case.pathway_id)).one()
        forms = VersionForms(session, rt, case.version_id)
        items = session.scalars(sa.select(WorkItem).where(WorkItem.case_id == case.id).order_by(WorkItem.id)).all()
        names = _usernames(session, {i.assignee_id for i in items})
        data = json.loads(case.data_json)
        tasks = tuple(_task_view(session, rt, case, item, forms, names, actor, data) for item in items)
        timers = tuple(TimerView(t.element_id, t.name, t.due_at) for t in session.scalars(
            sa.select(Timer).where(Timer.case_id == case.id).order_by(Timer.due_at)))
        return CaseView(id=case.id, reference=case.reference or "", title=case.title, pathway_key=key,
                        version_number=version.number, version_id=version.id, status=case.status,
                        row_version=case.row_version, sandbox=case.sandbox, data=data,
                        ready_tasks=tasks, timers=timers, created_at=case.created_at, updated_at=case.updated_at,
                        clock_now=rt.case_clock(case.clock_offset_seconds, case.clock_frozen_at).now(),
                        links=_links(session, case.id), pathway_name=pathway_name)


def _links(session, case_id: int) -> tuple[LinkView, ...]:
    other = aliased(Case)
    rows = session.execute(
        sa.select(CaseLink, other.reference, Pathway.key, Pathway.name)
        .join(other, other.id == sa.case((CaseLink.from_case_id == case_id, CaseLink.to_case_id),
                                         else_=CaseLink.from_case_id))
        .join(Pathway, Pathway.id == other.pathway_id)
        .where(sa.or_(CaseLink.from_case_id == case_id, CaseLink.to_case_id == case_id))
        .order_by(CaseLink.id)).all()
    return tuple(LinkView(case_id=link.to_case_id if link.from_case_id == case_id else link.from_case_id,
                          reference=reference or "", pathway_key=key,
                          direction="raised" if link.from_case_id == case_id else "raised_by", message=link.message,
                          pathway_name=name)
                 for link, reference, key, name in rows)


def _task_view(session, rt: Runtime, case: Case, item: WorkItem, forms: VersionForms, names, actor: Actor,
               data: dict) -> TaskView:
    task_spec = forms.task(item.element_id)
    props = properties(task_spec) if task_spec is not None else {}
    shown = tuple(forms.field(n.strip(), data.get(n.strip()))
                  for n in str(props.get("showFields") or "").split(",") if n.strip())
    separate = props.get("notSameActorAs")
    blocked = work_refusal(actor, title=item.title, role=item.role, assignee=names.get(item.assignee_id),
                           separate=separate, decided_by=data.get(separate) if separate else None)
    return _with_form(session, rt, case, task_spec, props, id=item.task_id, element_id=item.element_id,
                      title=item.title, role=item.role, due_at=item.due_at, assignee=names.get(item.assignee_id),
                      escalated=item.escalated_at is not None, shown=shown, blocked=blocked)


def _with_form(session, rt: Runtime, case: Case, task_spec, props: dict, **fields) -> TaskView:
    """A TaskView of ``task_spec`` with its form and UI schema read from the case's version."""
    form_name, ui_name = props.get("formJsonSchemaFilename"), props.get("formUiSchemaFilename")
    form_text = versions.file_text(session, case.version_id, form_name, rt) if form_name else None
    ui_text = versions.file_text(session, case.version_id, ui_name, rt) if ui_name else None
    return TaskView(form_name=form_name, form_schema=json.loads(form_text) if form_text else None,
                    ui_schema=json.loads(ui_text) if ui_text else None,
                    documentation=(getattr(task_spec, "documentation", None) or ""),
                    properties={k: v for k, v in props.items() if k != "formJsonSchemaFilename"}, **fields)


def any_task(rt: Runtime, case_id: int, task_id: str, actor: Actor) -> TaskView | None:
    """A human task of the case by id, whatever its state, with its form; None if there is no such task.

    For pages about a task that is no longer ready (someone else completed it meanwhile): it reads
    the task's own row for its element, not the workflow. ``blocked`` says it is not waiting to be done.

    Raises: CaseNotFoundError, PermissionDeniedError.
    """
    with rt.db.reading() as session:
        case = readable_case(session, case_id, actor)
        body = session.scalar(sa.select(CaseTask.body).where(CaseTask.case_id == case.id,
                                                             CaseTask.task_id == str(task_id)[:36]))
        element_id = codec.element_of(body) if body else None
        forms = VersionForms(session, rt, case.version_id)
        task_spec = forms.task(element_id) if element_id else None
        if task_spec is None or not getattr(task_spec, "manual", False):
            return None
        return _with_form(session, rt, case, task_spec, properties(task_spec), id=str(task_id),
                          element_id=element_id, title=getattr(task_spec, "bpmn_name", None) or element_id,
                          role=getattr(task_spec, "lane", None) or "", due_at=None, assignee=None, escalated=False,
                          blocked="this task is no longer waiting to be done")


def audit_trail(rt: Runtime, case_id: int, actor: Actor) -> list[AuditEventView]:
    """Raises: CaseNotFoundError, PermissionDeniedError."""
    with rt.db.reading() as session:
        readable_case(session, case_id, actor)
        events = session.scalars(sa.select(AuditEvent).where(AuditEvent.chain == f"case:{case_id}")
                                 .order_by(AuditEvent.seq)).all()
        ids = {e.actor_id for e in events if e.actor_id is not None}
        names = (dict(session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids))).all())
                 if ids else {})
        return [AuditEventView(e.seq, e.at, e.actor_name, e.action, e.element_id, e.summary,
                               json.loads(e.before_json) if e.before_json else None,
                               json.loads(e.after_json) if e.after_json else None, e.hash,
                               actor_name=names.get(e.actor_id) or e.actor_name) for e in events]


def verify(rt: Runtime, chain: str) -> VerifyResult:
    """Check one audit chain (``case:<id>`` or ``pathway:<id>``)."""
    with rt.db.reading() as session:
        check = audit.verify_chain(session, chain)
    return VerifyResult(check.chain, check.events, check.ok, check.first_bad_seq, check.reason)


def all_chains(rt: Runtime) -> list[str]:
    with rt.db.reading() as session:
        return list(session.scalars(sa.select(AuditEvent.chain).distinct().order_by(AuditEvent.chain)))


def case_trace(rt: Runtime, case_id: int, actor: Actor):
    """Elements completed (in order), active and waiting, and the flows taken.

    Raises: CaseNotFoundError, PermissionDeniedError.
    """
    from . import trace

    with rt.db.reading() as session:
        case = readable_case(session, case_id, actor)
        live = store.load(session, rt, case)  # taken out of the live cache while we read it
        try:
            return trace.trace(live.workflow, versions.files(session, case.version_id))
        finally:
            rt.keep_live(case.id, live)
