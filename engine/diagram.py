"""What the case page's diagram needs: the pathway's BPMN and where every token of the case is.

The diagram drawn is the version's BPMN file that defines the manifest's main process (a pathway may
ship several .bpmn files). For each element the case has reached it says how many times it was
completed (loops repeat), how many tokens are on it now (parallel branches can make two or more) and
how many timers or messages are waited for there, with names for a text version of the diagram.

Tokens in an embedded subprocess belong to the drawn file: they are reported on their own elements
(bpmn-js draws them inside the subprocess, or on its drill-down plane when collapsed), and the
subprocess itself is active while it runs. Tokens inside a *call activity* run a process from another
file: they are reported with ``in_diagram=False`` (the text version names them; bpmn-js does not
draw that file), while the call activity, which SpiffWorkflow keeps started until its process ends,
is active on the drawn diagram.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from SpiffWorkflow.util.task import TaskState

from . import store, trace, versions
from .access import readable_case
from .codec import iter_workflows
from .models import PathwayVersion, Timer
from .runtime import Runtime
from .views import Actor, DiagramElementView, DiagramView
from .xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
# Elements that hold a process of their own in the same file (their workflows are "in" that file).
_CONTAINERS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
# Flow nodes are what tokens sit on: tasks, events, gateways, subprocesses and call activities (not
# lanes, event definitions, expressions...).
_FLOW_NODE_SUFFIXES = ("Task", "Event", "Gateway", "SubProcess")
_FLOW_NODES_EXTRA = frozenset({"task", "subProcess", "callActivity", "transaction"})
_ACTIVE = TaskState.READY | TaskState.STARTED


@dataclass(frozen=True)
class _Element:
    name: str
    kind: str
    trigger: str
    attached_to: str  # id of a boundary event's host


@dataclass(frozen=True)
class _File:
    """One parsed BPMN file: its flow elements, the processes it defines, its drawn diagram."""

    path: str
    elements: dict[str, _Element]
    containers: frozenset[str]  # ids of processes and subprocesses defined in the file
    flows: frozenset[str]       # ids of its sequence flows
    diagrams: dict[str, str]     # process id -> id of the BPMNDiagram drawing it


def _localname(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _is_flow_node(kind: str) -> bool:
    return kind in _FLOW_NODES_EXTRA or kind.endswith(_FLOW_NODE_SUFFIXES)


@lru_cache(maxsize=128)
def _parse(path: str, content: bytes) -> _File:
    """Parse one BPMN file as untrusted XML (published files are immutable: cached by content).

    Raises: PathwayInvalidError (cannot happen for a published version: it was validated).
    """
    root = parse_xml(content, path).getroot()
    elements: dict[str, _Element] = {}
    containers: set[str] = set()
    flows: set[str] = set()
    participants: dict[str, str] = {}  # collaboration id -> first participant's process
    for node in root.iter(f"{{{BPMN_NS}}}*"):
        kind, node_id = _localname(node.tag), node.get("id")
        if not node_id:
            continue
        if kind in _CONTAINERS:
            containers.add(node_id)
        if kind == "sequenceFlow":
            flows.add(node_id)
        if kind == "collaboration":
            for participant in node.iter(f"{{{BPMN_NS}}}participant"):
                if participant.get("processRef"):
                    participants.setdefault(node_id, participant.get("processRef"))
        if kind == "process" or not _is_flow_node(kind):
            continue
        definition = next((_localname(child.tag) for child in node
                           if _localname(child.tag).endswith("EventDefinition")), "")
        elements[node_id] = _Element(name=" ".join((node.get("name") or "").split()), kind=kind,
                                     trigger=definition.removesuffix("EventDefinition"),
                                     attached_to=node.get("attachedToRef") or "")
    diagrams: dict[str, str] = {}
    for diagram in root.iter(f"{{{DI_NS}}}BPMNDiagram"):
        plane = diagram.find(f"{{{DI_NS}}}BPMNPlane")
        drawn = plane.get("bpmnElement") if plane is not None else None
        process = participants.get(drawn, drawn)
        if process and diagram.get("id"):
            diagrams.setdefault(process, diagram.get("id"))
    return _File(path, elements, frozenset(containers), frozenset(flows), diagrams)


def _bpmn_files(files: dict[str, bytes]) -> list[_File]:
    return [_parse(path, content) for path, content in sorted(files.items()) if path.endswith(".bpmn")]


def _counts(workflow, drawn: _File | None) -> tuple[dict, dict, dict, dict]:
    """Per ``(in the drawn file, element id)``: times completed, tokens active, tokens waiting, and
    the first moment one of its tasks reached that state (to list elements in the order reached)."""
    completed: dict[tuple, int] = {}
    active: dict[tuple, int] = {}
    waiting: dict[tuple, int] = {}
    first: dict[tuple, float] = {}
    for _wf_id, wf in iter_workflows(workflow):
        here = drawn is not None and wf.spec.name in drawn.containers
        for task in wf.tasks.values():
            element = task.task_spec.bpmn_id
            if not element:
                continue  # the engine's own start/end/join tasks
            key = (here, element)
            if task.state == TaskState.COMPLETED:
                completed[key] = completed.get(key, 0) + 1
            elif task.has_state(_ACTIVE):
                active[key] = active.get(key, 0) + 1
            elif task.state == TaskState.WAITING:
                waiting[key] = waiting.get(key, 0) + 1
            else:
                continue
            first[key] = min(first.get(key, task.last_state_change), task.last_state_change)
    return completed, active, waiting, first


def _element_view(key, known: dict[str, _Element], counts, due: dict) -> DiagramElementView:
    here, element_id = key
    completed, active, waiting, _first = counts
    info = known.get(element_id, _Element("", "", "", ""))
    host = known.get(info.attached_to)
    return DiagramElementView(
        id=element_id, name=info.name, kind=info.kind, trigger=info.trigger,
        attached_to=host.name if host is not None else "", in_diagram=here,
        completed=completed.get(key, 0), active=active.get(key, 0), waiting=waiting.get(key, 0),
        due_at=due.get(element_id) if waiting.get(key) else None)


def case_diagram(rt: Runtime, case_id: int, actor: Actor) -> DiagramView:
    """The drawn BPMN of the case's version and where the case's tokens are, in one read.

    Raises:
        CaseNotFoundError: no such case.
        PermissionDeniedError: the actor may not read it.
    """
    with rt.db.reading() as session:
        case = readable_case(session, case_id, actor)
        process_id = session.scalar(sa.select(PathwayVersion.process_id).where(PathwayVersion.id == case.version_id))
        files = versions.files(session, case.version_id)
        due: dict[str, dt.datetime] = {}
        for element_id, due_at in session.execute(
                sa.select(Timer.element_id, Timer.due_at).where(Timer.case_id == case.id).order_by(Timer.due_at)):
            due.setdefault(element_id, due_at)
        live = store.load(session, rt, case)  # taken out of the live cache while we read it
        try:
            parsed = _bpmn_files(files)
            drawn = next((f for f in parsed if process_id in f.containers), None)
            traced = trace.trace(live.workflow, files)
            counts = _counts(live.workflow, drawn)
        finally:
            rt.keep_live(case.id, live)
    completed, active, waiting, first = counts
    keys = sorted(set(completed) | set(active) | set(waiting), key=lambda k: (first[k], k))
    flows = drawn.flows if drawn is not None else frozenset()
    # Validation keeps element ids unique across a pathway's files, so one table serves them all.
    known = {element_id: info for f in parsed for element_id, info in f.elements.items()}
    return DiagramView(
        case_id=case_id, process_id=process_id, file=drawn.path if drawn else "",
        xml=files[drawn.path].decode("utf-8-sig") if drawn else "",
        diagram_id=drawn.diagrams.get(process_id, "") if drawn else "",
        elements=tuple(_element_view(k, known, counts, due) for k in keys),
        flows_taken=tuple(f for f in traced.flows_taken if f in flows))
