"""Where a case has been: elements completed in order, active and waiting elements, flows taken.

Used by the scenario runner (path assertions, sequence-flow coverage) and by the case page's
diagram. SpiffWorkflow keeps no record of sequence flows, so a flow counts as taken when its
target element was reached from its source: each reached task is paired with its nearest ancestor
that is a BPMN element (skipping the engine's own split/join tasks), and the pair is looked up
among the sequence flows of the version's BPMN files.
"""
from __future__ import annotations

from functools import lru_cache

from SpiffWorkflow.util.task import TaskState

from .codec import iter_workflows
from .views import TraceView
from .xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


@lru_cache(maxsize=256)
def _flows(files_key: tuple) -> tuple[dict, tuple]:
    """``({(source, target): [flow ids]}, all flow ids)`` of BPMN files given as ((path, bytes), ...)."""
    pairs: dict[tuple[str, str], list[str]] = {}
    every: list[str] = []
    for path, content in files_key:
        if not path.endswith(".bpmn"):
            continue
        root = parse_xml(content, path).getroot()
        for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            fid, src, tgt = flow.get("id"), flow.get("sourceRef"), flow.get("targetRef")
            pairs.setdefault((src, tgt), []).append(fid)
            every.append(fid)
    return pairs, tuple(every)


def sequence_flows(files: dict[str, bytes]) -> tuple[str, ...]:
    """Every sequence flow id in a bundle's BPMN files."""
    return _flows(tuple(sorted(files.items())))[1]


def trace(workflow, files: dict[str, bytes]) -> TraceView:
    pairs, _ = _flows(tuple(sorted(files.items())))
    tasks = [t for _wf_id, wf in iter_workflows(workflow) for t in wf.tasks.values()]
    done = sorted((t for t in tasks if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id),
                  key=lambda t: t.last_state_change)
    taken: dict[str, None] = {}
    for task in sorted((t for t in tasks if t.has_state(_REACHED) and t.task_spec.bpmn_id),
                       key=lambda t: t.last_state_change):
        source = _bpmn_ancestor(task)
        if source is not None:
            for fid in pairs.get((source, task.task_spec.bpmn_id), []):
                taken.setdefault(fid, None)
    return TraceView(
        completed=tuple(t.task_spec.bpmn_id for t in done),
        active=tuple(t.task_spec.bpmn_id for t in tasks
                     if t.has_state(TaskState.READY | TaskState.STARTED) and t.task_spec.bpmn_id),
        waiting=tuple(t.task_spec.bpmn_id for t in tasks if t.state == TaskState.WAITING and t.task_spec.bpmn_id),
        flows_taken=tuple(taken),
        ended=tuple(t.task_spec.bpmn_id for t in done if type(t.task_spec).__name__ == "EndEvent"))


def _bpmn_ancestor(task) -> str | None:
    parent = task.parent
    while parent is not None and not parent.task_spec.bpmn_id:
        parent = parent.parent
    return parent.task_spec.bpmn_id if parent is not None else None
