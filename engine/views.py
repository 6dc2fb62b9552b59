"""Plain frozen values the engine hands out. Callers never see SpiffWorkflow or ORM objects."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """Who is acting: passed into every service call (the engine has no notion of a request)."""

    user_id: int | None
    username: str
    roles: frozenset[str] = frozenset()
    display_name: str = ""

    @classmethod
    def system(cls, name: str = "system", roles: frozenset[str] = frozenset()) -> "Actor":
        return cls(None, name, roles, name)


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class VersionView:
    id: int
    pathway_key: str
    pathway_name: str
    number: int
    status: str
    content_hash: str
    process_id: str
    settings: dict
    roles: tuple[str, ...]
    published_at: dt.datetime | None
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublishResult:
    pathway_key: str
    version: VersionView
    created: bool  # False when the same content was already published


@dataclass(frozen=True)
class TaskView:
    """A ready human task of a case, with what is needed to render and submit its form."""

    id: str
    element_id: str
    title: str
    role: str
    form_name: str | None
    form_schema: dict | None
    ui_schema: dict | None
    documentation: str
    due_at: dt.datetime | None
    assignee: str | None
    escalated: bool
    properties: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LinkView:
    """Another case this one is linked to by a message (a step up, a referral raised...)."""

    case_id: int
    reference: str
    pathway_key: str
    direction: str  # "raised": this case started it; "raised_by": it started this case
    message: str


@dataclass(frozen=True)
class CaseView:
    id: int
    reference: str
    title: str
    pathway_key: str
    version_number: int
    version_id: int
    status: str
    row_version: int
    sandbox: bool
    data: dict
    ready_tasks: tuple[TaskView, ...]
    timers: tuple["TimerView", ...]
    created_at: dt.datetime
    updated_at: dt.datetime
    clock_now: dt.datetime
    links: tuple[LinkView, ...] = ()


@dataclass(frozen=True)
class TimerView:
    element_id: str
    name: str
    due_at: dt.datetime


@dataclass(frozen=True)
class WorkItemView:
    id: int
    case_id: int
    case_reference: str
    case_title: str
    task_id: str
    element_id: str
    pathway_key: str
    title: str
    role: str
    due_at: dt.datetime | None
    escalated: bool
    assignee: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class WorkPage:
    items: tuple[WorkItemView, ...]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class AuditEventView:
    seq: int
    at: dt.datetime
    actor: str
    action: str
    element_id: str
    summary: str
    before: dict | None
    after: dict | None
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    chain: str
    events: int
    ok: bool
    first_bad_seq: int | None
    reason: str


@dataclass(frozen=True)
class TickResult:
    cases: int
    timers_fired: int
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class TraceView:
    """Where a case has been (element ids as in the BPMN)."""

    completed: tuple[str, ...]    # in completion order; loops repeat elements
    active: tuple[str, ...]       # ready or started
    waiting: tuple[str, ...]      # timers and messages being waited for
    flows_taken: tuple[str, ...]  # sequence flow ids, each once, in first-taken order
    ended: tuple[str, ...]        # end events reached


@dataclass(frozen=True)
class StartPresets:
    """What a pathway's start pages fill in themselves (its manifest's ``start_fields``)."""

    now: tuple[str, ...] = ()                  # fields given the current time
    public: dict = field(default_factory=dict)  # fields the public form sets without showing them
