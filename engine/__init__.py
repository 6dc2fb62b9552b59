"""Pathways' domain core: versioned pathways, durable cases, work items, timers, safe expressions.

This module is the engine's only public surface: code outside ``engine/`` (the web app, the CLI)
imports names from here and nowhere else (checked by import-linter, see pyproject.toml).
"""
from .bundles import Bundle, Manifest, parse_manifest, read_folder
from .clock import LOCAL_ZONE, Clock, FixedClock, OffsetClock, SystemClock
from .errors import (AuthenticationError, CaseClosedError, CaseNotFoundError, ConfigurationError, ConflictError,
                     ExpressionError, ExpressionSizeError, ExpressionTimeoutError, FormValidationError,
                     NotFoundError, PathwayInvalidError, PathwayNotFoundError, PathwaysError, PermissionDeniedError,
                     Problem, SandboxViolationError, StaleCaseError, TaskNotFoundError, TaskNotReadyError,
                     UserNotFoundError, WorkflowRunError)
from .facade import DATABASE_URL_SETTING, Engine
from .queries import MAX_PER_PAGE, InboxFilter
from .scenarios import Coverage, ScenarioResult, run_scenarios
from .validation import check_paths
from .users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, check_password
from .views import (Actor, AuditEventView, CaseView, LinkView, PublishResult, StartPresets, TaskView, TickResult,
                    TimerView, TraceView,
                    UserView, VerifyResult, VersionView, WorkItemView, WorkPage)
from .views import CaseRecordsView, ConsentView, FieldView, InboxChoices, RecordView, SummarySectionView
from .views import DraftView
from .views import DiagramElementView, DiagramView
from .errors import LetterNotFoundError, LetterNotReadyError, LetterTemplateError
from .views import CaseLettersView, LetterOfferView, LetterView
from .workdays import add_working_days, is_working_day, working_days_between

__all__ = [
    "Actor", "add_working_days", "AuditEventView", "AuthenticationError", "Bundle", "CaseClosedError", "CaseLettersView",
    "CaseNotFoundError", "CaseRecordsView", "CaseView", "check_password", "check_paths", "Clock",
    "ConfigurationError", "ConflictError",
    "ConsentView", "Coverage",
    "DATABASE_URL_SETTING", "DiagramElementView", "DiagramView",
    "DraftView", "Engine", "ExpressionError", "ExpressionSizeError", "ExpressionTimeoutError",
    "FieldView", "FixedClock", "FormValidationError", "InboxChoices", "InboxFilter", "is_working_day", "LetterNotFoundError",
    "LetterNotReadyError", "LetterOfferView", "LetterTemplateError", "LetterView", "LinkView", "LOCAL_ZONE",
    "Manifest",
    "MAX_PASSWORD_LENGTH", "MAX_PER_PAGE", "MIN_PASSWORD_LENGTH", "NotFoundError", "OffsetClock", "parse_manifest",
    "PathwayInvalidError",
    "PathwayNotFoundError", "PathwaysError", "PermissionDeniedError", "Problem", "PublishResult", "read_folder",
    "RecordView",
    "run_scenarios", "SandboxViolationError", "ScenarioResult", "StaleCaseError", "StartPresets", "SummarySectionView",
    "SystemClock",
    "TaskNotFoundError", "TaskNotReadyError", "TaskView", "TickResult", "TimerView", "TraceView",
    "UserNotFoundError", "UserView", "VerifyResult", "VersionView", "WorkflowRunError", "working_days_between",
    "WorkItemView", "WorkPage",
]
