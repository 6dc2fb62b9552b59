"""The practitioner's inbox page: my roles' open tasks and tasks assigned to me, with claim and release.

Everything here reads the engine's work-items view (:meth:`engine.Engine.inbox`,
:meth:`engine.Engine.work_counts`, and :meth:`engine.Engine.inbox_choices` for the filter form's
pathways and tasks, taken from all of the user's open work); no case is loaded. Overdue tasks come
first because the engine orders by due date. Filters are a plain GET form and claim/release are POST forms (with the CSRF
token), so the page works without JavaScript.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from engine import LOCAL_ZONE, InboxChoices, InboxFilter, PathwaysError, working_days_between
from web.auth import current_engine
from web.ui_auth import current_ui_actor, engine_error_page, safe_next

PER_PAGE = 25
MAX_PAGE = 100_000
MAX_TEXT = 200
DUE_CHOICES = (("", "Any time"), ("overdue", "Overdue"), ("today", "Today"), ("week", "Within 7 days"))

bp = Blueprint("ui_inbox", __name__)
bp.register_error_handler(PathwaysError, engine_error_page)


@dataclass(frozen=True)
class TimeLeft:
    """How long until a task is due, as a GOV.UK tag: text and colour class."""

    text: str
    colour: str  # a govuk-tag modifier, e.g. "red"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def time_left(due_at: dt.datetime | None, now: dt.datetime) -> TimeLeft | None:
    """"Overdue", "Due in N hours" (under a day, or no working day in between) or "Due in N working days"."""
    if due_at is None:
        return None
    if due_at <= now:
        return TimeLeft("Overdue", "red")
    hours = math.ceil((due_at - now).total_seconds() / 3600)
    days = working_days_between(now.astimezone(LOCAL_ZONE).date(), due_at.astimezone(LOCAL_ZONE).date())
    if hours < 24 or days < 1:
        return TimeLeft(f"Due in {_plural(hours, 'hour')}", "orange" if hours <= 4 else "yellow")
    return TimeLeft(f"Due in {_plural(days, 'working day')}", "yellow" if days <= 1 else "blue")


def local_time(value: dt.datetime | None) -> str:
    """A time as practitioners read it: ``Mon 23 Nov 2026, 11:00`` in UK time."""
    if value is None:
        return ""
    local = value.astimezone(LOCAL_ZONE)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def _due_before(choice: str, now: dt.datetime) -> dt.datetime | None:
    if choice == "overdue":
        return now
    if choice == "today":  # before the start of tomorrow, UK time
        tomorrow = now.astimezone(LOCAL_ZONE).date() + dt.timedelta(days=1)
        return dt.datetime.combine(tomorrow, dt.time(), LOCAL_ZONE).astimezone(dt.timezone.utc)
    if choice == "week":
        return now + dt.timedelta(days=7)
    return None


def _text_arg(name: str) -> str:
    value = request.args.get(name, "").strip()
    return value if len(value) <= MAX_TEXT else ""


def _page_arg() -> int:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def _choices(choices: InboxChoices, pathway: str, task: str) -> tuple[list, list]:
    """The filter form's options; a chosen value with no open work left stays selectable (shown as typed)."""
    pathways = list(choices.pathways)
    if pathway and pathway not in dict(pathways):
        pathways.append((pathway, pathway))
    tasks = list(choices.tasks)
    if task and task not in dict(tasks):
        tasks.append((task, task))
    return pathways, tasks


def _pages(page: int, last: int) -> list[int | None]:
    """Page numbers to link to, GOV.UK style: first, last, and those next to the current; None is a gap."""
    wanted = sorted({1, last, page - 1, page, page + 1} & set(range(1, last + 1)))
    shown: list[int | None] = []
    for n in wanted:
        if shown and n - shown[-1] > 1:
            shown.append(None)
        shown.append(n)
    return shown


@bp.get("/inbox")
@login_required
def inbox():
    """The inbox, filtered by pathway, task and due date, a page at a time."""
    engine = current_engine()
    actor = current_ui_actor()
    now = engine.clock.now()
    pathway, task, due = _text_arg("pathway"), _text_arg("task"), request.args.get("due", "")
    if due not in dict(DUE_CHOICES):
        due = ""
    mine = request.args.get("mine") == "1"
    page = _page_arg()
    flt = InboxFilter(pathway_key=pathway or None, element_id=task or None, due_before=_due_before(due, now),
                      mine_only=mine)
    result = engine.inbox(actor, flt, page=page, per_page=PER_PAGE)
    last = max(1, math.ceil(result.total / PER_PAGE))
    pathways, tasks = _choices(engine.inbox_choices(actor), pathway, task)
    counts = engine.work_counts(actor)
    filters = {k: v for k, v in (("pathway", pathway), ("task", task), ("due", due), ("mine", "1" if mine else ""))
               if v}

    def page_url(n: int) -> str:
        return url_for("ui_inbox.inbox", **filters, **({"page": n} if n > 1 else {}))

    rows = [{"item": i, "due_text": local_time(i.due_at), "time_left": time_left(i.due_at, now),
             "mine": i.assignee == actor.username} for i in result.items]
    return render_template(
        "inbox.html", rows=rows, total=result.total, page=result.page, last_page=last, pages=_pages(page, last),
        page_url=page_url, counts=counts, role_counts=sorted((k.removeprefix("role:"), v) for k, v in counts.items()
                                                              if k.startswith("role:")),
        pathway_options=[("", "All pathways")] + pathways,
        task_options=[("", "All tasks")] + tasks, due_choices=DUE_CHOICES,
        selected={"pathway": pathway, "task": task, "due": due, "mine": mine},
        filtered=bool(filters), here=page_url(page), first_row=(page - 1) * PER_PAGE + 1,
    )


def _task_action(action: str) -> object:
    try:
        case_id = int(request.form.get("case_id", ""))
    except ValueError:
        abort(400)
    task_id = request.form.get("task_id", "")
    if not task_id or len(task_id) > MAX_TEXT:
        abort(400)
    title = request.form.get("title", "")[:MAX_TEXT] or "the task"
    reference = request.form.get("reference", "")[:MAX_TEXT]
    back = safe_next(request.form.get("return_to"), url_for("ui_inbox.inbox"))
    if not back.startswith(url_for("ui_inbox.inbox")):
        back = url_for("ui_inbox.inbox")
    engine, actor = current_engine(), current_ui_actor()
    where = f" ({reference})" if reference else ""
    try:
        if action == "claim":
            engine.claim_task(case_id, task_id, actor)
            flash(f"You have claimed ‘{title}’{where}. It is now assigned to you.", "success")
        else:
            engine.release_task(case_id, task_id, actor)
            flash(f"You have released ‘{title}’{where}. Anyone with its role can now pick it up.", "success")
    except PathwaysError as error:
        # The engine's messages are written for the person acting (someone else has it, it is done...).
        flash(f"‘{title}’ could not be {action}ed: {error}", "error")
    return redirect(back, code=303)


@bp.post("/inbox/claim")
@login_required
def claim():
    """Claim a task for the signed-in user, then back to the inbox with a notification."""
    return _task_action("claim")


@bp.post("/inbox/release")
@login_required
def release():
    """Release a task for anyone with its role, then back to the inbox with a notification."""
    return _task_action("release")

