"""The audit trail: append-only events, hash-chained per case (and per pathway for publications).

Each event's hash covers its content and the previous event's hash, so editing, deleting or
reordering any event breaks :func:`verify` from that event on. Appends happen in the caller's
transaction, after the case row's version check, so two writers never append to one chain at once.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import AuditEvent

GENESIS = "0" * 64


def _canonical(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _digest(ev: AuditEvent) -> str:
    payload = json.dumps([
        ev.chain, ev.seq, ev.case_id, ev.at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
        ev.actor_id, ev.actor_name, ev.action, ev.element_id, ev.task_id, ev.summary,
        ev.before_json, ev.after_json, ev.prev_hash,
    ], separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def append(session: Session, *, chain: str, case_id: int | None, at: dt.datetime, actor_id: int | None,
           actor_name: str, action: str, summary: str = "", element_id: str = "", task_id: str = "",
           before=None, after=None) -> AuditEvent:
    """Append one event to ``chain`` in the session's transaction."""
    last = session.execute(
        sa.select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq.desc()).limit(1)).first()
    ev = AuditEvent(chain=chain, seq=(last.seq + 1) if last else 1, case_id=case_id,
                    at=at, actor_id=actor_id, actor_name=actor_name,
                    action=action, element_id=element_id, task_id=task_id, summary=summary,
                    before_json=_canonical(before), after_json=_canonical(after),
                    prev_hash=last.hash if last else GENESIS)
    ev.hash = _digest(ev)
    session.add(ev)
    return ev


@dataclass(frozen=True)
class ChainCheck:
    chain: str
    events: int
    ok: bool
    first_bad_seq: int | None = None
    reason: str = ""


def verify_chain(session: Session, chain: str) -> ChainCheck:
    """Recompute every hash of ``chain`` in order; report the first event that does not match."""
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)).all()
    prev = GENESIS
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            return ChainCheck(chain, len(events), False, ev.seq, f"event {expected_seq} is missing")
        if ev.prev_hash != prev:
            return ChainCheck(chain, len(events), False, ev.seq, "it does not follow the event before it")
        if _digest(ev) != ev.hash:
            return ChainCheck(chain, len(events), False, ev.seq, "its content was changed after it was written")
        prev = ev.hash
    return ChainCheck(chain, len(events), True)
