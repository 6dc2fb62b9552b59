"""Database tables of the engine (SQLAlchemy 2 declarative, no Flask).

Design notes (why the tables look like this):
- A pathway version stores its files and its parsed spec once; a case stores only its own state
  (``cases.state_json`` plus one ``case_tasks`` row per SpiffWorkflow task), never the spec.
- ``case_tasks`` rows are written only when a task changes, so what one step writes does not grow
  with the case's history.
- ``work_items`` and ``timers`` are projections written in the same transaction as the case, so the
  inbox and the timer tick never deserialize a workflow.
- ``audit_events`` is append-only and hash-chained per chain (``case:<id>`` or ``pathway:<id>``).
- ``cases.sandbox`` and the per-case clock columns exist for training mode.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

UTC = dt.timezone.utc


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite has no zone support)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: the engine works in aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # May manage users (engine/users.py); not a lane role, so it gives no access to cases.
    admin: Mapped[bool] = mapped_column(default=False)


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(100), primary_key=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Only a SHA-256 of the token is kept: a leaked database does not leak usable tokens.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Role(Base):
    __tablename__ = "roles"
    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")


class RateLimitHit(Base):
    """One counted hit of a rate limit (engine/ratelimit.py), shared by every worker and app instance.

    The key (a client address, a username) is stored only as a SHA-256; rows older than their
    bucket's window are deleted as new hits arrive, so the table holds about one window's worth.
    """

    __tablename__ = "rate_limit_hits"
    __table_args__ = (
        sa.Index("ix_rate_limit_hits_key", "bucket", "key_hash", "at"),  # counting one key's hits
        sa.Index("ix_rate_limit_hits_at", "bucket", "at"),  # pruning a bucket's old rows
    )
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    bucket: Mapped[str] = mapped_column(sa.String(40))
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Pathway(Base):
    __tablename__ = "pathways"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PathwayVersion(Base):
    __tablename__ = "pathway_versions"
    __table_args__ = (
        sa.UniqueConstraint("pathway_id", "number", name="uq_version_number"),
        sa.Index("ix_version_hash", "pathway_id", "content_hash"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(sa.ForeignKey("pathways.id"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20))  # draft | published | retired
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    process_id: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(200))
    settings_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    roles_json: Mapped[str] = mapped_column(sa.Text, default="[]")
    spec_json: Mapped[str] = mapped_column(sa.Text)
    # The message that starts this pathway when another case throws it (a message start event).
    start_message: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class VersionFile(Base):
    __tablename__ = "version_files"
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("pathway_versions.id", ondelete="CASCADE"), primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    pathway_id: Mapped[int] = mapped_column(sa.ForeignKey("pathways.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("pathway_versions.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)  # active | completed | cancelled
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    sandbox: Mapped[bool] = mapped_column(default=False, index=True)
    # The case's clock: real time shifted by clock_offset_seconds, or frozen at clock_frozen_at.
    clock_offset_seconds: Mapped[float] = mapped_column(sa.Float, default=0.0)
    clock_frozen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    row_version: Mapped[int] = mapped_column(default=1)
    serializer_version: Mapped[str] = mapped_column(sa.String(10))
    state_json: Mapped[str] = mapped_column(sa.Text)
    data_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    task_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CaseLink(Base):
    """Case ``from_case_id`` started case ``to_case_id`` by throwing ``message`` (e.g. a step up)."""

    __tablename__ = "case_links"
    __table_args__ = (sa.Index("ix_case_links_to", "to_case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    from_case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    to_case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CaseTask(Base):
    """One SpiffWorkflow task of a case, as the serializer writes it (data stored as a delta)."""

    __tablename__ = "case_tasks"
    __table_args__ = (sa.Index("ix_case_tasks_seq", "case_id", "seq"),)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    seq: Mapped[int]
    workflow_id: Mapped[str] = mapped_column(sa.String(36), default="")  # "" = top level, else subprocess id
    body: Mapped[str] = mapped_column(sa.Text)


class WorkItem(Base):
    """An open human task, denormalised for task lists and counts."""

    __tablename__ = "work_items"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "task_id", name="uq_work_item_task"),
        # The inbox's two halves, each served from an index alone: open work by role, and my work.
        sa.Index("ix_work_items_open", "sandbox", "assignee_id", "role", "pathway_id", "due_at", "id"),
        sa.Index("ix_work_items_mine", "assignee_id", "sandbox", "due_at", "id"),
        # The inbox filter's choices (engine.queries.inbox_choices): distinct pathway and task per role,
        # and of my work, read from this index alone.
        sa.Index("ix_work_items_choices", "sandbox", "assignee_id", "role", "pathway_id", "element_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(36))
    element_id: Mapped[str] = mapped_column(sa.String(100))
    pathway_id: Mapped[int] = mapped_column(sa.ForeignKey("pathways.id"))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("pathway_versions.id"))
    case_reference: Mapped[str] = mapped_column(sa.String(40), default="")
    case_title: Mapped[str] = mapped_column(sa.String(300), default="")
    title: Mapped[str] = mapped_column(sa.String(300))
    role: Mapped[str] = mapped_column(sa.String(100))
    form: Mapped[str | None] = mapped_column(sa.String(200))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    sandbox: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class TaskDraft(Base):
    """One user's unfinished form for an open task: the values as typed (not validated, not audited).

    Goes with its work item (``ON DELETE CASCADE``), so a draft disappears in the same transaction
    as the task is completed, cancelled or otherwise stops being open.
    """

    __tablename__ = "task_drafts"
    __table_args__ = (sa.UniqueConstraint("work_item_id", "user_id", name="uq_task_draft_user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(sa.ForeignKey("work_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    values_json: Mapped[str] = mapped_column(sa.Text)
    # The case's row_version the form was typed against: completing from the draft sends it back, so a
    # case changed since the draft was typed is a conflict, never a silent overwrite.
    case_version: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Timer(Base):
    """A waiting timer event of a case. ``fire_at`` is in real time (NULL while the case clock is frozen)."""

    __tablename__ = "timers"
    __table_args__ = (sa.UniqueConstraint("case_id", "task_id", name="uq_timer_task"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(36))
    element_id: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(300), default="")
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    fire_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    attached_to_task_id: Mapped[str | None] = mapped_column(sa.String(36))
    sandbox: Mapped[bool] = mapped_column(default=False)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (sa.UniqueConstraint("chain", "seq", name="uq_audit_chain_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(sa.String(60))
    seq: Mapped[int]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(200), default="")
    action: Mapped[str] = mapped_column(sa.String(50))
    element_id: Mapped[str] = mapped_column(sa.String(100), default="")
    task_id: Mapped[str] = mapped_column(sa.String(36), default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    before_json: Mapped[str | None] = mapped_column(sa.Text)
    after_json: Mapped[str | None] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class Letter(Base):
    """A letter recorded on a case, exactly as it was sent (engine/letters.py).

    The text is stored, not re-rendered: a later template or a corrected field never changes a letter
    already sent. ``template`` and ``version_id`` say what wrote it; ``content_hash`` is the SHA-256
    of its full text, also written into the audit event that recorded it.
    """

    __tablename__ = "letters"
    __table_args__ = (sa.Index("ix_letters_case", "case_id", "letter_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    letter_key: Mapped[str] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.String(300))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("pathway_versions.id"))
    template: Mapped[str] = mapped_column(sa.String(300))
    case_row_version: Mapped[int]  # the case version it was written from
    letter_date: Mapped[dt.date] = mapped_column(sa.Date)
    sender_json: Mapped[str] = mapped_column(sa.Text, default="[]")
    body: Mapped[str] = mapped_column(sa.Text)
    footer_json: Mapped[str] = mapped_column(sa.Text, default="[]")
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(sa.String(200), default="")
