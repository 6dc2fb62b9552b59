"""The case page and the task page: what a case holds, and doing one of its tasks through its form.

* ``/cases/<id>``: the child and referrer summary (the pathway's manifest), ready tasks, what each task
  recorded, consents, linked cases and the audit timeline (:mod:`web.ui_records`).
* ``/cases/<id>/tasks/<task_id>``: the task's form built from its JSON Schema (:mod:`web.ui_forms`),
  server-side so it works without JavaScript. The POST sends back the case's ``row_version`` the page
  was rendered with (``expected_version``), so a case that moved on meanwhile is a 409 with what was
  typed kept, never a silent overwrite. "Save as draft" (``action=draft``) stores what was typed,
  unvalidated, as the user's draft (:meth:`engine.Engine.save_draft`) and redirects back to the page,
  which then opens with the draft; completing the task discards it (the engine removes it with the task).

Engine errors raised outside the form handling become GOV.UK error pages (:func:`engine_error_page`).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from engine import (CaseView, ConflictError, DraftView, FormValidationError, NotFoundError, PathwaysError,
                    PermissionDeniedError, TaskView)
from web.auth import current_engine
from web.ui_auth import current_ui_actor, engine_error_page
from web.ui_forms import (ADD, add_item, build_fields, engine_errors, error_summary, humanise, initial_values,
                          read_submission)
from web.ui_diagram import diagram_context
from web.ui_inbox import LOCAL_ZONE, local_time
from web.ui_letters import case_letters
from web.ui_records import Row, field_lines, record_sections, timeline

MAX_TASK_ID = 200
HIDDEN_DATA_KEYS = frozenset({"settings", "case"})

bp = Blueprint("ui_cases", __name__)
bp.register_error_handler(PathwaysError, engine_error_page)


def _show(value: object) -> str:
    if value is None:
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "None"
    if isinstance(value, dict):
        return "; ".join(f"{humanise(k)}: {_show(v)}" for k, v in value.items())
    return str(value)


def _data_rows(case: CaseView) -> list[tuple[str, str]]:
    return [(humanise(k), _show(v)) for k, v in sorted(case.data.items()) if k not in HIDDEN_DATA_KEYS]


@bp.get("/cases/<int:case_id>")
@login_required
def case_page(case_id: int):
    """The case: the pathway's summary, ready tasks, records, consents, linked cases and timeline."""
    engine, actor = current_engine(), current_ui_actor()
    case = engine.get_case(case_id, actor)
    events = engine.audit_trail(case_id, actor)
    recorded = engine.case_records(case_id, actor)  # summary, records and consents (web/ui_records.py)
    tasks = [{"task": t, "due_text": local_time(t.due_at)} for t in case.ready_tasks]
    return render_template("case.html", case=case, tasks=tasks, data_rows=_data_rows(case),
                           timeline=timeline(events, recorded), started=local_time(case.created_at),
                           recorded=record_sections(recorded),
                           diagram=diagram_context(engine, case_id, actor),  # web/ui_diagram.py
                           letters=case_letters(case_id))  # web/ui_letters.py


def _find_task(case: CaseView, task_id: str) -> TaskView | None:
    return next((t for t in case.ready_tasks if t.id == task_id), None)


def _shown_fields(task: TaskView) -> list[Row]:
    """What the task's ``showFields`` asks to show: the forms' titles, and each value's display lines."""
    return [Row(f.title, field_lines(f)) for f in task.shown]


def _render_task(case: CaseView, task: TaskView, values: dict, *, errors: dict[str, str] | None = None,
                 expected_version: int, status: int = 200, conflict: str = "", refused: str = "",
                 task_ready: bool = True, draft: DraftView | None = None, drafting: bool = False,
                 completed_by: str = ""):
    """The task page. ``drafting``: the problem (conflict, refusal) came from saving a draft.

    A reader who may not work the task (``task.blocked``: another role's, someone else's, four eyes)
    sees what it is and why they cannot do it, without the form.
    """
    errors = errors or {}
    blocked = task.blocked if task_ready and not (refused or conflict) else ""
    fields = [] if blocked else build_fields(task.form_schema, values, errors, task.ui_schema)
    summary = error_summary(fields, errors.get("", ""))
    separate = task.properties.get("notSameActorAs")
    decided_by = case.data.get(separate) if separate else None
    return render_template(
        "task.html", case=case, task=task, fields=fields, error_list=summary, has_errors=bool(summary),
        expected_version=expected_version, shown=_shown_fields(task), four_eyes=bool(separate),
        decided_by=decided_by, due_text=local_time(task.due_at), conflict=conflict, refused=refused,
        task_ready=task_ready and not blocked, draft_saved=local_time(draft.saved_at) if draft is not None else "",
        drafting=drafting, blocked=blocked, completed_by=completed_by,
    ), status


def _task_id_or_404(task_id: str) -> str:
    if not task_id or len(task_id) > MAX_TASK_ID:
        abort(404)
    return task_id


