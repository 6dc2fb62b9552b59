"""The engine's front door: one object per database, one method per service call.

Web code, the CLI, the scenario runner and tests all go through :class:`Engine`; each method is a
thin delegation to the module that owns the behaviour, so the rules live in one place.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import (assignment, cases, clock as clockmod, diagram, drafts, letters, publishing, queries, ratelimit, records, schema,
               timers, users)
from .bundles import Bundle, read_folder
from .db import Database, redact
from .queries import InboxFilter
from .runtime import Runtime
from .views import (Actor, AuditEventView, CaseLettersView, CaseRecordsView, CaseView, DiagramView, DraftView,
                    InboxChoices, LetterView, PublishResult, StartPresets, TaskView, TickResult, TraceView, UserView,
                    VerifyResult, WorkPage)

DATABASE_URL_SETTING = "PATHWAYS_DATABASE_URL"


class Engine:
    """Everything Pathways does to pathways, cases, tasks and timers.

    Args:
        database_url: SQLAlchemy URL; defaults to ``$PATHWAYS_DATABASE_URL`` or ``sqlite:///pathways.sqlite``.
        clock: the engine's clock (``SystemClock()`` by default; ``FixedClock`` in tests and scenarios).
        expression_time_limit: seconds one pathway expression may run.
    """

    def __init__(self, database_url: str | None = None, *, clock: clockmod.Clock | None = None,
                 expression_time_limit: float = 1.0):
        clockmod.install()
        self.database = Database(database_url or os.environ.get(DATABASE_URL_SETTING))
        self.clock = clock or clockmod.SystemClock()
        self._rt = Runtime(self.database, self.clock, expression_time_limit=expression_time_limit)

    @property
    def database_url(self) -> str:
        """The database URL without its password."""
        return redact(self.database.url)

    # -- schema -------------------------------------------------------------------------------------
    def upgrade_database(self) -> str:
        """Create or upgrade the schema in place (Alembic); return the revision."""
        return schema.upgrade(self.database)

    def schema_revision(self) -> str | None:
        return schema.current(self.database)

    # -- pathways -----------------------------------------------------------------------------------
    def load_pathways(self, processes_dir: Path, forms_dir: Path, actor: Actor | None = None) -> list[PublishResult]:
        """Publish every pathway under ``processes_dir``, all or nothing, in one transaction.

        Unchanged pathways make no new version.

        Raises:
            ConfigurationError: no ``roles.yaml``, or a malformed one.
            PathwayInvalidError: the problems of every invalid pathway; nothing is published.
        """
        return publishing.load_folder(self._rt, Path(processes_dir), Path(forms_dir), actor or Actor.system())

    def publish(self, bundle: Bundle, actor: Actor) -> PublishResult:
        """Raises: PathwayInvalidError."""
        return publishing.publish(self._rt, bundle, actor)

    def publish_folder(self, folder: Path, forms_dir: Path, actor: Actor) -> PublishResult:
        """Raises: PathwayInvalidError."""
        return publishing.publish(self._rt, read_folder(Path(folder), Path(forms_dir)), actor)

    def export_pathways(self, target: Path) -> list[Path]:
        return publishing.export(self._rt, Path(target))

    def known_roles(self) -> set[str]:
        return publishing.known_roles(self._rt)

    def sync_roles(self, roles: list[tuple[str, str]]) -> None:
        publishing.sync_roles(self._rt, roles)

    # -- users --------------------------------------------------------------------------------------
    def add_user(self, username: str, display_name: str, roles: list[str], password: str | None = None, *,
                 admin: bool = False, actor: Actor | None = None) -> UserView:
        """Add a user; ``actor`` None is the system (CLI, ``init --demo``), else an administrator.

        See :func:`engine.users.add_user`. Raises: PermissionDeniedError (``actor`` is not an
        administrator), ConflictError (username taken, system path), FormValidationError (per field).
        """
        return users.add_user(self._rt, username, display_name, roles, password, admin=admin, actor=actor)

    def list_users(self, actor: Actor | None = None) -> list[UserView]:
        """Every user; with ``actor``, only for an administrator. Raises: PermissionDeniedError."""
        return users.list_users(self._rt, actor)

    def actor(self, username: str) -> Actor:
        """Raises: UserNotFoundError."""
        return users.actor_for(self._rt, username)

    def create_token(self, username: str, label: str = "", token: str | None = None) -> str:
        """Raises: UserNotFoundError."""
        return users.create_token(self._rt, username, label, token)

    def authenticate_token(self, token: str) -> Actor:
        """Raises: AuthenticationError."""
        return users.authenticate_token(self._rt, token)

    def authenticate_password(self, username: str, password: str) -> Actor:
        """Raises: AuthenticationError."""
        return users.authenticate_password(self._rt, username, password)

    # -- user administration (administrators only; engine/users.py) --------------------------------
    def get_user(self, username: str, actor: Actor) -> UserView:
        """Raises: PermissionDeniedError (not an administrator), UserNotFoundError."""
        return users.get_user(self._rt, actor, username)

    def change_user_roles(self, username: str, roles: list[str], actor: Actor, *,
                          admin: bool | None = None) -> UserView:
        """Set a user's roles and (unless ``admin`` is None) administrator flag.

        Raises: PermissionDeniedError (not an administrator; removing one's own or the last
        administrator flag), UserNotFoundError, FormValidationError (unknown roles).
        """
        return users.change_roles(self._rt, actor, username, roles, admin)

    def set_user_active(self, username: str, active: bool, actor: Actor) -> UserView:
        """Deactivate or reactivate a user.

        Raises: PermissionDeniedError (not an administrator; deactivating oneself or the last
        administrator), UserNotFoundError.
        """
        return users.set_active(self._rt, actor, username, active)

    def reset_password(self, username: str, password: str, actor: Actor) -> UserView:
        """Raises: PermissionDeniedError, UserNotFoundError, FormValidationError (password rules)."""
        return users.reset_password(self._rt, actor, username, password)

    # -- rate limits (shared by every worker and app instance; engine/ratelimit.py) ------------------
    def rate_limit_hit(self, bucket: str, key: str, limit: int, window_seconds: float) -> bool:
        """Count a hit for ``key`` unless it already has ``limit`` in the window; True if allowed.

        Raises: ConfigurationError (a limit or window that makes no sense).
        """
        return ratelimit.hit(self._rt, bucket, key, limit, window_seconds)

    def rate_limit_record(self, bucket: str, key: str, window_seconds: float) -> None:
        """Count a hit for ``key`` whatever its count (e.g. a failed sign-in). Raises: ConfigurationError."""
        ratelimit.record(self._rt, bucket, key, window_seconds)

    def rate_limit_blocked(self, bucket: str, key: str, limit: int, window_seconds: float) -> bool:
        """Whether ``key`` has ``limit`` or more hits in the window (counts nothing). Raises: ConfigurationError."""
        return ratelimit.blocked(self._rt, bucket, key, limit, window_seconds)

    # -- cases --------------------------------------------------------------------------------------
    def start_case(self, pathway_key: str, data: dict, actor: Actor, *, sandbox: bool = False) -> CaseView:
        """See :func:`engine.cases.start_case` for what is raised."""
        case_id = cases.start_case(self._rt, pathway_key, data, actor, sandbox_case=sandbox)
        # Whoever started a case may see what they started, even without a role in its lanes
        # (e.g. the public referral form's system actor).
        return queries.case_view(self._rt, case_id, actor, check=False)

    def start_public_case(self, pathway_key: str, data: dict) -> CaseView:
        """Start a case from the public online referral form (no signed-in user).

        The case is started by ``Actor.system("online referral")`` without the start-lane role check,
        and only when the latest published version's manifest says ``public_start: true``.

        Raises:
            PathwayNotFoundError: no published version.
            PermissionDeniedError: the pathway is not open to the public.
            FormValidationError: ``data`` fails the start form, field by field.
        """
        case_id, actor = cases.start_public_case(self._rt, pathway_key, data)
        return queries.case_view(self._rt, case_id, actor, check=False)

    def start_form(self, pathway_key: str) -> dict | None:
        """The JSON Schema of the pathway's start form (latest published version), or None if it has none.

        Raises: PathwayNotFoundError.
        """
        return cases.start_form(self._rt, pathway_key)

    def start_presets(self, pathway_key: str) -> StartPresets:
        """The fields the pathway's start pages fill in themselves (its manifest's ``start_fields``).

        Raises: PathwayNotFoundError.
        """
        return cases.start_presets(self._rt, pathway_key)

    def get_case(self, case_id: int, actor: Actor) -> CaseView:
        """Raises: CaseNotFoundError, PermissionDeniedError."""
        return queries.case_view(self._rt, case_id, actor)

    def complete_task(self, case_id: int, task_id: str, data: dict, actor: Actor, *,
                      expected_version: int | None = None) -> int:
        """Complete a task; return the case's new version. See :func:`engine.cases.complete_task`."""
        return cases.complete_task(self._rt, case_id, task_id, data, actor, expected_version=expected_version)

    def any_task(self, case_id: int, task_id: str, actor: Actor) -> TaskView | None:
        """A human task of the case by id whatever its state (e.g. completed meanwhile), with its form.

        Raises: CaseNotFoundError, PermissionDeniedError.
        """
        return queries.any_task(self._rt, case_id, task_id, actor)

    def may_start(self, pathway_key: str, actor: Actor) -> bool:
        """Whether ``actor`` holds a role that may start ``pathway_key`` (its start event's lane or startRoles).

        Raises: PathwayNotFoundError.
        """
        return cases.may_start(self._rt, pathway_key, actor)

    def case_trace(self, case_id: int, actor: Actor) -> TraceView:
        """Elements completed in order, active and waiting elements, sequence flows taken.

        Raises: CaseNotFoundError, PermissionDeniedError.
        """
        return queries.case_trace(self._rt, case_id, actor)

    def claim_task(self, case_id: int, task_id: str, actor: Actor) -> None:
        assignment.claim_task(self._rt, case_id, task_id, actor)

    def assign_task(self, case_id: int, task_id: str, username: str, actor: Actor) -> None:
        assignment.assign_task(self._rt, case_id, task_id, username, actor)

    def release_task(self, case_id: int, task_id: str, actor: Actor) -> None:
        assignment.release_task(self._rt, case_id, task_id, actor)

    # -- work lists, timers, audit ------------------------------------------------------------------
    def inbox(self, actor: Actor, flt: InboxFilter = InboxFilter(), *, page: int = 1, per_page: int = 50) -> WorkPage:
        return queries.inbox(self._rt, actor, flt, page=page, per_page=per_page)

    def work_counts(self, actor: Actor) -> dict[str, int]:
        return queries.counts(self._rt, actor)

    def tick(self) -> TickResult:
        """Fire every due timer (live and sandbox cases on running clocks)."""
        return timers.tick(self._rt)

    def audit_trail(self, case_id: int, actor: Actor) -> list[AuditEventView]:
        """Raises: CaseNotFoundError, PermissionDeniedError."""
        return queries.audit_trail(self._rt, case_id, actor)

    def verify_case(self, case_id: int) -> VerifyResult:
        return queries.verify(self._rt, f"case:{case_id}")

    def verify_all(self) -> list[VerifyResult]:
        return [queries.verify(self._rt, chain) for chain in queries.all_chains(self._rt)]

    # -- case records and inbox choices (the case page and the inbox's filters) -----------------------
    def case_records(self, case_id: int, actor: Actor) -> CaseRecordsView:
        """The pathway's summary of the case, what each person submitted (who, when, with field titles
        and display values) and the consents, read from the audit trail (see :mod:`engine.records`).

        Raises: CaseNotFoundError, PermissionDeniedError.
        """
        return records.case_records(self._rt, case_id, actor)

    def inbox_choices(self, actor: Actor, *, sandbox: bool = False) -> InboxChoices:
        """The pathways (key, name) and tasks (element id, title) of the actor's open work, for filtering."""
        return queries.inbox_choices(self._rt, actor, sandbox=sandbox)

    # -- drafts -------------------------------------------------------------------------------------
    def save_draft(self, case_id: int, task_id: str, values: dict, actor: Actor, *,
                   case_version: int = 0) -> DraftView:
        """Save (replace) my draft of an open task's form: the values as typed, not validated, not audited.

        See :mod:`engine.drafts`. Raises: FormValidationError (wrong shape, too large), CaseNotFoundError,
        TaskNotFoundError, CaseClosedError, TaskNotReadyError (no longer open), PermissionDeniedError
        (could not work the task: role, assignee, four eyes).
        """
        return drafts.save_draft(self._rt, case_id, task_id, values, actor, case_version=case_version)

    def get_draft(self, case_id: int, task_id: str, actor: Actor) -> DraftView | None:
        """My draft of a task of the case, or None. Raises: CaseNotFoundError, PermissionDeniedError."""
        return drafts.get_draft(self._rt, case_id, task_id, actor)

    # -- case diagram (engine/diagram.py) -------------------------------------------------------------
    def case_diagram(self, case_id: int, actor: Actor) -> DiagramView:
        """The BPMN drawing of the case's pathway version and, per element reached, how many times it
        was completed, how many tokens are on it now and what is waited for there (one read).

        Raises: CaseNotFoundError, PermissionDeniedError.
        """
        return diagram.case_diagram(self._rt, case_id, actor)

    # -- letters (engine/letters.py; declared in the pathway's manifest) -----------------------------
    def case_letters(self, case_id: int, actor: Actor) -> CaseLettersView:
        """The letters the case's pathway offers (available now or not) and those recorded on the case.

        Raises: CaseNotFoundError, PermissionDeniedError.
        """
        return letters.case_letters(self._rt, case_id, actor)

    def preview_letter(self, case_id: int, key: str, actor: Actor) -> LetterView:
        """The letter ``key`` written for the case now; nothing is stored.

        Raises: CaseNotFoundError, LetterNotFoundError, PermissionDeniedError (not a reader of the case,
        or none of the letter's roles), LetterNotReadyError, LetterTemplateError.
        """
        return letters.preview(self._rt, case_id, key, actor)

    def record_letter(self, case_id: int, key: str, actor: Actor, *, expected_version: int,
                      expected_hash: str | None = None) -> LetterView:
        """Write the letter and record it on the case with an audit event, in one transaction.

        ``expected_version`` is the case's ``row_version`` the preview was made from, ``expected_hash``
        the preview's ``content_hash``. Recording the same text again returns the letter already recorded.

        Raises: as :meth:`preview_letter`, and StaleCaseError (the case changed since the preview),
        ConflictError (the letter differs from the preview's hash).
        """
        return letters.record(self._rt, case_id, key, actor, expected_version=expected_version,
                              expected_hash=expected_hash)

    def get_letter(self, case_id: int, letter_id: int, actor: Actor) -> LetterView:
        """A letter recorded on the case. Raises: CaseNotFoundError, LetterNotFoundError, PermissionDeniedError."""
        return letters.get_letter(self._rt, case_id, letter_id, actor)

    def forget_cached_cases(self) -> None:
        """Drop live workflows from memory (tests and benchmarks measure the cold path with this)."""
        self._rt.forget_live()

    def dispose(self) -> None:
        self.database.dispose()
