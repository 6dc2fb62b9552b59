"""Every error the engine raises, in one place.

The tree (callers catch the narrowest class they can handle)::

    PathwaysError                      base of everything below
    +-- ConfigurationError             bad settings, unreachable database, unknown role file
    +-- PathwayInvalidError            pathway files fail validation; ``.problems`` lists them
    +-- NotFoundError                  something asked for by id does not exist
    |   +-- PathwayNotFoundError
    |   +-- CaseNotFoundError
    |   +-- TaskNotFoundError
    |   +-- UserNotFoundError
    |   +-- LetterNotFoundError        no such letter on the case's pathway, or no such recorded letter
    +-- AuthenticationError            unknown or revoked credentials
    +-- PermissionDeniedError          the actor may not do this (wrong role, four eyes, not an administrator)
    +-- FormValidationError            submitted data fails the task's JSON Schema; ``.field_errors``
    +-- ConflictError                  the case moved on under the caller; reload and retry
    |   +-- StaleCaseError             the caller's case version is out of date
    |   +-- TaskNotReadyError          the task is completed, cancelled or not yet reachable
    |   +-- CaseClosedError            the case is completed or cancelled
    |   +-- LetterNotReadyError        the pathway does not offer this letter for the case now
    +-- ExpressionError                a pathway expression failed while a case ran; ``.element_id``
    |   +-- SandboxViolationError      the expression tried something the sandbox forbids
    |   +-- ExpressionTimeoutError     it ran longer than the time limit
    |   +-- ExpressionSizeError        it built a value larger than the size limit
    |   +-- LetterTemplateError        a letter template failed (a name the case lacks, a limit, refused)
    +-- WorkflowRunError               the workflow could not continue (e.g. no gateway flow matched)

Every engine service call that raises one of these has rolled its transaction back: the database is
as it was before the call.
"""
from __future__ import annotations

from dataclasses import dataclass


class PathwaysError(Exception):
    """Base class of every error the engine raises on purpose."""


class ConfigurationError(PathwaysError):
    """The engine is misconfigured (database URL, roles file, settings)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a pathway file, printable as ``file:line: element-id: message``."""

    file: str
    line: int | None
    element_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 0}: {self.element_id or '-'}: {self.message}"


class PathwayInvalidError(PathwaysError):
    """Pathway files failed validation. ``problems`` is a list of :class:`Problem`."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"pathway is invalid: {head}{more}")


class NotFoundError(PathwaysError):
    """Something asked for by id or key does not exist."""


class PathwayNotFoundError(NotFoundError):
    pass


class CaseNotFoundError(NotFoundError):
    pass


class TaskNotFoundError(NotFoundError):
    pass


class UserNotFoundError(NotFoundError):
    pass


class LetterNotFoundError(NotFoundError):
    pass


class AuthenticationError(PathwaysError):
    """Credentials are missing, unknown or revoked."""


class PermissionDeniedError(PathwaysError):
    """The actor is known but may not do this (does not hold the lane's role, four-eyes rule...)."""


class FormValidationError(PathwaysError):
    """Submitted data does not satisfy the task's form.

    ``field_errors`` maps a field path (``"rationale"``, ``"consent.date"``, or ``""`` for the whole
    form) to a list of plain-English messages.
    """

    def __init__(self, field_errors: dict[str, list[str]]):
        self.field_errors = field_errors
        fields = ", ".join(sorted(f or "(form)" for f in field_errors))
        super().__init__(f"the form has errors in: {fields}")


class ConflictError(PathwaysError):
    """The case changed under the caller: nothing was saved; reload the case and try again."""


class StaleCaseError(ConflictError):
    pass


class TaskNotReadyError(ConflictError):
    pass


class CaseClosedError(ConflictError):
    pass


class LetterNotReadyError(ConflictError):
    """The case is not (or no longer) at a point where its pathway offers this letter."""


class ExpressionError(PathwaysError):
    """A pathway expression (condition, script, timer, DMN cell) failed while a case ran."""

    def __init__(self, message: str, element_id: str = "", expression: str = ""):
        self.element_id = element_id
        self.expression = expression
        super().__init__(message)


class SandboxViolationError(ExpressionError):
    pass


class ExpressionTimeoutError(ExpressionError):
    pass


class ExpressionSizeError(ExpressionError):
    pass


class LetterTemplateError(ExpressionError):
    """A letter template could not be written for a case; ``.expression`` is the template's path."""


class WorkflowRunError(PathwaysError):
    """The workflow could not continue, e.g. no outgoing flow of a gateway matched."""

    def __init__(self, message: str, element_id: str = ""):
        self.element_id = element_id
        super().__init__(message)
