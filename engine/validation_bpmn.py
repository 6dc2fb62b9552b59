"""Structural checks of BPMN files: ids, sequence flows, gateways, references, human tasks.

Everything here works on the lxml trees alone, so every problem carries the element's own line.
Python expressions are checked in :mod:`engine.validation_expr`.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from engine.validation_common import (
    BPMN_NS, DMN_NAMESPACES, FORM_PROPERTY, HUMAN_TASKS, NS, UI_FORM_PROPERTY, Doc, Problems, find_in_bundle,
    is_plain_name, local, properties,
)

_GATEWAYS_WITH_CONDITIONS = ("exclusiveGateway", "inclusiveGateway")
_MODEL_NAMESPACES = (BPMN_NS, *DMN_NAMESPACES)
_REFS = (  # (event definition, attribute, referenced root element)
    ("messageEventDefinition", "messageRef", "message"),
    ("signalEventDefinition", "signalRef", "signal"),
    ("errorEventDefinition", "errorRef", "error"),
    ("escalationEventDefinition", "escalationRef", "escalation"),
)


@dataclass(frozen=True)
class BundleIndex:
    """What the cross-file checks need to know about the whole bundle."""

    processes: dict[str, tuple[str, bool]]  # process id -> (file, executable)
    decisions: dict[str, str]  # decision id -> file
    files: frozenset[str]  # every path in the bundle (forms included)


def is_executable(process: etree._Element) -> bool:
    # SpiffWorkflow's rule (ProcessParser): anything but a missing attribute or "true" is not executable.
    return process.get("isExecutable", "true") == "true"


def check_unique_ids(docs: list[Doc], problems: Problems) -> None:
    """Ids must be unique across every BPMN and DMN file of the bundle.

    Why across files: the engine addresses tasks, processes and decisions by id, and a call
    activity or business rule task could otherwise reach the wrong one. Diagram-layout ids
    (``bpmndi``) and the ``definitions`` root are skipped: editors give every new file the same
    ``BPMNDiagram_1``/``BPMNPlane_1`` and nothing refers to them.
    """
    places: dict[str, list[tuple[Doc, etree._Element]]] = {}
    for doc in sorted(docs, key=lambda d: d.path):
        for el in doc.root.iter(etree.Element):
            element_id = el.get("id")
            if element_id is not None and el is not doc.root and etree.QName(el).namespace in _MODEL_NAMESPACES:
                places.setdefault(element_id, []).append((doc, el))
    for element_id, found in places.items():
        if len(found) < 2:
            continue
        # Every occurrence is reported, each naming the others: either one may be the one to rename.
        for doc, el in found:
            others = ", ".join(f"{d.path}:{e.sourceline or 0}" for d, e in found if e is not el)
            problems.add(doc.path, el, f"id {element_id!r} is also used at {others}; ids must be unique across "
                         "all files of the pathway", element_id=element_id)


def check_structure(doc: Doc, index: BundleIndex, known_roles: set[str] | None, problems: Problems) -> None:
    """Run every structural check on one BPMN file."""
    _check_flows(doc, problems)
    _check_gateways(doc, problems)
    _check_references(doc, index, problems)
    _check_properties(doc, problems)
    _check_human_tasks(doc, index, known_roles, problems)


def _container_ids(container: etree._Element, cache: dict | None = None) -> set[str]:
    """Ids of the direct children of a process or sub-process.

    ``cache`` (keyed by the container, which it keeps alive) avoids quadratic work: a file can
    hold thousands of flows in one process.
    """
    if cache is not None and container in cache:
        return cache[container]
    ids = {el.get("id") for el in container if isinstance(el.tag, str) and el.get("id")}
    if cache is not None:
        cache[container] = ids
    return ids


def _check_flows(doc: Doc, problems: Problems) -> None:
    cache: dict = {}
    for flow in doc.xpath("//bpmn:sequenceFlow"):
        siblings = _container_ids(flow.getparent(), cache)
        for attr in ("sourceRef", "targetRef"):
            ref = flow.get(attr)
            if not ref or ref in siblings:
                continue  # a missing attribute is an XSD error, reported there
            end = "starts at" if attr == "sourceRef" else "leads to"
            if doc.by_id(ref) is not None:
                problems.add(doc.path, flow, f"sequence flow {end} {ref!r}, which is in a different process or "
                             "sub-process; a sequence flow must stay inside one process (between processes, "
                             "use a message)")
            else:
                problems.add(doc.path, flow, f"sequence flow {end} {ref!r}, which does not exist in this file")


def _outgoing(node: etree._Element, cache: dict) -> list[etree._Element]:
    """The sequence flows leaving ``node`` (``cache`` keeps one index per container)."""
    container = node.getparent()
    if container not in cache:
        index: dict[str, list[etree._Element]] = {}
        for flow in container:
            if local(flow) == "sequenceFlow":
                index.setdefault(flow.get("sourceRef") or "", []).append(flow)
        cache[container] = index
    return cache[container].get(node.get("id") or "", [])


def _check_gateways(doc: Doc, problems: Problems) -> None:
    for flow in doc.xpath("//bpmn:sequenceFlow[bpmn:conditionExpression]"):
        source = doc.by_id(flow.get("sourceRef") or "")
        if source is not None and local(source) not in _GATEWAYS_WITH_CONDITIONS:
            problems.add(doc.path, flow, f"this flow has a condition but leaves a {local(source)}; the engine only "
                         "evaluates conditions on flows leaving an exclusive or inclusive gateway, so it is ignored")
    cache: dict = {}
    for gateway in doc.xpath("//bpmn:exclusiveGateway | //bpmn:inclusiveGateway"):
        outgoing = _outgoing(gateway, cache)
        ids = {f.get("id") for f in outgoing}
        default = gateway.get("default")
        if default is not None and default not in ids:
            problems.add(doc.path, gateway, f"default flow {default!r} is not one of this gateway's outgoing flows "
                         f"({', '.join(sorted(i for i in ids if i)) or 'none'})")
        for flow in outgoing:
            condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
            if flow.get("id") == default:
                if condition is not None:
                    problems.add(doc.path, flow, "this is the gateway's default flow, so its condition is never "
                                 "evaluated; remove the condition")
            elif condition is not None and not (condition.text or "").strip():
                # SpiffWorkflow would evaluate the blank text and fail when a case reaches the gateway.
                problems.add(doc.path, condition, "condition is empty; write the condition or make this flow the "
                             "gateway's default flow", element_id=flow.get("id"))
            elif condition is None and len(outgoing) > 1:
                # One outgoing flow without a condition is a plain pass-through (SpiffWorkflow makes it the default).
                problems.add(doc.path, flow, f"flow leaves gateway {gateway.get('id')!r} without a condition; give it "
                             "a condition or make it the gateway's default flow")


def _check_references(doc: Doc, index: BundleIndex, problems: Problems) -> None:
    executable = sorted(pid for pid, (_, run) in index.processes.items() if run)
    for call in doc.xpath("//bpmn:callActivity"):
        called = call.get("calledElement")
        if not called:
            problems.add(doc.path, call, "call activity names no process; set calledElement to a process id")
        elif called not in index.processes:
            problems.add(doc.path, call, f"call activity calls process {called!r}, which is in none of this "
                         f"pathway's files (processes: {', '.join(executable) or 'none'})")
        elif not index.processes[called][1]:
            problems.add(doc.path, call, f"call activity calls process {called!r}, which is not executable "
                         f"(isExecutable is not \"true\" in {index.processes[called][0]})")
    for task in doc.xpath("//bpmn:businessRuleTask"):
        ref = task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
        decision = (ref.text or "") if ref is not None else ""
        if not decision.strip():
            problems.add(doc.path, task, "business rule task names no decision; add spiffworkflow:calledDecisionId")
        elif decision != decision.strip():
            # SpiffWorkflow looks the text up as it is, spaces and line breaks included.
            problems.add(doc.path, ref, f"decision id {decision!r} has spaces or line breaks around it; remove them",
                         element_id=task.get("id"))
        elif decision not in index.decisions:
            problems.add(doc.path, ref, f"decision {decision!r} is in none of this pathway's DMN files "
                         f"(decisions: {', '.join(sorted(index.decisions)) or 'none'})", element_id=task.get("id"))
    for definition, attr, target in _REFS:
        declared = {el.get("id") for el in doc.xpath(f"/bpmn:definitions/bpmn:{target}")}
        for node in doc.xpath(f"//bpmn:{definition}"):
            ref = node.get(attr)
            if ref is None and target == "message":
                problems.add(doc.path, node, "message event names no message; set messageRef to a bpmn:message "
                             "declared in this file", element_id=node.getparent().get("id"))
            elif ref is not None and ref not in declared:
                problems.add(doc.path, node, f"{attr} {ref!r} names no bpmn:{target} declared in this file",
                             element_id=node.getparent().get("id"))
    messages = {el.get("id") for el in doc.xpath("/bpmn:definitions/bpmn:message")}
    for node in doc.xpath("//bpmn:correlationPropertyRetrievalExpression"):
        if node.get("messageRef") not in messages:
            problems.add(doc.path, node, f"messageRef {node.get('messageRef')!r} names no bpmn:message declared "
                         "in this file")
    cache: dict = {}
    for event in doc.xpath("//bpmn:boundaryEvent"):
        ref = event.get("attachedToRef")
        if ref and ref not in _container_ids(event.getparent(), cache):
            problems.add(doc.path, event, f"boundary event is attached to {ref!r}, which is not a task of the "
                         "same process")


def _check_properties(doc: Doc, problems: Problems) -> None:
    # SpiffWorkflow reads attrib['name'] and attrib['value'] and fails with a bare KeyError otherwise.
    for prop in doc.xpath("//spiffworkflow:property"):
        if prop.get("name") is None or prop.get("value") is None:
            problems.add(doc.path, prop, "spiffworkflow:property needs both a name and a value attribute")


def lane_index(doc: Doc) -> dict[str, etree._Element]:
    """Flow node id -> the lane holding it, exactly as SpiffWorkflow indexes it.

    The last (innermost) lane wins, and the text is not stripped: SpiffWorkflow would not find a
    task listed as ``<flowNodeRef> screen </flowNodeRef>`` either.
    """
    lanes: dict[str, etree._Element] = {}
    for ref in doc.xpath("//bpmn:lane/bpmn:flowNodeRef"):
        if ref.text:
            lanes[ref.text] = ref.getparent()
    return lanes


def task_lane(task: etree._Element, lanes: dict[str, etree._Element]) -> etree._Element | None:
    """The lane SpiffWorkflow gives ``task``: a sub-process's lane passes down to everything in it."""
    chain = []
    node = task
    while node is not None and local(node) != "process":
        chain.append(node)
        node = node.getparent()
    for node in reversed(chain):  # outermost first, as the sub-process parser hands its lane down
        lane = lanes.get(node.get("id") or "")
        if lane is not None:
            return lane
    return None


