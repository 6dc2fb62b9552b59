"""The case page's "Where the case is" section: the pathway's diagram with the case's tokens marked,
and the same in words.

:func:`diagram_context` turns :meth:`engine.Engine.case_diagram` into what
``templates/_case_diagram.html`` renders: the text version (steps done in order with how many times,
what is happening now, what is waited for, with names) and the data the diagram script needs.

Why the BPMN and the markers are embedded in the page (a ``<script type="application/json">`` block,
which the Content-Security-Policy allows because a data block is never executed) rather than served
from a route of their own: the page already made the one engine call that read them, in one
transaction, so the drawing and the text version always show the same moment of the case; there is
no second request to authorise, no second deserialisation of the case, and nothing for a browser to
cache (case pages are ``no-store``). The pathway files are 15 to 90 kB.

No pathway knowledge here: what an element is (a task, a timer, a join) comes from its BPMN type.
"""
from __future__ import annotations

from engine import Actor, DiagramElementView, DiagramView, Engine
from web.ui_inbox import local_time

# How an element without a name is called in the text version (BPMN types, not pathway knowledge).
_UNNAMED = {"endEvent": "An end of the pathway", "startEvent": "The start", "callActivity": "A linked process",
            "subProcess": "A part of the pathway"}
_GATEWAY = "Gateway"


def _name(element: DiagramElementView) -> str:
    if element.name:
        return element.name
    if element.kind.endswith(_GATEWAY):
        return "A point where paths meet"
    return _UNNAMED.get(element.kind, "An unnamed step")


def _times(count: int, word: str) -> str:
    return "" if count < 2 else f"{count} {word}"


def _not_drawn(element: DiagramElementView) -> str:
    # Inside a process a call activity runs: that file is not the one drawn.
    return "" if element.in_diagram else "not shown on the diagram: it is part of a linked process"


def _now_row(element: DiagramElementView) -> dict:
    notes = [_times(element.active, "at once"), "again" if element.completed else ""]  # a loop came back
    if element.kind in ("subProcess", "callActivity", "transaction", "adHocSubProcess"):
        notes.append("in progress")
    notes.append(_not_drawn(element))
    return {"name": _name(element), "notes": [n for n in notes if n], "id": element.id}


def _waiting_row(element: DiagramElementView) -> dict:
    if element.kind.endswith(_GATEWAY):
        what = "for the other paths running at the same time to get here"
    elif element.trigger == "timer":
        what = f"a time limit on ‘{element.attached_to}’" if element.attached_to else "a date or time"
    elif element.trigger == "message":
        what = "a message from another case or team"
    elif element.trigger:
        what = f"a {element.trigger}"
    else:
        what = ""
    notes = [what, _times(element.waiting, "at once"), _not_drawn(element)]
    return {"name": _name(element), "notes": [n for n in notes if n], "due": local_time(element.due_at),
            "id": element.id}


def _done_row(element: DiagramElementView) -> dict:
    notes = [_times(element.completed, "times"), _not_drawn(element)]
    return {"name": _name(element), "notes": [n for n in notes if n], "count": element.completed, "id": element.id}


def _script_data(view: DiagramView, label: str) -> dict:
    """What case-diagram.mjs needs: the XML, the diagram to open, the markers per drawn element."""
    drawn = [e for e in view.elements if e.in_diagram]
    return {
        "xml": view.xml,
        "diagram": view.diagram_id,
        "label": label,
        "elements": [{"id": e.id, "name": _name(e), "completed": e.completed, "active": e.active,
                      "waiting": e.waiting} for e in drawn],
        "flows": list(view.flows_taken),
    }


def diagram_context(engine: Engine, case_id: int, actor: Actor) -> dict:
    """The template context of the section (``diagram`` in ``case.html``).

    Raises: CaseNotFoundError, PermissionDeniedError (from the engine; the case page has already
    read the case as this actor, so neither is expected here).
    """
    view = engine.case_diagram(case_id, actor)
    steps = [e for e in view.completed if not e.kind.endswith(_GATEWAY) and e.kind != "endEvent"]
    label = ("Diagram of the pathway with this case's steps marked: done, happening now and waiting. "
             "The same is written out below the diagram.")
    return {
        "drawable": bool(view.xml and view.diagram_id),
        "data": _script_data(view, label) if view.xml and view.diagram_id else None,
        "label": label,
        "done": [_done_row(e) for e in steps],
        "now": [_now_row(e) for e in view.active],
        "waiting": [_waiting_row(e) for e in view.waiting],
        "ended": [_name(e) for e in view.ended],
    }
