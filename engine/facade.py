"""The engine's front door: one object per database, one method per service call.

Web code, the CLI, the scenario runner and tests all go through :class:`Engine`; each method is a
thin delegation to the module that owns the behaviour, so the rules live in one place.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import cases, clock as clockmod, publishing, queries, schema, timers, users
from .bundles import Bundle, read_folder
from .db import Database, redact
from .queries import InboxFilter
from .runtime import Runtime
from .views import (Actor, AuditEventView, CaseView, PublishResult, StartPresets, TickResult, TraceView, UserView,
                    VerifyResult,
                    WorkPage)

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
    def add_user(self, username: str, display_name: str, roles: list[str], password: str | None = None) -> UserView:
        """Raises: ConflictError (username taken), FormValidationError (bad username, unknown role)."""
        return users.add_user(self._rt, username, display_name, roles, password)

    def list_users(self) -> list[UserView]:
        return users.list_users(self._rt)

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

    def case_trace(self, case_id: int, actor: Actor) -> TraceView:
        """Elements completed in order, active and waiting elements, sequence flows taken.

        Raises: CaseNotFoundError, PermissionDeniedError.
        """
        return queries.case_trace(self._rt, case_id, actor)

    def claim_task(self, case_id: int, task_id: str, actor: Actor) -> None:
        cases.claim_task(self._rt, case_id, task_id, actor)

    def assign_task(self, case_id: int, task_id: str, username: str, actor: Actor) -> None:
        cases.assign_task(self._rt, case_id, task_id, username, actor)

    def release_task(self, case_id: int, task_id: str, actor: Actor) -> None:
        cases.release_task(self._rt, case_id, task_id, actor)

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

    def forget_cached_cases(self) -> None:
        """Drop live workflows from memory (tests and benchmarks measure the cold path with this)."""
        self._rt.forget_live()

    def dispose(self) -> None:
        self.database.dispose()
