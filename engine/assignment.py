"""Service calls on who has a task: claim it, assign it, release it.

Each is one transaction with one commit and one audit event on the case's chain. Assignment is
kept on the task's work item (the inbox reads it); the workflow itself is not loaded.
"""
from __future__ import annotations

import sqlalchemy as sa

from . import audit, store
from .access import require_role, username_of
from .cases import _chain
from .errors import ConflictError, PermissionDeniedError, TaskNotFoundError, TaskNotReadyError, UserNotFoundError
from .models import Case, CaseTask, User, UserRole, WorkItem
from .runtime import Runtime
from .views import Actor


def open_work_item(session, case_id: int, task_id: str, *, lock_case: bool = True) -> tuple[Case, WorkItem]:
    """The case and the open task's work item, the item locked (a completion cannot remove it meanwhile).

    ``lock_case`` also locks the case row, ordering this call's audit append after other writers.

    Raises:
        CaseNotFoundError, TaskNotFoundError: no such case, or the case has no such task.
        TaskNotReadyError: the task is no longer open (completed or withdrawn meanwhile).
    """
    case = store.get_case(session, case_id, lock=lock_case)
    task_id = str(task_id)[:36]
    item = session.scalars(sa.select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_id == task_id)
                           .with_for_update()).first()
    if item is None:
        exists = session.scalar(sa.select(sa.func.count()).select_from(CaseTask).where(
            CaseTask.case_id == case.id, CaseTask.task_id == task_id))
        if not exists:
            raise TaskNotFoundError(f"case {case.reference} has no task {task_id}")
        raise TaskNotReadyError(f"this task of case {case.reference} is no longer waiting to be done "
                                "(completed or withdrawn meanwhile)")
    return case, item


def claim_task(rt: Runtime, case_id: int, task_id: str, actor: Actor) -> None:
    """Take an open task for oneself.

    Raises:
        CaseNotFoundError, TaskNotFoundError: no such case or task.
        TaskNotReadyError: the task is no longer open.
        PermissionDeniedError: the actor lacks the task's role.
        ConflictError: someone else has it.
    """
    assign_task(rt, case_id, task_id, actor.username, actor, _action="claimed")


def assign_task(rt: Runtime, case_id: int, task_id: str, username: str, actor: Actor, *,
                _action: str = "assigned") -> None:
    """Give an open task to ``username`` (who must hold its role).

    Raises:
        CaseNotFoundError, TaskNotFoundError, UserNotFoundError: no such case, task or user.
        TaskNotReadyError: the task is no longer open.
        PermissionDeniedError: the actor or the assignee lacks the task's role.
        ConflictError: the task is already someone else's (release it first).
    """
    with rt.db.transaction() as session:
        case, item = open_work_item(session, case_id, task_id)
        require_role(actor, item.role, f"assigning '{item.title}'")
        user = session.scalars(sa.select(User).where(User.username == username, User.active.is_(True))).first()
        if user is None:
            raise UserNotFoundError(f"there is no active user {username!r}")
        roles = set(session.scalars(sa.select(UserRole.role).where(UserRole.user_id == user.id)))
        if item.role not in roles:
            raise PermissionDeniedError(f"{username} does not hold the role {item.role!r}")
        if item.assignee_id not in (None, user.id):
            owner = session.scalar(sa.select(User.username).where(User.id == item.assignee_id))
            raise ConflictError(f"'{item.title}' is already with {owner}; release it first")
        before = item.assignee_id
        item.assignee_id = user.id
        audit.append(session, chain=_chain(case.id), case_id=case.id, at=rt.now(), actor_id=actor.user_id,
                     actor_name=actor.username, action=f"task_{_action}", element_id=item.element_id,
                     task_id=task_id, summary=f"{_action} '{item.title}' to {username}" if _action == "assigned"
                     else f"claimed '{item.title}'", before={"assignee": username_of(session, before)},
                     after={"assignee": username})


def release_task(rt: Runtime, case_id: int, task_id: str, actor: Actor) -> None:
    """Put a task back for anyone holding its role. The assignee or any holder of the role may.

    Raises:
        CaseNotFoundError, TaskNotFoundError: no such case or task.
        TaskNotReadyError: the task is no longer open.
        PermissionDeniedError: the actor lacks the task's role.
    """
    with rt.db.transaction() as session:
        case, item = open_work_item(session, case_id, task_id)
        if item.assignee_id != actor.user_id:
            require_role(actor, item.role, f"releasing '{item.title}'")
        before = username_of(session, item.assignee_id)
        item.assignee_id = None
        audit.append(session, chain=_chain(case.id), case_id=case.id, at=rt.now(), actor_id=actor.user_id,
                     actor_name=actor.username, action="task_released", element_id=item.element_id,
                     task_id=task_id, summary=f"released '{item.title}'", before={"assignee": before},
                     after={"assignee": None})
