"""Reading the BPMN of one process or sub-process: nodes, flows, boundary events, artifacts."""
from __future__ import annotations

from .common import (
    ANNOTATION_WIDTH, DATA_OBJECT_SIZE, DATA_REFS, DATA_STORE_SIZE, EVENTS, EVENT_SIZE, FLOW_NODES, GATEWAYS,
    GATEWAY_SIZE, SUBPROCESSES, TASKS, TASK_SIZE, Edge, Node, _children, _even, _is_bpmn, _local, label_size,
    wrap,
)
from .ranks import RanksMixin
from .routing import RoutingMixin
from .labels import LabelsMixin


def _node_for(el) -> Node:
    local = _local(el)
    name = (el.get("name") or "").strip()
    if local in TASKS or local in SUBPROCESSES:
        node = Node(el.get("id"), el, "task", *TASK_SIZE, name=name)
        if local in SUBPROCESSES:
            node.attrs["isExpanded"] = "false"
        return node
    if local in EVENTS:
        node = Node(el.get("id"), el, "event", *EVENT_SIZE, name=name)
    elif local in GATEWAYS:
        node = Node(el.get("id"), el, "gateway", *GATEWAY_SIZE, name=name)
        if local == "exclusiveGateway":
            node.attrs["isMarkerVisible"] = "true"
    elif local == "dataObjectReference":
        node = Node(el.get("id"), el, "data", *DATA_OBJECT_SIZE, name=name)
    elif local == "dataStoreReference":
        node = Node(el.get("id"), el, "data", *DATA_STORE_SIZE, name=name)
    else:  # textAnnotation
        text = "".join(t.text or "" for t in _children(el, {"text"}))
        lines = wrap(text, ANNOTATION_WIDTH - 10, 12) if text.strip() else [""]
        return Node(el.get("id"), el, "annotation", ANNOTATION_WIDTH, max(30, _even(len(lines) * 15 + 10)))
    if name:
        node.label = label_size(name)
    return node


class ContainerLayout(RanksMixin, RoutingMixin, LabelsMixin):
    """Lays out the flow elements of one process or sub-process in local coordinates.

    x = 0 is the left edge of the content (the lane strips are to its left), y = 0 the top of the
    first lane. ``translate`` moves everything once the container's place is known.
    """

    def __init__(self, container):
        self.container = container
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.assocs: list[tuple[str, object, str, str]] = []  # (id, el, source id, target id)
        self.extra_edges: dict[str, list] = {}                 # id -> points (associations)
        self.lanes: list = []          # leaf lanes in order (None: the nodes in no lane)
        self.lane_tree: list = []      # (lane element, depth, first band, last band)
        self.lane_depth = 0
        self.subprocesses: list = []
        self.width = 0
        self.height = 0
        self.band_y: list[tuple[int, int]] = []

    # -- collecting --

    def _collect(self) -> None:
        order = []
        for el in self.container:
            if _is_bpmn(el, FLOW_NODES | DATA_REFS | {"textAnnotation"}) and el.get("id"):
                node = _node_for(el)
                self.nodes[node.id] = node
                order.append(node)
                if _local(el) in SUBPROCESSES:
                    self.subprocesses.append(el)
        self.doc_order = {n.id: i for i, n in enumerate(order)}
        for node in order:
            if _local(node.el) == "boundaryEvent":
                host = self.nodes.get(node.el.get("attachedToRef"))
                if host is not None and host.kind == "task":
                    node.host = host
                    host.boundaries.append(node)
        for el in _children(self.container, {"sequenceFlow"}):
            src, tgt = self.nodes.get(el.get("sourceRef")), self.nodes.get(el.get("targetRef"))
            if el.get("id") and src is not None and tgt is not None and \
                    src.kind not in ("data", "annotation") and tgt.kind not in ("data", "annotation"):
                self._add_edge(el, src, tgt)
        for el in _children(self.container, {"association"}):
            if el.get("id"):
                src, tgt = el.get("sourceRef"), el.get("targetRef")
                s, t = self.nodes.get(src), self.nodes.get(tgt)
                # compensation: an association from a boundary event to its handler is laid out like a flow
                if s is not None and s.host is not None and t is not None and t.kind == "task":
                    self._add_edge(el, s, t)
                else:
                    self.assocs.append((el.get("id"), el, src, tgt))
        # data associations live inside their activity
        for node in order:
            if node.kind != "task":
                continue
            for el in _children(node.el, {"dataInputAssociation", "dataOutputAssociation"}):
                refs = [r.text.strip() for r in _children(el, {"sourceRef"}) if r.text]
                target = [r.text.strip() for r in _children(el, {"targetRef"}) if r.text]
                if not el.get("id"):
                    continue
                if _local(el) == "dataInputAssociation" and refs:
                    self.assocs.append((el.get("id"), el, refs[0], node.id))
                elif _local(el) == "dataOutputAssociation" and target:
                    self.assocs.append((el.get("id"), el, node.id, target[0]))

    def _add_edge(self, el, src: Node, tgt: Node) -> None:
        lsrc = src.host or src
        ltgt = tgt.host or tgt
        self.edges.append(Edge(el.get("id"), el, src, tgt, lsrc, ltgt, boundary=src if src.host else None))

    @property
    def flow_nodes(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind in ("task", "event", "gateway") and n.host is None]

    # -- driver --

    def run(self) -> "ContainerLayout":
        self._collect()
        for e in self.edges:
            name = (e.el.get("name") or "").strip()
            if name and _local(e.el) == "sequenceFlow":
                e.label = label_size(name)
        self._rank()
        self._lanes()
        self._slots()
        self._routes()
        self._rows()
        self._tracks()
        self._columns()
        self._materialize()
        self._labels()
        return self

    def translate(self, dx: int, dy: int) -> None:
        for node in self.nodes.values():
            node.cx += dx
            node.cy += dy
            if node.label_rect:
                x, y, w, h = node.label_rect
                node.label_rect = (x + dx, y + dy, w, h)
        for e in self.edges:
            e.points = [(x + dx, y + dy) for x, y in e.points]
            if e.label_rect:
                x, y, w, h = e.label_rect
                e.label_rect = (x + dx, y + dy, w, h)
        for key, pts in self.extra_edges.items():
            self.extra_edges[key] = [(x + dx, y + dy) for x, y in pts]
        self.band_y = [(y + dy, h) for y, h in self.band_y]
