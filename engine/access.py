"""Who may read a case, and who may work one of its tasks: the rules in one place.

Reading: a case is readable by whoever started it and by anyone holding a role of its pathway's
lanes. Working a task (completing it, saving a draft of it): the actor holds the task's lane role,
the task is not assigned to someone else, and the four-eyes rule (the task's ``notSameActorAs``
property names the field holding who made the decision) does not exclude them. Completing a task
applies these to the task's own data; the pages and drafts apply them to the case's data, which is
the same except while parallel branches run, so the engine's refusal on completion stays the last word.
"""
from __future__ import annotations

import json

import sqlalchemy as sa

from . import store
from .errors import PermissionDeniedError
from .models import Case, PathwayVersion, User
from .views import Actor


def can_read(session, actor: Actor, case: Case) -> bool:
    """Whether ``actor`` may read ``case`` (its starter, or a holder of a role of its pathway's lanes)."""
    if case.created_by_id is not None and case.created_by_id == actor.user_id:
        return True
    roles = set(json.loads(session.scalar(sa.select(PathwayVersion.roles_json)
                                          .where(PathwayVersion.id == case.version_id)) or "[]"))
    return bool(roles & set(actor.roles))


def readable_case(session, case_id: int, actor: Actor, *, check: bool = True, lock: bool = False) -> Case:
    """The case row, when ``actor`` may read it (``lock``: locked for the rest of the transaction).

    Raises:
        CaseNotFoundError: no such case (an id out of range is simply not found).
        PermissionDeniedError: ``check`` and the actor may not read it.
    """
    case = store.get_case(session, case_id, lock=lock)
    if check and not can_read(session, actor, case):
        raise PermissionDeniedError(f"{actor.username} holds no role of this case's pathway")
    return case


def require_role(actor: Actor, role: str, doing: str) -> None:
    """Raises: PermissionDeniedError when ``role`` is set and ``actor`` does not hold it."""
    if role and role not in actor.roles:
        raise PermissionDeniedError(f"{doing} needs the role {role!r}, which {actor.username} does not hold")


def username_of(session, user_id: int | None) -> str | None:
    return session.scalar(sa.select(User.username).where(User.id == user_id)) if user_id else None


def work_refusal(actor: Actor, *, title: str, role: str, assignee: str | None, separate: str | None,
                 decided_by: object) -> str:
    """Why ``actor`` may not work a task, in words for them; "" when they may.

    Args:
        title: the task's name, as people know it.
        role: its lane's role ("" when it sits in no lane).
        assignee: the username it is assigned to, or None.
        separate: its ``notSameActorAs`` property (the field naming who made the decision), or None.
        decided_by: that field's value in the data the check applies to.
    """
    if role and role not in actor.roles:
        return f"'{title}' needs the role {role!r}, which {actor.username} does not hold"
    if assignee is not None and assignee != actor.username:
        return f"this task is assigned to {assignee}; ask them or a colleague to release it"
    if separate and decided_by == actor.username:
        return (f"{actor.username} recorded the decision ({separate}) and so cannot also sign it off: "
                "another person must (four-eyes rule)")
    return ""
