"""A case as recorded: the pathway's summary, every submission (who, when, what) and the consents.

Read from the audit trail, not from the task rows. The ``case_started`` and ``task_completed``
events hold exactly what a person submitted (the start data; the validated form fields, in
``after``), with who and when, in the same transaction as the step, hash-chained and never
rewritten. The task rows hold SpiffWorkflow's data as it flowed (deltas of everything a task
inherited, scripts' results included), not who submitted it; and the case's merged data is the last
completed task's, so in a pathway with parallel branches it holds either branch's values. Each
record here carries its own submission, so parallel branches each show their own values.

Titles and display values come from the forms the version names (:mod:`engine.form_records`); what
the summary shows comes from the manifest's ``summary``. No workflow is deserialized.
"""
from __future__ import annotations

import json

import sqlalchemy as sa

from . import versions
from .access import readable_case
from .form_records import consent_parts, properties
from .models import AuditEvent, Case, User
from .runtime import Runtime
from .version_forms import VersionForms, field_view
from .views import Actor, CaseRecordsView, ConsentView, FieldView, RecordView, SummarySectionView

RECORD_ACTIONS = ("case_started", "task_completed")


def case_records(rt: Runtime, case_id: int, actor: Actor) -> CaseRecordsView:
    """The case's summary (its manifest's ``summary``) and its records, oldest first.

    Raises:
        CaseNotFoundError: no such case.
        PermissionDeniedError: the actor may not read it (as :meth:`engine.Engine.get_case`).
    """
    with rt.db.reading() as session:
        case = readable_case(session, case_id, actor)
        forms = VersionForms(session, rt, case.version_id)
        events = session.execute(
            sa.select(AuditEvent.seq, AuditEvent.at, AuditEvent.actor_id, AuditEvent.actor_name, AuditEvent.action,
                      AuditEvent.element_id, AuditEvent.task_id, AuditEvent.after_json)
            .where(AuditEvent.chain == f"case:{case.id}", AuditEvent.action.in_(RECORD_ACTIONS))
            .order_by(AuditEvent.seq)).all()
        ids = {e.actor_id for e in events if e.actor_id is not None}
        names = (dict(session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids))).all())
                 if ids else {})
        records = tuple(r for r in (_record(e, forms, names) for e in events) if r is not None)
        summary = _summary(session, rt, case, forms, records)
    return CaseRecordsView(summary=summary, records=records)


def _record(event, forms: VersionForms, names: dict) -> RecordView | None:
    data = json.loads(event.after_json) if event.after_json else {}
    if not isinstance(data, dict) or (event.action == "case_started" and not data):
        return None  # a case started with no data has nothing to show
    task_spec = forms.task(event.element_id)
    schema = forms.schema(task_spec)
    props = properties(schema)
    order = [n for n in props if n in data] + sorted(n for n in data if n not in props)
    fields = tuple(field_view(n, props.get(n), data[n]) for n in order if data[n] is not None)
    name = (getattr(task_spec, "bpmn_name", None) or "") if task_spec is not None else ""
    form_title = str(schema.get("title") or "") if schema else ""
    return RecordView(seq=event.seq, element_id=event.element_id, task_id=event.task_id,
                      title=name or form_title or event.element_id or "Case started", form_title=form_title,
                      actor=event.actor_name, actor_name=names.get(event.actor_id) or event.actor_name,
                      at=event.at, fields=fields, consent=_consent(schema, fields))


def _consent(schema: dict | None, fields: tuple[FieldView, ...]) -> ConsentView | None:
    """The consent a record holds, part by part. A declared part left empty on the form is kept, not
    recorded, so the page can say so (was it withdrawn? "Not recorded"); notes only when recorded."""
    parts = consent_parts(schema)
    if parts is None:
        return None
    props = properties(schema)
    by_name = {f.name: f for f in fields}
    shown = {part: tuple(by_name.get(n) or field_view(n, props.get(n), None) for n in names
                         if n in by_name or part != "notes")
             for part, names in parts.items()}
    withdrawn = (any(f.value is True for f in shown.get("withdrawn", ()))
                 or any(f.items for f in shown.get("withdrawn_on", ())))
    return ConsentView(**shown, is_withdrawn=withdrawn) if "agreed" in shown else None


def _summary(session, rt: Runtime, case: Case, forms: VersionForms,
             records: tuple[RecordView, ...]) -> tuple[SummarySectionView, ...]:
    """The manifest's summary: each field as last recorded, else as the case's data holds it."""
    manifest = versions.manifest(session, case.version_id, rt)
    sections = manifest.summary if manifest is not None else ()
    if not sections:
        return ()
    latest: dict[str, FieldView] = {}
    for record in records:
        latest.update({f.name: f for f in record.fields})
    data = json.loads(case.data_json or "{}")
    return tuple(SummarySectionView(heading, tuple(
        latest.get(name) or field_view(name, forms.field_props.get(name), data.get(name)) for name in names))
        for heading, names in sections)
