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
    admin: bool = False  # may manage users (engine/users.py); last, so positional constructors still work
    # Changes when the user's password does: a session started with another credential is over
    # (a reset password signs out whoever used the old one). A digest, never the hash itself.
    credential: str = ""

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
    admin: bool = False


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
    # What the task's ``showFields`` property asks to show "for this decision", as people read it.
    shown: tuple["FieldView", ...] = ()
    # Why the reading actor may not complete it (role, assignment, four-eyes); "" when they may.
    blocked: str = ""


@dataclass(frozen=True)
class LinkView:
    """Another case this one is linked to by a message (a step up, a referral raised...)."""

    case_id: int
    reference: str
    pathway_key: str
    direction: str  # "raised": this case started it; "raised_by": it started this case
    message: str
    pathway_name: str = ""


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
    pathway_name: str = ""


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
    pathway_name: str = ""


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
    actor_name: str = ""  # the user's display name (the recorded name for system actors)


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
    autocomplete: dict = field(default_factory=dict)  # public form: field -> its HTML autocomplete purpose


@dataclass(frozen=True)
class FieldView:
    """One recorded field as a person reads it: its form's title, and choices shown by their titles."""

    name: str
    title: str
    value: object               # as recorded
    items: tuple[str, ...]      # display lines (Yes/No, choice titles, dates in words); () if not recorded
    format: str = ""            # the form's ``format`` ("date-time"...): pages show times in their own zone

    @property
    def text(self) -> str:
        return ", ".join(self.items)


@dataclass(frozen=True)
class SummarySectionView:
    """A heading of the pathway's manifest ``summary`` (the child, the referrer...) and its fields."""

    heading: str
    fields: tuple[FieldView, ...]


@dataclass(frozen=True)
class ConsentView:
    """A consent recorded through a form declaring ``x-pathways-consent``: the parts it maps, as fields."""

    agreed: tuple[FieldView, ...]
    given_by: tuple[FieldView, ...] = ()
    date: tuple[FieldView, ...] = ()
    scope: tuple[FieldView, ...] = ()
    withdrawn: tuple[FieldView, ...] = ()
    withdrawn_on: tuple[FieldView, ...] = ()
    notes: tuple[FieldView, ...] = ()
    is_withdrawn: bool = False


@dataclass(frozen=True)
class RecordView:
    """What one person submitted through a form: the case's start form, or a completed human task."""

    seq: int                    # the audit event it comes from
    element_id: str
    task_id: str
    title: str                  # the task's (or start event's) name
    form_title: str
    actor: str                  # username
    actor_name: str             # display name
    at: dt.datetime
    fields: tuple[FieldView, ...]
    consent: ConsentView | None = None


@dataclass(frozen=True)
class CaseRecordsView:
    """A case as recorded: the pathway's summary, and every submission in the order it was made."""

    summary: tuple[SummarySectionView, ...]
    records: tuple[RecordView, ...]  # oldest first

    @property
    def consents(self) -> tuple[RecordView, ...]:
        """The records holding a consent, latest first."""
        return tuple(r for r in reversed(self.records) if r.consent is not None)


@dataclass(frozen=True)
class DraftView:
    """My saved draft of a task's form: the values as typed (strings and lists of strings), not validated."""

    case_id: int
    task_id: str
    username: str
    values: dict
    saved_at: dt.datetime
    case_version: int = 0  # the case's row_version the values were typed against


@dataclass(frozen=True)
class DiagramElementView:
    """An element of the pathway the case has reached, with its tokens (the case page's diagram)."""

    id: str
    name: str            # as in the BPMN ("" when unnamed: joining gateways usually are)
    kind: str            # the BPMN element type: "userTask", "boundaryEvent", "parallelGateway"...
    trigger: str         # an event's definition: "timer", "message", "signal"... ("" for none)
    attached_to: str     # a boundary event's host element's name ("" otherwise)
    in_diagram: bool     # drawn in DiagramView.xml (False: inside a process a call activity runs)
    completed: int       # times completed (a loop makes 2 or more)
    active: int          # tokens here now, ready or in progress (parallel branches can make 2 or more)
    waiting: int         # timers or messages waited for here (also a join waiting for its branches)
    due_at: dt.datetime | None = None  # when the earliest timer waiting here fires


