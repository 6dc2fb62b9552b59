"""Turning SpiffWorkflow workflows into rows and back, without the spec and without the history.

SpiffWorkflow's serializer always writes the whole workflow with its spec embedded. We use its
converters piece by piece instead (findings §3, "incremental persistence"):

- the spec and subprocess specs of a pathway version are converted once (:func:`spec_to_json`) and
  restored once per process (:func:`spec_from_json`), then shared by every case of that version;
- a case is a small *header* (workflow-level attributes) plus one row per task. :func:`dump` returns
  only the rows that changed since the workflow was loaded: every task that is new, changed state
  after ``since``, or is not finished (a finished task's row never changes again, but an unfinished
  one's children and data delta can change without a state change), and the ids of removed tasks;
- :func:`load` rebuilds the workflow from the header and the rows in their insertion order (a task's
  data is a delta on its parent's, so parents must come first) against the cached spec objects.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import json
import threading
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

# Stored with each case so that a future SpiffWorkflow can migrate the rows (the library itself
# keeps VERSION as a module constant of its serializer).
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION  # noqa: E402

_local = threading.local()


def serializer() -> BpmnWorkflowSerializer:
    """A serializer for this thread: the registry keeps per-call state, so threads must not share one."""
    ser = getattr(_local, "serializer", None)
    if ser is None:
        registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        registry.register(_dt.date, lambda v: {"value": v.isoformat()}, lambda d: _dt.date.fromisoformat(d["value"]))
        registry.register(decimal.Decimal, lambda v: {"value": str(v)}, lambda d: decimal.Decimal(d["value"]))
        ser = _local.serializer = BpmnWorkflowSerializer(registry)
    return ser


def to_json(obj) -> str:
    """JSON text of a converted object, with the registry's types (dates, UUIDs...) encoded."""
    ser = serializer()
    return json.dumps(ser.registry.convert(obj), cls=ser._encoder_cls, separators=(",", ":"), sort_keys=False)


def spec_to_json(spec, subprocess_specs: dict) -> str:
    """The parsed spec of a pathway version as JSON (stored once per version)."""
    ser = serializer()
    return json.dumps(
        {"spec": ser.registry.convert(spec),
         "subprocess_specs": {k: ser.registry.convert(v) for k, v in subprocess_specs.items()}},
        cls=ser._encoder_cls, separators=(",", ":"))


def spec_from_json(text: str):
    """Restore ``(spec, subprocess_specs)`` from :func:`spec_to_json` output."""
    ser = serializer()
    dct = json.loads(text)
    spec = ser.registry.restore(dct["spec"])
    subs = {k: ser.registry.restore(v) for k, v in dct["subprocess_specs"].items()}
    return spec, subs


@dataclass
class TaskRow:
    task_id: str
    workflow_id: str
    body: str


@dataclass
class Snapshot:
    """What to write after a step: the header, changed task rows (in creation order), removed ids."""

    header: str
    rows: list[TaskRow] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)
    all_ids: set[str] = field(default_factory=set)


def _workflow_header(workflow) -> dict:
    ser = serializer()
    return {
        "data": ser.registry.convert(ser.registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "root": str(workflow.task_tree.id),
    }


def iter_workflows(wf: BpmnWorkflow):
    """Yield ``(workflow_id, workflow)`` for the top workflow ("") and each subprocess."""
    yield "", wf
    for sp_id, sp in wf.subprocesses.items():
        yield str(sp_id), sp


def dump(wf: BpmnWorkflow, *, known_ids: set[str], since: float) -> Snapshot:
    """The header and the rows that changed since ``since`` (a ``time.time()`` taken at load)."""
    ser = serializer()
    header = _workflow_header(wf)
    header["bpmn_events"] = ser.registry.convert(wf.bpmn_events)
    header["subprocesses"] = {}
    snap = Snapshot(header="")
    for wf_id, workflow in iter_workflows(wf):
        if wf_id:
            sp = _workflow_header(workflow)
            sp["parent_task_id"] = str(workflow.parent_task_id)
            sp["spec"] = workflow.spec.name
            header["subprocesses"][wf_id] = sp
        for task_id, task in workflow.tasks.items():
            tid = str(task_id)
            snap.all_ids.add(tid)
            if (tid not in known_ids or task.last_state_change >= since
                    or not task.has_state(TaskState.FINISHED_MASK)):
                snap.rows.append(TaskRow(tid, wf_id, to_json(task)))
    snap.removed = known_ids - snap.all_ids
    snap.header = json.dumps(header, cls=ser._encoder_cls, separators=(",", ":"))
    return snap


def load(spec, subprocess_specs: dict, header: str, rows: list[tuple[str, str, str]],
         script_engine=None) -> BpmnWorkflow:
    """Rebuild a workflow from its header and ``(task_id, workflow_id, body)`` rows in seq order."""
    ser = serializer()
    registry = ser.registry
    head = json.loads(header)
    by_workflow: dict[str, list[dict]] = {}
    for _task_id, wf_id, body in rows:
        by_workflow.setdefault(wf_id, []).append(json.loads(body))

    wf = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
    _restore_tasks(registry, wf, by_workflow.get("", []), head)
    _restore_subprocesses(registry, wf, wf, head.get("subprocesses", {}), by_workflow)
    wf.bpmn_events = registry.restore(head.get("bpmn_events", []))
    return wf


def _restore_tasks(registry, workflow, task_dicts: list[dict], head: dict) -> None:
    workflow.tasks = {}
    for dct in task_dicts:
        # Task() registers itself in workflow.tasks, which the next child needs for its data delta.
        task = registry.restore(dct, workflow=workflow)
        workflow.tasks[task.id] = task
    workflow.task_tree = workflow.tasks.get(UUID(head["root"]))
    workflow.success = head["success"]
    workflow.completed = head.get("completed", False)
    workflow.correlations = head.get("correlations", {})
    workflow.last_task = workflow.tasks.get(UUID(head["last_task"])) if head.get("last_task") else None
    workflow.data = registry.restore(head.get("data", {}))


def _restore_subprocesses(registry, top, workflow, sp_heads: dict, by_workflow: dict) -> None:
    # Parents before children, as SpiffWorkflow's own converter does: a subprocess needs its task.
    for task in list(workflow.tasks.values()):
        sp_id = str(task.id)
        if isinstance(task.task_spec, SubWorkflowTask) and sp_id in sp_heads:
            head = sp_heads[sp_id]
            sub_spec = top.subprocess_specs.get(task.task_spec.spec)
            sp = BpmnSubWorkflow(sub_spec, task.id, top, deserializing=True)
            _restore_tasks(registry, sp, by_workflow.get(sp_id, []), head)
            top.subprocesses[task.id] = sp
            sp.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
            _restore_subprocesses(registry, top, sp, sp_heads, by_workflow)


def element_of(body: str) -> str | None:
    """The BPMN element id of a stored task row (SpiffWorkflow names a task's spec by its element id)."""
    try:
        name = json.loads(body).get("task_spec")
    except (ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def full_json(wf: BpmnWorkflow) -> str:
    """SpiffWorkflow's own whole-workflow serialization (tests compare against it)."""
    return serializer().serialize_json(wf)