def _check_human_tasks(doc: Doc, index: BundleIndex, known_roles: set[str] | None, problems: Problems) -> None:
    lanes = lane_index(doc)
    checked_lanes: set[int] = set()
    for kind in HUMAN_TASKS:
        for task in doc.xpath(f"//bpmn:{kind}"):
            lane = task_lane(task, lanes)
            if lane is None:
                problems.add(doc.path, task, f"{kind} is not in a lane; put it in the lane of the role that does it")
            elif not (lane.get("name") or "").strip():
                problems.add(doc.path, task, f"{kind} sits in lane {lane.get('id')!r}, which has no name; "
                             "name the lane after the role that does this work")
            elif known_roles is not None and lane.get("name") not in known_roles and id(lane) not in checked_lanes:
                checked_lanes.add(id(lane))
                problems.add(doc.path, lane, f"lane {lane.get('name')!r} is not a known role "
                             f"(known roles: {', '.join(sorted(known_roles)) or 'none'})")
            _check_form_properties(doc, task, index, problems, required=(kind == "userTask"))
            _check_task_properties(doc, task, problems)
    for start in doc.xpath("//bpmn:startEvent"):
        _check_form_properties(doc, start, index, problems, required=False)
        _check_start_roles(doc, start, known_roles, problems)


def _check_start_roles(doc: Doc, start: etree._Element, known_roles: set[str] | None, problems: Problems) -> None:
    """``startRoles``: who may start the pathway when several roles may (a comma-separated list)."""
    prop = properties(start).get("startRoles")
    if prop is None:
        return
    roles = [r.strip() for r in (prop.get("value") or "").split(",") if r.strip()]
    if not roles:
        problems.add(doc.path, prop, "startRoles names no role", element_id=start.get("id"))
    for role in roles:
        if known_roles is not None and role not in known_roles:
            problems.add(doc.path, prop, f"startRoles: {role!r} is not a known role", element_id=start.get("id"))