@dataclass(frozen=True)
class DiagramView:
    """The BPMN drawing of a case's pathway version and where the case has been and is now."""

    case_id: int
    process_id: str                  # the manifest's main process
    file: str                        # the version's .bpmn file defining it ("" if none)
    xml: str                         # that file's content, for bpmn-js
    diagram_id: str                  # its BPMNDiagram drawing the process ("" when it has no layout)
    elements: tuple[DiagramElementView, ...]  # every element reached, in order of first reach
    flows_taken: tuple[str, ...]     # sequence flows of the drawn file taken, each once

    @property
    def completed(self) -> tuple[DiagramElementView, ...]:
        return tuple(e for e in self.elements if e.completed)

    @property
    def active(self) -> tuple[DiagramElementView, ...]:
        return tuple(e for e in self.elements if e.active)

    @property
    def waiting(self) -> tuple[DiagramElementView, ...]:
        return tuple(e for e in self.elements if e.waiting)

    @property
    def ended(self) -> tuple[DiagramElementView, ...]:
        """End events reached (a case can reach one while other branches go on)."""
        return tuple(e for e in self.elements if e.completed and e.kind == "endEvent")


@dataclass(frozen=True)
class InboxChoices:
    """What the inbox can be filtered by: the pathways and tasks of the actor's open work."""

    pathways: tuple[tuple[str, str], ...]  # (key, name), by name
    tasks: tuple[tuple[str, str], ...]     # (element id, title), by title


@dataclass(frozen=True)
class LetterView:
    """A letter of a case: a preview (``id`` is None, nothing stored) or one recorded on the case.

    ``text`` is the whole letter as plain text; ``content_hash`` is its SHA-256, so a preview and the
    letter recorded from it can be compared.
    """

    case_id: int
    case_reference: str
    key: str
    title: str
    template: str             # the template file that wrote it (bundle path, e.g. letters/outcome.txt)
    version_number: int       # the pathway version the template belongs to
    case_row_version: int     # the case version it was written from
    letter_date: dt.date
    sender: tuple[str, ...]   # the letterhead lines
    body: str                 # paragraphs separated by a blank line
    footer: tuple[str, ...]   # lines printed at the foot (e.g. the emergency numbers)
    content_hash: str
    id: int | None = None
    recorded_at: dt.datetime | None = None
    recorded_by: str = ""

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(p for p in self.body.split("\n\n") if p.strip())

    @property
    def date_text(self) -> str:
        """The letter's date as letters write it: ``2 December 2026``."""
        return long_date(self.letter_date)

    @property
    def text(self) -> str:
        return letter_text(self.sender, self.letter_date, self.case_reference, self.body, self.footer)


def long_date(day: dt.date) -> str:
    """``23 November 2026``: a date the GOV.UK way (case pages and letters)."""
    return f"{day.day} {day:%B %Y}"


def letter_text(sender, letter_date: dt.date, reference: str, body: str, footer) -> str:
    """A letter's full plain text: letterhead, date, reference, body, footer (what its hash covers)."""
    parts = ["\n".join(sender), long_date(letter_date), f"Our reference: {reference}", body, "\n".join(footer)]
    return "\n\n".join(p for p in parts if p) + "\n"


@dataclass(frozen=True)
class LetterOfferView:
    """A letter a case's pathway declares, and whether it can be produced for the case now."""

    key: str
    title: str
    description: str
    available: bool         # the pathway offers it for the case now (its available_when holds)
    may_produce: bool       # the actor holds one of its roles
    template: str | None    # the template the case's data chooses now
    reason: str = ""        # why it is not available (the condition's outcome), for the curious


@dataclass(frozen=True)
class CaseLettersView:
    """The letters section of a case: what can be produced now, and what was recorded (oldest first)."""

    offers: tuple[LetterOfferView, ...]
    recorded: tuple[LetterView, ...]