@bp.get("/cases/<int:case_id>/tasks/<task_id>")
@login_required
def task_page(case_id: int, task_id: str):
    """The task's form, filled with my draft if I saved one, else with what the case holds for its fields."""
    engine, actor = current_engine(), current_ui_actor()
    case = engine.get_case(case_id, actor)
    task = _find_task(case, _task_id_or_404(task_id))
    if task is None:
        abort(404)
    draft = engine.get_draft(case_id, task.id, actor)
    # A draft holds every field as it was typed (blanks included), so it replaces the case's values.
    values = draft.values if draft is not None else initial_values(task.form_schema, case.data, task.ui_schema)
    # A draft is completed against the case as it was when typed: if the case moved on since, the
    # completion is a conflict (shown, with the draft kept), not a silent overwrite of newer values.
    expected = draft.case_version if draft is not None and draft.case_version else case.row_version
    return _render_task(case, task, values, expected_version=expected, draft=draft)


@bp.post("/cases/<int:case_id>/tasks/<task_id>")
@login_required
def submit_task(case_id: int, task_id: str):
    """Complete the task with the submitted form (or, with ``action=draft``, save what was typed as my
    draft; with ``action=add:<list>``, show the form again with one more item in that list)."""
    engine, actor = current_engine(), current_ui_actor()
    case = engine.get_case(case_id, actor)
    task = _find_task(case, _task_id_or_404(task_id))
    action = request.form.get("action", "")[:MAX_TASK_ID]
    try:
        expected = int(request.form.get("expected_version", ""))
    except ValueError:
        abort(400)
    if task is None:
        # Done or withdrawn since the page was opened. If the case moved on from the version the page
        # showed, that is a conflict: say so and keep what was typed; otherwise there is no such task.
        if expected == case.row_version:
            abort(404)
        return _gone(case, task_id, expected, drafting=action == "draft")
    data, typed, errors = read_submission(task.form_schema, request.form, task.ui_schema)
    if task.blocked:
        # Refused before anything else (a form error would only hide that they cannot do it anyway).
        return _render_task(case, task, typed, expected_version=expected, status=403, refused=task.blocked,
                            task_ready=False, drafting=action == "draft")
    if action.startswith(ADD):
        add_item(task.form_schema, typed, action[len(ADD):], task.ui_schema)
        return _render_task(case, task, typed, expected_version=expected)
    if action == "draft":
        return _save_draft(case, task, typed, expected)
    if errors:
        return _render_task(case, task, typed, errors=errors, expected_version=expected, status=400)
    try:
        engine.complete_task(case_id, task.id, data, actor, expected_version=expected)
    except FormValidationError as error:
        fields = {f.name: f for f in build_fields(task.form_schema, typed, ui=task.ui_schema)}
        return _render_task(case, task, typed, errors=engine_errors(task.form_schema, error.field_errors, fields),
                            expected_version=expected, status=400)
    except ConflictError as error:
        fresh = _reload(case_id)
        still_ready = fresh is not None and _find_task(fresh, task.id) is not None
        return _render_task(fresh or case, task, typed, expected_version=fresh.row_version if still_ready else expected,
                            status=409, conflict=str(error), task_ready=still_ready)
    except PermissionDeniedError as error:
        return _render_task(case, task, typed, expected_version=expected, status=403, refused=str(error))
    flash(f"‘{task.title}’ completed", "success")  # and any drafts of it are gone with the task
    return redirect(url_for("ui_cases.case_page", case_id=case_id), code=303)


def _save_draft(case: CaseView, task: TaskView, typed: dict, expected: int):
    """Keep what was typed, unvalidated, as my draft; back to the task page (redirect after post)."""
    try:
        draft = current_engine().save_draft(case.id, task.id, typed, current_ui_actor(), case_version=expected)
    except FormValidationError as error:
        problems = "; ".join(m for messages in error.field_errors.values() for m in messages)
        message = f"Your draft could not be saved: {problems}. Shorten your answers, or complete the task"
        return _render_task(case, task, typed, errors={"": message}, expected_version=expected, status=400)
    except ConflictError as error:  # completed or withdrawn meanwhile, or the case closed
        fresh = _reload(case.id)
        return _render_task(fresh or case, task, typed, expected_version=expected, status=409, conflict=str(error),
                            task_ready=False, drafting=True)
    except PermissionDeniedError as error:
        return _render_task(case, task, typed, expected_version=expected, status=403, refused=str(error),
                            drafting=True)
    flash(f"Draft saved at {draft.saved_at.astimezone(LOCAL_ZONE):%H:%M}", "success")
    return redirect(url_for("ui_cases.task_page", case_id=case.id, task_id=task.id), code=303)


def _gone(case: CaseView, task_id: str, expected: int, *, drafting: bool = False):
    """The 409 page for a task no longer ready: what was typed, in the task's own form, nothing to submit,
    and who completed it meanwhile when the case records say so."""
    engine, actor = current_engine(), current_ui_actor()
    task = engine.any_task(case.id, task_id, actor)
    if task is None:
        abort(404)
    _, typed, _ = read_submission(task.form_schema, request.form, task.ui_schema)
    done = next((r for r in reversed(engine.case_records(case.id, actor).records) if r.task_id == task.id), None)
    completed_by = f"{done.actor_name} completed it on {local_time(done.at)}" if done is not None else ""
    message = "this task is no longer waiting to be done"
    return _render_task(case, task, typed, expected_version=expected, status=409, conflict=message,
                        task_ready=False, drafting=drafting, completed_by=completed_by)


def _reload(case_id: int) -> CaseView | None:
    try:
        return current_engine().get_case(case_id, current_ui_actor())
    except (NotFoundError, PermissionDeniedError):
        return None
