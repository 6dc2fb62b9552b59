"""tools/bpmn_layout/: every element gets one shape or edge, nothing overlaps, the file stays valid.

Each diagram (the shipped front door, copied, and small synthetic ones: a loop, a gateway fan-out,
boundary events, three lanes, a call activity and a sub-process, annotations and data objects, a
process without a pool) is laid out, then its geometry is checked: one DI per element, node shapes
apart, shapes inside their lane and lanes inside their pool, orthogonal flows starting and ending on
the borders of their shapes and crossing no other shape, XSD-valid, ``--check`` failing before and
passing after, a second run changing nothing, and the model part of the file kept byte for byte.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from tools import bpmn_layout
from tools.bpmn_layout import BPMN_NS, BPMNDI_NS, DC_NS, DI_NS, di_problems, layout_bytes, main

REPO = Path(__file__).resolve().parents[2]
FRONT_DOOR = REPO / "processes" / "front_door" / "front_door.bpmn"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}"\n'
        '                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        '                  id="Definitions_{key}" targetNamespace="https://pathways.example/{key}">\n')
TAIL = "</bpmn:definitions>\n"


def diagram(key: str, body: str, lanes: dict[str, list[str]] | None = None, pool: bool = True) -> str:
    """A definitions element holding process ``key`` with ``body``, optionally lanes and a pool."""
    out = HEAD.format(key=key)
    if pool:
        out += (f'  <bpmn:collaboration id="Collaboration_{key}">\n'
                f'    <bpmn:participant id="Participant_{key}" name="{key}" processRef="{key}"/>\n'
                '  </bpmn:collaboration>\n')
    out += f'  <bpmn:process id="{key}" isExecutable="true">\n'
    if lanes:
        out += f'    <bpmn:laneSet id="LaneSet_{key}">\n'
        for lane, refs in lanes.items():
            out += f'      <bpmn:lane id="{lane}" name="{lane.replace("_", " ")}">\n'
            out += "".join(f"        <bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>\n" for r in refs)
            out += "      </bpmn:lane>\n"
        out += "    </bpmn:laneSet>\n"
    out += body + "  </bpmn:process>\n" + TAIL
    return out


def flows(*specs: str) -> str:
    """``"a>b"`` or ``"a>b:Name"`` -> sequence flows with ids flow_a_b."""
    out = ""
    for spec in specs:
        pair, _, name = spec.partition(":")
        src, tgt = pair.split(">")
        attr = f' name="{name}"' if name else ""
        out += f'    <bpmn:sequenceFlow id="flow_{src}_{tgt}"{attr} sourceRef="{src}" targetRef="{tgt}"/>\n'
    return out


def nodes(*specs: str) -> str:
    """``"userTask:id:Name"`` -> one element each (a boundary is ``boundaryEvent:id:Name:host``)."""
    out = ""
    for spec in specs:
        tag, node_id, *rest = spec.split(":")
        name = f' name="{rest[0]}"' if rest and rest[0] else ""
        if tag == "boundaryEvent":
            out += (f'    <bpmn:boundaryEvent id="{node_id}"{name} attachedToRef="{rest[1]}" cancelActivity="false">\n'
                    f'      <bpmn:timerEventDefinition id="timer_{node_id}"/>\n    </bpmn:boundaryEvent>\n')
        elif tag == "callActivity":
            out += f'    <bpmn:callActivity id="{node_id}"{name} calledElement="other_process"/>\n'
        else:
            out += f'    <bpmn:{tag} id="{node_id}"{name}/>\n'
    return out


LOOP = diagram("loop", nodes(
    "startEvent:start:Start", "userTask:draft:Draft the plan", "userTask:review:Review the plan",
    "exclusiveGateway:gw_ok:Approved?", "userTask:publish:Publish", "endEvent:end:Done",
    "userTask:fix:Fix the plan") + flows(
    "start>draft", "draft>review", "review>gw_ok", "gw_ok>publish:Yes", "gw_ok>draft:No", "publish>end",
    "review>fix", "fix>review"))

FAN_OUT = diagram("fan", nodes(
    "startEvent:start", "exclusiveGateway:gw:Which route?", "userTask:a:Route A", "userTask:b:Route B",
    "userTask:c:Route C", "exclusiveGateway:join", "parallelGateway:split", "task:p1:Left",
    "task:p2:Right", "parallelGateway:pjoin", "endEvent:end:End") + flows(
    "start>gw", "gw>a:Route A chosen", "gw>b:Route B chosen", "gw>c:Route C chosen", "a>join", "b>join",
    "c>join", "join>split", "split>p1", "split>p2", "p1>pjoin", "p2>pjoin", "pjoin>end", "gw>end:Nothing to do"))

BOUNDARY = diagram("bnd", nodes(
    "startEvent:start", "userTask:work:Do the work", "boundaryEvent:late:2 days passed:work",
    "boundaryEvent:very_late:5 days passed:work", "userTask:chase:Chase the worker",
    "userTask:escalate:Escalate to the manager", "endEvent:chased:Chased", "endEvent:escalated",
    "userTask:check:Check the result", "boundaryEvent:retry:Retry:check", "endEvent:end:Done") + flows(
    "start>work", "work>check", "check>end", "late>chase", "chase>chased", "very_late>escalate",
    "escalate>escalated", "retry>work"))

THREE_LANES = diagram("lanes", nodes(
    "startEvent:start:Referral", "userTask:triage:Triage", "exclusiveGateway:gw:Urgent?",
    "userTask:urgent:Act now", "userTask:plan:Plan the support", "userTask:deliver:Deliver the support",
    "userTask:review:Review", "exclusiveGateway:join", "endEvent:end:Closed") + flows(
    "start>triage", "triage>gw", "gw>urgent:Urgent", "gw>plan:Not urgent", "plan>deliver", "deliver>join",
    "urgent>join", "join>review", "review>end", "triage>review"),
    lanes={"Lane_front": ["start", "triage", "gw", "end"], "Lane_manager": ["urgent", "join", "review"],
           "Lane_worker": ["plan", "deliver"]})

CALL = diagram("call", nodes(
    "startEvent:start", "callActivity:run_assessment:Run the assessment", "endEvent:end:Assessed") +
    '    <bpmn:subProcess id="sub" name="Gather the information">\n'
    '      <bpmn:startEvent id="sub_start"/>\n'
    '      <bpmn:userTask id="sub_task" name="Ask the family"/>\n'
    '      <bpmn:endEvent id="sub_end"/>\n'
    '      <bpmn:sequenceFlow id="sub_f1" sourceRef="sub_start" targetRef="sub_task"/>\n'
    '      <bpmn:sequenceFlow id="sub_f2" sourceRef="sub_task" targetRef="sub_end"/>\n'
    '    </bpmn:subProcess>\n' + flows("start>run_assessment", "run_assessment>sub", "sub>end"))

ARTIFACTS = diagram("art", nodes("startEvent:start", "userTask:record:Record the visit") +
    '    <bpmn:serviceTask id="store" name="Store the record">\n'
    '      <bpmn:dataInputAssociation id="assoc_in">\n'
    '        <bpmn:sourceRef>visit_note</bpmn:sourceRef>\n'
    '        <bpmn:targetRef>store</bpmn:targetRef>\n'
    '      </bpmn:dataInputAssociation>\n'
    '    </bpmn:serviceTask>\n'
    '    <bpmn:dataObjectReference id="visit_note" name="Visit note" dataObjectRef="visit_data"/>\n'
    '    <bpmn:dataObject id="visit_data"/>\n'
    '    <bpmn:endEvent id="end"/>\n' + flows("start>record", "record>store", "store>end") +
    '    <bpmn:textAnnotation id="note"><bpmn:text>Within 24 hours of the visit</bpmn:text></bpmn:textAnnotation>\n'
    '    <bpmn:association id="note_assoc" sourceRef="record" targetRef="note"/>\n'
    '    <bpmn:textAnnotation id="loose_note"><bpmn:text>Nothing attached</bpmn:text></bpmn:textAnnotation>\n')

NO_POOL = diagram("nopool", nodes("startEvent:start", "task:t:Only task", "endEvent:end") +
                  flows("start>t", "t>end"), pool=False)

SYNTHETIC = {"loop": LOOP, "fan_out": FAN_OUT, "boundary": BOUNDARY, "three_lanes": THREE_LANES,
             "call_activity": CALL, "artifacts": ARTIFACTS, "no_pool": NO_POOL}


def all_cases() -> dict[str, bytes]:
    """The synthetic diagrams, the front door, and every other shipped diagram (read, never written)."""
    cases = {name: text.encode() for name, text in SYNTHETIC.items()}
    cases["front_door"] = FRONT_DOOR.read_bytes()
    for path in sorted((REPO / "processes").glob("*/*.bpmn")):
        if path != FRONT_DOOR:
            cases[f"shipped_{path.stem}"] = path.read_bytes()
    return cases


CASES = all_cases()


@pytest.fixture(scope="module")
def laid_out() -> dict[str, bytes]:
    return {name: layout_bytes(data, name) for name, data in CASES.items()}


# -- geometry helpers ----------------------------------------------------------------------------

def bounds(shape) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def inside(inner, outer) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def on_border(point, rect) -> bool:
    px, py = point
    x, y, w, h = rect
    on_vertical = px in (x, x + w) and y <= py <= y + h
    on_horizontal = py in (y, y + h) and x <= px <= x + w
    return on_vertical or on_horizontal


def overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def segment_enters(p, q, rect) -> bool:
    """Does the axis-parallel segment p-q pass through the inside of rect?"""
    x, y, w, h = rect
    (x1, y1), (x2, y2) = p, q
    if x1 == x2:
        return x < x1 < x + w and min(y1, y2) < y + h and max(y1, y2) > y
    return y < y1 < y + h and min(x1, x2) < x + w and max(x1, x2) > x


def planes(root):
    return root.findall("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)


def model(root) -> dict[str, etree._Element]:
    return {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")
            and etree.QName(el).namespace == BPMN_NS}


# -- tests ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_every_element_has_exactly_one_di(laid_out, name):
    root = etree.fromstring(laid_out[name])
    assert di_problems(root) == []
    elements = model(root)
    refs = [el.get("bpmnElement") for el in root.iter(f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge")]
    assert len(refs) == len(set(refs))
    assert set(refs) <= set(elements)
    wanted = {i for i, el in elements.items() if etree.QName(el).localname in (
        bpmn_layout.FLOW_NODES | bpmn_layout.DATA_REFS | {"participant", "lane", "sequenceFlow", "association",
                                                          "textAnnotation", "dataInputAssociation"})}
    assert wanted <= set(refs)
    di_ids = [el.get("id") for el in root.iter(etree.Element)
              if etree.QName(el).namespace == BPMNDI_NS and el.get("id")]
    assert len(di_ids) == len(set(di_ids)) and not set(di_ids) & set(elements)


@pytest.mark.parametrize("name", CASES)
def test_node_shapes_do_not_overlap(laid_out, name):
    root = etree.fromstring(laid_out[name])
    elements = model(root)
    for plane in planes(root):
        shapes = []
        for shape in plane.findall("bpmndi:BPMNShape", NS):
            el = elements[shape.get("bpmnElement")]
            local = etree.QName(el).localname
            if local in ("participant", "lane"):
                continue
            shapes.append((shape.get("bpmnElement"), local, el.get("attachedToRef"), bounds(shape)))
        for i, (a, _la, host_a, ra) in enumerate(shapes):
            for b, _lb, host_b, rb in shapes[i + 1:]:
                if host_a == b or host_b == a:
                    continue  # a boundary event sits on its activity's edge
                assert not overlap(ra, rb), f"{a} {ra} overlaps {b} {rb}"


@pytest.mark.parametrize("name", CASES)
def test_shapes_inside_their_lane_and_lanes_inside_the_pool(laid_out, name):
    root = etree.fromstring(laid_out[name])
    shapes = {s.get("bpmnElement"): bounds(s) for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    for participant in root.iter(f"{{{BPMN_NS}}}participant"):
        pool = shapes[participant.get("id")]
        process = root.find(f"bpmn:process[@id='{participant.get('processRef')}']", NS)
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            assert inside(shapes[lane.get("id")], pool), lane.get("id")
        for el in process:
            if el.get("id") in shapes and etree.QName(el).localname not in ("laneSet",):
                assert inside(shapes[el.get("id")], pool), el.get("id")
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            node = ref.text.strip()
            el = root.find(f".//*[@id='{node}']")
            if el.get("attachedToRef"):
                continue  # on its activity's bottom edge, which is inside the lane
            assert inside(shapes[node], shapes[lane.get("id")]), f"{node} outside {lane.get('id')}"
    # lanes are stacked without overlap, in the order of the laneSet
    for lane_set in root.iter(f"{{{BPMN_NS}}}laneSet"):
        rects = [shapes[lane.get("id")] for lane in lane_set.findall("bpmn:lane", NS)]
        for upper, lower in zip(rects, rects[1:]):
            assert upper[1] + upper[3] == lower[1]


@pytest.mark.parametrize("name", CASES)
def test_flows_are_orthogonal_and_join_the_borders_of_their_shapes(laid_out, name):
    root = etree.fromstring(laid_out[name])
    elements = model(root)
    for plane in planes(root):
        shapes = {s.get("bpmnElement"): bounds(s) for s in plane.findall("bpmndi:BPMNShape", NS)}
        nodes_ = {i: r for i, r in shapes.items()
                  if etree.QName(elements[i]).localname in bpmn_layout.FLOW_NODES}
        for edge in plane.findall("bpmndi:BPMNEdge", NS):
            el = elements[edge.get("bpmnElement")]
            points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
            assert len(points) >= 2
            src, tgt = el.get("sourceRef"), el.get("targetRef")
            if etree.QName(el).localname == "dataInputAssociation":
                src = el.find("bpmn:sourceRef", NS).text
                tgt = el.getparent().get("id")
            if src in shapes:
                assert on_border(points[0], shapes[src]), f"{el.get('id')} starts at {points[0]}, not on {src}"
            if tgt in shapes:
                assert on_border(points[-1], shapes[tgt]), f"{el.get('id')} ends at {points[-1]}, not on {tgt}"
            if etree.QName(el).localname != "sequenceFlow":
                continue
            for p, q in zip(points, points[1:]):
                assert p[0] == q[0] or p[1] == q[1], f"{el.get('id')} has a slanted segment {p}-{q}"
                for other, rect in nodes_.items():
                    if other in (src, tgt) or elements[other].get("attachedToRef") in (src, tgt):
                        continue
                    assert not segment_enters(p, q, rect), f"{el.get('id')} crosses {other}"


@pytest.mark.parametrize("name", CASES)
def test_result_passes_the_xsd(laid_out, name):
    root = etree.fromstring(laid_out[name])
    VALIDATOR.preprocess(root)
    schema = VALIDATOR.validator
    assert schema.validate(root), [e.message for e in schema.error_log]


@pytest.mark.parametrize("name", CASES)
def test_model_text_is_kept_byte_for_byte(laid_out, name):
    def without_di(text: str) -> str:
        text = re.sub(r"\n\s*xmlns:(bpmndi|dc|di)=\"[^\"]*\"", "", text)
        return re.sub(r"  <bpmndi:BPMNDiagram .*?</bpmndi:BPMNDiagram>\n", "", text, flags=re.S)

    before, after = CASES[name].decode(), laid_out[name].decode()
    assert without_di(after) == without_di(before)
    assert after.split("\n", 1)[0] == before.split("\n", 1)[0]  # the XML declaration as it was


def test_back_edges_run_above_or_below_the_row(laid_out):
    root = etree.fromstring(laid_out["loop"])
    shapes = {s.get("bpmnElement"): bounds(s) for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    edge = root.find(".//bpmndi:BPMNEdge[@bpmnElement='flow_gw_ok_draft']", NS)
    ys = [float(p.get("y")) for p in edge.findall("di:waypoint", NS)]
    top = min(shapes[n][1] for n in ("draft", "review", "gw_ok"))
    assert min(ys) < top  # over the row, entering the target from above
    # ranks ignore the loop: draft, review, gateway, publish, end from left to right
    xs = [shapes[n][0] for n in ("start", "draft", "review", "gw_ok", "publish", "end")]
    assert xs == sorted(xs)


def test_boundary_events_sit_on_the_bottom_edge(laid_out):
    root = etree.fromstring(laid_out["boundary"])
    shapes = {s.get("bpmnElement"): bounds(s) for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    wx, wy, ww, wh = shapes["work"]
    centres = []
    for b in ("late", "very_late"):
        x, y, w, h = shapes[b]
        assert y + h / 2 == wy + wh and wx <= x + w / 2 <= wx + ww
        centres.append(x + w / 2)
    assert abs(centres[0] - centres[1]) >= 36  # spread, not stacked
    for flow, target in (("flow_late_chase", "chase"), ("flow_very_late_escalate", "escalate")):
        edge = root.find(f".//bpmndi:BPMNEdge[@bpmnElement='{flow}']", NS)
        (x1, y1), (x2, y2) = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)][:2]
        assert x1 == x2 and y2 > y1  # leaves downwards
        assert shapes[target][0] > wx  # to the right


def test_gateway_fan_out_stacks_targets_without_overlap(laid_out):
    root = etree.fromstring(laid_out["fan_out"])
    shapes = {s.get("bpmnElement"): bounds(s) for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    xs = {shapes[n][0] for n in ("a", "b", "c")}
    ys = sorted(shapes[n][1] for n in ("a", "b", "c"))
    assert len(xs) == 1  # same rank
    assert all(b - a >= 80 for a, b in zip(ys, ys[1:]))
    labels = root.findall(".//bpmndi:BPMNEdge/bpmndi:BPMNLabel/dc:Bounds", NS)
    assert len(labels) == 4  # one per named flow
    rects = [tuple(float(b.get(k)) for k in ("x", "y", "width", "height")) for b in labels]
    assert not any(overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1:])


def test_sub_process_is_collapsed_with_a_plane_of_its_own(laid_out):
    root = etree.fromstring(laid_out["call_activity"])
    sub_shape = root.find(".//bpmndi:BPMNShape[@bpmnElement='sub']", NS)
    assert sub_shape.get("isExpanded") == "false"
    sub_plane = root.find(".//bpmndi:BPMNPlane[@bpmnElement='sub']", NS)
    assert {s.get("bpmnElement") for s in sub_plane} == {"sub_start", "sub_task", "sub_end", "sub_f1", "sub_f2"}
    call = bounds(root.find(".//bpmndi:BPMNShape[@bpmnElement='run_assessment']", NS))
    assert call[2:] == (100, 80)


def test_artifacts_sit_above_their_element(laid_out):
    root = etree.fromstring(laid_out["artifacts"])
    shapes = {s.get("bpmnElement"): bounds(s) for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    assert shapes["note"][1] + shapes["note"][3] < shapes["record"][1]
    assert shapes["visit_note"][1] + shapes["visit_note"][3] < shapes["store"][1]
    assert "loose_note" in shapes


def _without_di(source: bytes) -> bytes:
    """The shipped diagram as it was written by hand: the model without its layout."""
    return re.sub(rb"\s*<bpmndi:BPMNDiagram .*</bpmndi:BPMNDiagram>", b"", source, flags=re.S)


def test_shipped_diagrams_have_complete_layout():
    diagrams = sorted((REPO / "processes").glob("*/*.bpmn"))
    assert diagrams and main(["--check", *map(str, diagrams)]) == 0


def test_check_fails_before_and_passes_after(tmp_path, capsys):
    path = tmp_path / "front_door.bpmn"
    bare = _without_di(FRONT_DOOR.read_bytes())
    assert b"BPMNDiagram" not in bare
    path.write_bytes(bare)
    assert main(["--check", str(path)]) == 1
    assert "DI missing or incomplete" in capsys.readouterr().out
    assert path.read_bytes() == bare  # --check writes nothing
    assert main([str(path)]) == 0
    assert main(["--check", str(path)]) == 0


def test_second_run_changes_nothing(tmp_path, capsys):
    path = tmp_path / "front_door.bpmn"
    path.write_bytes(FRONT_DOOR.read_bytes())
    main([str(path)])
    first = path.read_bytes()
    main([str(path)])
    assert "left alone" in capsys.readouterr().out
    assert path.read_bytes() == first
    main(["--force", str(path)])
    assert path.read_bytes() == first  # a new layout replaces the old one: same bytes
    assert first.count(b"<bpmndi:BPMNDiagram ") == 1


def test_incomplete_di_is_reported_and_replaced(tmp_path, capsys):
    path = tmp_path / "loop.bpmn"
    path.write_bytes(layout_bytes(LOOP.encode()))
    complete = path.read_bytes()
    text = complete.decode()
    # drop one shape and point an edge at a missing element
    text = re.sub(r'\s*<bpmndi:BPMNShape id="fix_di".*?</bpmndi:BPMNShape>', "", text, flags=re.S)
    text = text.replace('bpmnElement="flow_fix_review"', 'bpmnElement="flow_gone"')
    path.write_text(text)
    assert main(["--check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "userTask fix has no shape or edge" in out
    assert "refers to missing element 'flow_gone'" in out
    assert main([str(path)]) == 0
    assert path.read_bytes() == complete


def test_crlf_bom_and_other_prefixes_are_kept(tmp_path):
    text = LOOP.replace('xmlns:xsi=', 'xmlns:di="urn:something-else"\n                  xmlns:xsi=')
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    out = layout_bytes(data)
    assert out.startswith(b"\xef\xbb\xbf<?xml")
    assert b"\n" not in out.replace(b"\r\n", b"")
    root = etree.fromstring(out)
    assert root.nsmap["di"] == "urn:something-else"
    assert root.nsmap["di2"] == DI_NS
    assert di_problems(root) == []


def test_not_bpmn_is_refused(tmp_path, capsys):
    path = tmp_path / "x.bpmn"
    path.write_text("<notbpmn/>")
    assert main([str(path)]) == 2
    assert "not a BPMN file" in capsys.readouterr().err
    path.write_text('<!DOCTYPE x [<!ENTITY a "b">]><x/>')
    assert main(["--check", str(path)]) == 2



def test_pathways_check_finds_nothing_new_after_layout(tmp_path):
    """``pathways check`` on a laid-out copy of the front door reports what it reports on the original."""
    from engine.validation import check_paths

    def problems(root: Path) -> list[tuple]:
        found = check_paths([str(root / "processes" / "front_door"), str(root / "forms")])
        return [(Path(p.file).name, p.element_id, p.message) for p in found]

    original, laid = tmp_path / "original", tmp_path / "laid"
    for root in (original, laid):
        (root / "processes").mkdir(parents=True)
        shutil.copytree(REPO / "processes" / "front_door", root / "processes" / "front_door")
        shutil.copy(REPO / "processes" / "roles.yaml", root / "processes" / "roles.yaml")
        shutil.copytree(REPO / "forms", root / "forms")
    path = laid / "processes" / "front_door" / "front_door.bpmn"
    path.write_bytes(FRONT_DOOR.read_bytes())
    (original / "processes" / "front_door" / "front_door.bpmn").write_bytes(FRONT_DOOR.read_bytes())
    assert main([str(path)]) == 0
    assert b"<bpmndi:BPMNDiagram" in path.read_bytes()
    assert problems(laid) == problems(original)