def _check_form_properties(doc: Doc, node: etree._Element, index: BundleIndex, problems: Problems,
                           required: bool) -> None:
    props = properties(node)
    form = props.get(FORM_PROPERTY)
    if form is None:
        if required:
            problems.add(doc.path, node, "user task names no form; add the spiffworkflow property "
                         f"{FORM_PROPERTY} with the name of a .schema.json file")
        if UI_FORM_PROPERTY in props:
            problems.add(doc.path, props[UI_FORM_PROPERTY], f"{UI_FORM_PROPERTY} is set but there is no "
                         f"{FORM_PROPERTY}", element_id=node.get("id"))
        return
    for prop, suffix in ((form, ".schema.json"), (props.get(UI_FORM_PROPERTY), ".uischema.json")):
        if prop is None:
            continue
        name = prop.get("value") or ""
        if not _plain_file_name(name):
            problems.add(doc.path, prop, f"form file name {name!r} must be a plain file name (no folders)",
                         element_id=node.get("id"))
        elif not name.endswith(suffix):
            problems.add(doc.path, prop, f"form file name {name!r} must end in {suffix}", element_id=node.get("id"))
        elif find_in_bundle(index.files, name) is None:
            problems.add(doc.path, prop, f"form {name!r} is not in this pathway's files", element_id=node.get("id"))


def _plain_file_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and name not in (".", "..") and not name.startswith(".")


def _check_task_properties(doc: Doc, task: etree._Element, problems: Problems) -> None:
    props = properties(task)
    for name in ("actorField", "notSameActorAs"):
        prop = props.get(name)
        if prop is not None and prop.get("value") is not None and not is_plain_name(prop.get("value")):
            problems.add(doc.path, prop, f"{name} {prop.get('value')!r} must be a plain name (letters, digits and "
                         "'_', not starting with '_' or a digit)", element_id=task.get("id"))
