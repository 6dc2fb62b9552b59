"""The whole file's layout and the bpmndi elements it writes; ``di_problems`` (--check)."""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from .common import (
    BPMNDI_NS, DATA_REFS, DC_NS, DI_NS, FLOW_NODES, ORIGIN, POOL_GAP, POOL_STRIP, _children, _is_bpmn,
    _local, _simplify,
)
from .model import ContainerLayout, _node_for


# --- the whole file ----------------------------------------------------------------------------------

@dataclass
class Plane:
    id: str
    element: str
    items: list = field(default_factory=list)   # ("shape"|"edge", element id, payload)


class FileLayout:
    """Lays out every process of a definitions element; ``planes`` is the DI to write."""

    def __init__(self, root):
        self.root = root
        self.ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")
                    and etree.QName(el).namespace not in (BPMNDI_NS, DC_NS, DI_NS)}
        self.planes: list[Plane] = []
        self.used_ids: set[str] = set()

    def _new_id(self, base: str) -> str:
        candidate, n = base, 1
        while candidate in self.ids or candidate in self.used_ids:
            n += 1
            candidate = f"{base}_{n}"
        self.used_ids.add(candidate)
        return candidate

    def _shape(self, plane: Plane, element_id: str, rect, attrs=None, label=None) -> None:
        plane.items.append(("shape", element_id, (tuple(int(v) for v in rect), attrs or {}, label)))

    def _edge(self, plane: Plane, element_id: str, points, label=None) -> None:
        plane.items.append(("edge", element_id, ([(int(x), int(y)) for x, y in points], label)))

    def run(self) -> "FileLayout":
        processes = {p.get("id"): p for p in _children(self.root, {"process"})}
        in_pool: set[str] = set()
        sub_queue: list = []
        for collab in _children(self.root, {"collaboration"}):
            if not collab.get("id"):
                continue
            plane = Plane(self._new_id(f"BPMNPlane_{collab.get('id')}"), collab.get("id"))
            self.planes.append(plane)
            x0, y = ORIGIN
            pools = []
            for participant in _children(collab, {"participant"}):
                process = processes.get(participant.get("processRef"))
                layout = ContainerLayout(process).run() if process is not None else None
                if process is not None:
                    in_pool.add(process.get("id"))
                    sub_queue += layout.subprocesses
                pools.append((participant, layout))
            width = max([POOL_STRIP + POOL_STRIP * l.lane_depth + l.width for _p, l in pools if l] + [600])
            for participant, layout in pools:
                if layout is None:
                    self._shape(plane, participant.get("id"), (x0, y, width, 100), {"isHorizontal": "true"})
                    y += 100 + POOL_GAP
                    continue
                # stretch the content to the common pool width
                content_x = x0 + POOL_STRIP + POOL_STRIP * layout.lane_depth
                layout.translate(content_x, y)
                self._shape(plane, participant.get("id"), (x0, y, width, layout.height), {"isHorizontal": "true"})
                self._emit_container(plane, layout, x0 + POOL_STRIP, x0 + width)
                y += layout.height + POOL_GAP
            self._message_flows(plane, collab)
            self._collab_artifacts(plane, collab, x0 + width + 40, ORIGIN[1])
        for pid, process in processes.items():
            if pid in in_pool or not pid:
                continue
            plane = Plane(self._new_id(f"BPMNPlane_{pid}"), pid)
            self.planes.append(plane)
            layout = ContainerLayout(process).run()
            sub_queue += layout.subprocesses
            layout.translate(ORIGIN[0] + POOL_STRIP * layout.lane_depth, ORIGIN[1])
            self._emit_container(plane, layout, ORIGIN[0], ORIGIN[0] + POOL_STRIP * layout.lane_depth + layout.width)
        while sub_queue:
            sub = sub_queue.pop(0)
            plane = Plane(self._new_id(f"BPMNPlane_{sub.get('id')}"), sub.get("id"))
            self.planes.append(plane)
            layout = ContainerLayout(sub).run()
            sub_queue += layout.subprocesses
            layout.translate(ORIGIN[0] + POOL_STRIP * layout.lane_depth, ORIGIN[1])
            self._emit_container(plane, layout, ORIGIN[0], ORIGIN[0] + POOL_STRIP * layout.lane_depth + layout.width)
        return self

    def _emit_container(self, plane: Plane, layout: ContainerLayout, lanes_x: int, right: int) -> None:
        for lane, depth, first, last in layout.lane_tree:
            top = layout.band_y[first][0]
            bottom = layout.band_y[last][0] + layout.band_y[last][1]
            x = lanes_x + POOL_STRIP * depth
            self._shape(plane, lane.get("id"), (x, top, right - x, bottom - top), {"isHorizontal": "true"})
        for node in sorted(layout.nodes.values(), key=lambda n: (n.host is not None, layout.doc_order[n.id])):
            label = node.label_rect if node.label else None
            self._shape(plane, node.id, node.rect, node.attrs, label)
        for e in layout.edges:
            self._edge(plane, e.id, e.points, e.label_rect if e.label else None)
        for id_, pts in layout.extra_edges.items():
            self._edge(plane, id_, pts)

    def _message_flows(self, plane: Plane, collab) -> None:
        shapes = {element_id: payload[0] for kind, element_id, payload in plane.items if kind == "shape"}
        for flow in _children(collab, {"messageFlow"}):
            s, t = shapes.get(flow.get("sourceRef")), shapes.get(flow.get("targetRef"))
            if not flow.get("id") or s is None or t is None:
                continue
            sx, sy, sw, sh = s
            tx, ty, tw, th = t
            scx, tcx = sx + sw // 2, tx + tw // 2
            if sy + sh <= ty:
                start, end = (scx, sy + sh), (tcx, ty)
            elif ty + th <= sy:
                start, end = (scx, sy), (tcx, ty + th)
            else:
                start, end = (sx + sw, sy + sh // 2), (tx, ty + th // 2)
                self._edge(plane, flow.get("id"), [start, end])
                continue
            mid = (start[1] + end[1]) // 2
            self._edge(plane, flow.get("id"), _simplify([start, (start[0], mid), (end[0], mid), end]))

    def _collab_artifacts(self, plane: Plane, collab, x: int, y: int) -> None:
        shapes = {element_id: payload[0] for kind, element_id, payload in plane.items if kind == "shape"}
        for el in _children(collab, {"textAnnotation"}):
            node = _node_for(el)
            rect = (x, y, node.w, node.h)
            self._shape(plane, node.id, rect)
            shapes[node.id] = rect
            y += node.h + 20
        for el in _children(collab, {"association"}):
            s, t = shapes.get(el.get("sourceRef")), shapes.get(el.get("targetRef"))
            if el.get("id") and s is not None and t is not None:
                self._edge(plane, el.get("id"), [(s[0] + s[2], s[1] + s[3] // 2), (t[0], t[1] + t[3] // 2)])

    # -- writing --

    def di_text(self, prefixes: dict[str, str], indent: str, newline: str = "\n") -> str:
        bpmndi, dc, di = prefixes[BPMNDI_NS], prefixes[DC_NS], prefixes[DI_NS]
        out: list[str] = []

        def line(level: int, text: str) -> None:
            out.append(indent * level + text)

        def bounds(level, rect):
            x, y, w, h = rect
            line(level, f'<{dc}:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/>')

        for plane in self.planes:
            diagram_id = self._new_id("BPMNDiagram_" + plane.element)
            line(1, f'<{bpmndi}:BPMNDiagram id="{diagram_id}">')
            line(2, f'<{bpmndi}:BPMNPlane id="{plane.id}" bpmnElement="{plane.element}">')
            for kind, element_id, payload in plane.items:
                di_id = self._new_id(f"{element_id}_di")
                if kind == "shape":
                    rect, attrs, label = payload
                    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
                    line(3, f'<{bpmndi}:BPMNShape id="{di_id}" bpmnElement="{element_id}"{extra}>')
                    bounds(4, rect)
                else:
                    points, label = payload
                    line(3, f'<{bpmndi}:BPMNEdge id="{di_id}" bpmnElement="{element_id}">')
                    for x, y in points:
                        line(4, f'<{di}:waypoint x="{x}" y="{y}"/>')
                if label:
                    line(4, f"<{bpmndi}:BPMNLabel>")
                    bounds(5, tuple(int(v) for v in label))
                    line(4, f"</{bpmndi}:BPMNLabel>")
                line(3, f"</{bpmndi}:{'BPMNShape' if kind == 'shape' else 'BPMNEdge'}>")
            line(2, f"</{bpmndi}:BPMNPlane>")
            line(1, f"</{bpmndi}:BPMNDiagram>")
        return newline.join(out) + newline


# --- checking ----------------------------------------------------------------------------------------

def required_elements(root) -> dict[str, str]:
    """id -> local name of every element that needs a shape or an edge."""
    wanted = FLOW_NODES | DATA_REFS | {"participant", "lane", "sequenceFlow", "messageFlow", "association",
                                       "textAnnotation", "dataInputAssociation", "dataOutputAssociation"}
    found = {}
    for el in root.iter():
        if _is_bpmn(el, wanted) and el.get("id"):
            found[el.get("id")] = _local(el)
    return found


def di_problems(root) -> list[str]:
    """What is missing or wrong in the DI of a definitions element ([] when complete)."""
    model_ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")
                 and etree.QName(el).namespace not in (BPMNDI_NS, DC_NS, DI_NS)}
    diagrams = [el for el in root if isinstance(el.tag, str)
                and etree.QName(el) == etree.QName(BPMNDI_NS, "BPMNDiagram")]
    if not diagrams:
        return ["no diagram layout (bpmndi:BPMNDiagram)"]
    problems = []
    refs: dict[str, int] = {}
    for diagram in diagrams:
        for plane in diagram.iter(f"{{{BPMNDI_NS}}}BPMNPlane"):
            ref = plane.get("bpmnElement")
            if ref not in model_ids:
                problems.append(f"plane {plane.get('id')} refers to missing element {ref!r}")
        for el in diagram.iter(f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge"):
            ref = el.get("bpmnElement")
            what = _local(el)[4:].lower()
            if ref not in model_ids:
                problems.append(f"{what} {el.get('id')} refers to missing element {ref!r}")
                continue
            refs[ref] = refs.get(ref, 0) + 1
            if what == "shape" and el.find(f"{{{DC_NS}}}Bounds") is None:
                problems.append(f"shape {el.get('id')} has no bounds")
            if what == "edge" and len(el.findall(f"{{{DI_NS}}}waypoint")) < 2:
                problems.append(f"edge {el.get('id')} has fewer than 2 waypoints")
    for element_id, local in required_elements(root).items():
        n = refs.get(element_id, 0)
        if n == 0:
            problems.append(f"{local} {element_id} has no shape or edge")
        elif n > 1:
            problems.append(f"{local} {element_id} has {n} shapes or edges")
    return problems
