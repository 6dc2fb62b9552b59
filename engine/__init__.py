"""Pathways' domain core: versioned pathways, durable cases, work items, timers, safe expressions.

This module is the engine's only public surface: code outside ``engine/`` (the web app, the CLI)
imports names from here and nowhere else (checked by import-linter, see pyproject.toml).
"""
from .bundles import Bundle, Manifest, parse_manifest, read_folder
from .clock import Clock, FixedClock, OffsetClock, SystemClock
from .errors import (AuthenticationError, CaseClosedError, CaseNotFoundError, ConfigurationError, ConflictError,
                     ExpressionError, ExpressionSizeError, ExpressionTimeoutError, FormValidationError,
                     NotFoundError, PathwayInvalidError, PathwayNotFoundError, PathwaysError, PermissionDeniedError,
                     Problem, SandboxViolationError, StaleCaseError, TaskNotFoundError, TaskNotReadyError,
                     UserNotFoundError, WorkflowRunError)
from .facade import DATABASE_URL_SETTING, Engine
from .queries import MAX_PER_PAGE, InboxFilter
from .scenarios import Coverage, ScenarioResult, run_scenarios
from .validation import check_paths
from .views import (Actor, AuditEventView, CaseView, LinkView, PublishResult, TaskView, TickResult, TimerView, TraceView,
                    UserView, VerifyResult, VersionView, WorkItemView, WorkPage)
from .workdays import add_working_days, is_working_day, working_days_between

__all__ = [
    "Actor", "AuditEventView", "AuthenticationError", "Bundle", "CaseClosedError", "CaseNotFoundError", "CaseView",
    "Clock", "ConfigurationError", "Coverage", "ConflictError", "DATABASE_URL_SETTING", "Engine", "ExpressionError",
    "ExpressionSizeError", "ExpressionTimeoutError", "FixedClock", "FormValidationError", "InboxFilter", "LinkView", "MAX_PER_PAGE", "Manifest",
    "NotFoundError", "OffsetClock", "PathwayInvalidError", "PathwayNotFoundError", "PathwaysError",
    "PermissionDeniedError", "Problem", "PublishResult", "ScenarioResult", "run_scenarios", "SandboxViolationError", "StaleCaseError", "SystemClock",
    "TaskNotFoundError", "TaskNotReadyError", "TaskView", "TickResult", "TimerView", "TraceView", "UserNotFoundError", "UserView",
    "VerifyResult", "VersionView", "WorkItemView", "WorkPage", "WorkflowRunError", "add_working_days",
    "check_paths", "is_working_day", "parse_manifest", "read_folder", "working_days_between",
]
