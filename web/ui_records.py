"""The case page's record sections, made ready for its template: the pathway's summary, each record,
the consents and the timeline.

The engine gives the values (:meth:`engine.Engine.case_records`, :meth:`engine.Engine.audit_trail`)
with the forms' titles and choices already applied; this module only lays them out: times in UK time,
newest first, and one anchor per record so the timeline can link to what was recorded.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine import AuditEventView, CaseRecordsView, ConsentView, FieldView, RecordView
from web.ui_inbox import local_time

# Row labels of a consent card, for the parts of a form's x-pathways-consent declaration; the parts whose
# fields are shown on one line (the others one line per item, e.g. each thing the consent covers).
CONSENT_LABELS = (("agreed", "Consent"), ("given_by", "Given by"), ("date", "Date"), ("scope", "What it covers"))
ONE_LINE = frozenset({"agreed", "given_by", "date"})


@dataclass(frozen=True)
class Row:
    """A summary-list row: its key and the lines of its value (none: not recorded)."""

    key: str
    lines: tuple[str, ...]


def field_lines(field: FieldView) -> tuple[str, ...]:
    """A field's display lines; a date and time is shown in UK time."""
    if field.format == "date-time" and isinstance(field.value, str):
        try:
            when = dt.datetime.fromisoformat(field.value)
        except ValueError:
            return field.items
        return (local_time(when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)),)
    return field.items


def _rows(fields) -> list[Row]:
    return [Row(f.title, field_lines(f)) for f in fields]


def _anchor(record: RecordView) -> str:
    return f"record-{record.seq}"


def _when(record: RecordView) -> dict:
    return {"who": record.actor_name, "when": local_time(record.at), "iso": record.at.isoformat()}


def _consent_rows(consent: ConsentView) -> list[Row]:
    """Consent, given by, date, what it covers, withdrawn (each part the form declares), then the notes."""
    rows = []
    for part, label in CONSENT_LABELS:
        if getattr(consent, part):
            lines = tuple(line for f in getattr(consent, part) for line in field_lines(f))
            rows.append(Row(label, (", ".join(lines),) if part in ONE_LINE and lines else lines))
    if consent.withdrawn or consent.withdrawn_on:
        on = ", ".join(line for f in consent.withdrawn_on for line in field_lines(f))
        recorded = any(f.items for f in (*consent.withdrawn, *consent.withdrawn_on))
        rows.append(Row("Withdrawn", (f"Yes, on {on}" if on else "Yes",) if consent.is_withdrawn
                        else ("No",) if recorded else ()))
    return rows + _rows(consent.notes)


def record_sections(view: CaseRecordsView) -> dict:
    """``summary`` (sections of rows), ``records`` (newest first) and ``consents`` (latest first)."""
    return {
        "summary": [{"heading": s.heading, "rows": _rows(s.fields)} for s in view.summary],
        "records": [{"id": _anchor(r), "title": r.title, "rows": _rows(r.fields), **_when(r)}
                    for r in reversed(view.records)],
        "consents": [{"id": f"consent-{r.seq}", "record_id": _anchor(r), "title": r.title,
                      "withdrawn": r.consent.is_withdrawn, "rows": _consent_rows(r.consent), **_when(r)}
                     for r in view.consents],
    }


def timeline(events: list[AuditEventView], view: CaseRecordsView) -> list[dict]:
    """The audit events, newest first: what happened, by whom (name and username), when; a link to the
    record an event made."""
    anchors = {r.seq: _anchor(r) for r in view.records}
    return [{"title": _sentence(e.summary or e.action), "who": e.actor_name or e.actor, "username": e.actor,
             "when": local_time(e.at), "iso": e.at.isoformat(), "record_id": anchors.get(e.seq), "event": e}
            for e in reversed(events)]


def _sentence(text: str) -> str:
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]
