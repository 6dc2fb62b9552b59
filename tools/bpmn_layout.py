"""Add a readable diagram layout (BPMN DI) to hand-written BPMN files.

    python -m tools.bpmn_layout FILE.bpmn [FILE...]           lay out files without (complete) DI
    python -m tools.bpmn_layout --force FILE.bpmn [FILE...]   replace the DI of every file
    python -m tools.bpmn_layout --check FILE.bpmn [FILE...]   exit 1, listing files whose DI is missing
                                                              or incomplete; writes nothing

Without ``--force`` a file whose DI is already complete is left alone; a file with no DI or an
incomplete one (an element without a shape or edge, a shape naming a missing element...) gets a
new layout of every diagram in it.

The rest of the file is kept byte for byte: the new ``bpmndi:BPMNDiagram`` text is inserted before
``</bpmn:definitions>`` (an old one is cut out), and the three DI namespaces are added to the root
start tag next to its other namespace declarations. The result is checked by parsing it again;
should the splice ever change the model, the whole tree is written by lxml instead.

Layout rules (see tools/README.md):

- each process in a pool when a collaboration participant refers to it; lanes are horizontal
  bands in laneSet order, as high as their content; a sub-process is drawn collapsed with its
  content on a plane of its own (bpmn-js drill-down);
- flow nodes go left to right by rank: the longest path from a start event over sequence flows,
  ignoring the back edges a depth-first search finds (loops do not stretch the layout); nodes of
  one rank in one lane are stacked in rows, a node preferring the row of its predecessor;
- boundary events sit on the bottom edge of their activity; their flows go down, then right;
- sequence flows are orthogonal; a flow spanning several ranks is given a free cell in each rank
  it crosses, bends happen in the gaps between columns on tracks that do not overlap; a gateway
  sends flows to other rows from its top or bottom corner; loops run in a corridor above the row
  (below it for boundary events) and enter their target from the top;
- labels of events, gateways and named flows are placed where they hit the fewest shapes, labels
  and lines (below an event or gateway by default);
- text annotations and data objects sit above the element they are associated with.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"

TASKS = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
         "businessRuleTask", "callActivity"}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
          "implicitThrowEvent"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = TASKS | SUBPROCESSES | EVENTS | GATEWAYS
DATA_REFS = {"dataObjectReference", "dataStoreReference"}

# Geometry (pixels). Every size is even so that centres and border midpoints are integers.
TASK_SIZE = (100, 80)
EVENT_SIZE = (36, 36)
GATEWAY_SIZE = (50, 50)
DATA_OBJECT_SIZE = (36, 50)
DATA_STORE_SIZE = (50, 50)
ANNOTATION_WIDTH = 100
POOL_STRIP = 30        # the label column of a pool, and of each lane level
ROW_PAD = 16           # free space above and below the content of a row
BAND_PAD = 8           # free space at the top and bottom of a lane
MIN_LANE = 120
MIN_HALF_COLUMN = 50   # a column is at least a task wide
GAP = 60               # between columns
NAMED_GAP = 90         # after a column that a named flow leaves from
EDGE_GAP = 30          # before the first column and after the last
TRACK = 12             # between parallel vertical lines in a gap, or corridors
LABEL_WRAP = 90        # bpmn-js wraps external labels at this width
LABEL_LINE = 14
POOL_GAP = 40
ORIGIN = (160, 80)

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class LayoutError(Exception):
    """The file cannot be laid out (not BPMN, not well-formed...)."""


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _is_bpmn(el, names) -> bool:
    if not isinstance(el.tag, str):
        return False
    qname = etree.QName(el)
    return qname.namespace == BPMN_NS and qname.localname in names


def _children(el, names):
    return [c for c in el if _is_bpmn(c, names)]


# --- text measurement ----------------------------------------------------------------------------

def _char_width(ch: str) -> float:
    if ch == " ":
        return 0.28
    if ch in "iljI.,;:'!|":
        return 0.25
    if ch in "ftr()-/":
        return 0.36
    if ch in "mwMW":
        return 0.85
    if ch.isupper():
        return 0.68
    return 0.55


def text_width(text: str, size: int = 11) -> float:
    return sum(_char_width(ch) for ch in text) * size


def wrap(text: str, width: float = LABEL_WRAP, size: int = 11) -> list[str]:
    """Greedy word wrap, roughly as bpmn-js's text renderer does it."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return [line for line in lines if line] or [""]


def label_size(text: str) -> tuple[int, int]:
    lines = wrap(text)
    width = min(LABEL_WRAP, max(text_width(line) for line in lines) + 4)
    return _even(width), _even(len(lines) * LABEL_LINE)


def _even(value: float) -> int:
    value = int(round(value))
    return value + (value % 2)


# --- geometry helpers ----------------------------------------------------------------------------

def _rects_overlap(a, b, margin: float = 0) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw + margin and bx < ax + aw + margin and ay < by + bh + margin and by < ay + ah + margin


def _segment_hits_rect(p, q, rect) -> bool:
    x, y, w, h = rect
    (x1, y1), (x2, y2) = p, q
    if x1 == x2:
        return x < x1 < x + w and min(y1, y2) < y + h and max(y1, y2) > y
    if y1 == y2:
        return y < y1 < y + h and min(x1, x2) < x + w and max(x1, x2) > x
    # a diagonal (association): sample it
    for i in range(1, 20):
        px, py = x1 + (x2 - x1) * i / 20, y1 + (y2 - y1) * i / 20
        if x < px < x + w and y < py < y + h:
            return True
    return False


def _simplify(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop repeated points and middle points of straight runs."""
    out: list[tuple[int, int]] = []
    for p in points:
        if out and out[-1] == p:
            continue
        if len(out) >= 2:
            (ax, ay), (bx, by) = out[-2], out[-1]
            if (ax == bx == p[0] and (by - ay) * (p[1] - by) >= 0) or \
                    (ay == by == p[1] and (bx - ax) * (p[0] - bx) >= 0):
                out[-1] = p
                continue
        out.append(p)
    if len(out) == 1:
        out.append(out[0])
    return out


# --- the layout of one process or sub-process ------------------------------------------------------

@dataclass(eq=False)
class Node:
    id: str
    el: object
    kind: str            # task | event | gateway | data | annotation
    w: int
    h: int
    name: str = ""
    band: int = 0
    rank: int = 0
    slot: int = 0
    row: int = 0
    order: int = 0
    host: "Node | None" = None
    boundaries: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    anchor: "Node | None" = None
    cx: int = 0
    cy: int = 0
    label: tuple | None = None
    label_rect: tuple | None = None
    attrs: dict = field(default_factory=dict)

    @property
    def x(self) -> int:
        return self.cx - self.w // 2

    @property
    def y(self) -> int:
        return self.cy - self.h // 2

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


@dataclass(eq=False)
class Edge:
    id: str
    el: object
    src: Node
    tgt: Node
    lsrc: Node
    ltgt: Node
    boundary: Node | None = None
    back: bool = False
    exit: tuple = ("right",)
    chain: list = field(default_factory=list)
    spec: list = field(default_factory=list)
    points: list = field(default_factory=list)
    label: tuple | None = None
    label_rect: tuple | None = None


@dataclass
class GapSegment:
    gap: int
    key: tuple
    y1: object
    y2: object
    src_group: tuple | None
    tgt_group: tuple | None
    edge: "Edge | None" = None
    track: int = 0


def _boundary_offset(host: Node, i: int) -> int:
    """x of the i-th boundary event from the host's left edge: towards the right corner (clear of the
    centred name), several spread leftwards."""
    k = len(host.boundaries)
    right = host.w - 20
    if k == 1:
        return right
    step = min(40, (host.w - 40) // (k - 1))
    return _even(right - (k - 1 - i) * step)


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


class ContainerLayout:
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

    # -- ranking --

    def _rank(self) -> None:
        nodes = self.flow_nodes
        out: dict[Node, list[Edge]] = {n: [] for n in nodes}
        for e in sorted(self.edges, key=lambda e: (e.boundary is not None, self.doc_order.get(
                e.boundary.id if e.boundary else "", 0))):
            out[e.lsrc].append(e)
        incoming = {e.ltgt for e in self.edges}
        roots = [n for n in nodes if _local(n.el) == "startEvent"] + \
                [n for n in nodes if n not in incoming] + nodes
        state: dict[Node, int] = {}
        preorder = count()
        for root in roots:
            if root in state:
                continue
            state[root] = 1
            root.order = next(preorder)
            stack = [(root, iter(out[root]))]
            while stack:
                node, successors = stack[-1]
                for e in successors:
                    seen = state.get(e.ltgt, 0)
                    if seen == 1:
                        e.back = True
                    elif seen == 0:
                        state[e.ltgt] = 1
                        e.ltgt.order = next(preorder)
                        stack.append((e.ltgt, iter(out[e.ltgt])))
                        break
                else:
                    state[node] = 2
                    stack.pop()
        forward = [e for e in self.edges if not e.back]
        indegree = {n: 0 for n in nodes}
        for e in forward:
            indegree[e.ltgt] += 1
        ready = sorted((n for n in nodes if indegree[n] == 0), key=lambda n: n.order)
        while ready:
            node = ready.pop(0)
            for e in out[node]:
                if e.back:
                    continue
                e.ltgt.rank = max(e.ltgt.rank, node.rank + 1)
                indegree[e.ltgt] -= 1
                if indegree[e.ltgt] == 0:
                    ready.append(e.ltgt)
        self.max_rank = max((n.rank for n in nodes), default=-1)
        for b in (n for n in self.nodes.values() if n.host):
            b.rank, b.order = b.host.rank, b.host.order

    # -- lanes --

    def _lanes(self) -> None:
        lane_of: dict[str, int] = {}
        parent_refs: list[tuple[str, int]] = []

        def walk(lane_set, depth):
            for lane in _children(lane_set, {"lane"}):
                first = len(self.lanes)
                child_sets = _children(lane, {"childLaneSet"})
                entry = [lane, depth, first, first]
                self.lane_tree.append(entry)
                self.lane_depth = max(self.lane_depth, depth + 1)
                refs = [(r.text or "").strip() for r in _children(lane, {"flowNodeRef"})]
                if any(_children(cs, {"lane"}) for cs in child_sets):
                    for cs in child_sets:
                        walk(cs, depth + 1)
                    entry[3] = len(self.lanes) - 1
                    parent_refs.extend((ref, first) for ref in refs)  # unless a child lane lists it
                else:
                    self.lanes.append(lane)
                    for ref in refs:
                        lane_of[ref] = len(self.lanes) - 1

        for lane_set in _children(self.container, {"laneSet"}):
            walk(lane_set, 0)
        for ref, band in parent_refs:
            lane_of.setdefault(ref, band)
        loose = [n for n in self.nodes.values() if n.kind in ("task", "event", "gateway")
                 and n.id not in lane_of and n.host is None]
        loose_band = len(self.lanes)
        if not self.lanes or loose:
            # nodes in no lane get an unlabelled band: on top when a start event is among them
            if loose and any(_local(n.el) == "startEvent" for n in loose):
                loose_band = 0
                self.lanes.insert(0, None)
                lane_of = {key: band + 1 for key, band in lane_of.items()}
                for entry in self.lane_tree:
                    entry[2] += 1
                    entry[3] += 1
            else:
                self.lanes.append(None)
        for node in self.nodes.values():
            node.band = lane_of.get(node.id, loose_band)
        for node in self.nodes.values():
            if node.host:
                node.band = node.host.band

    # -- rows --

    def _place(self, band: int, rank: int, preferred: int) -> int:
        for distance in count():
            for slot in ((preferred,) if distance == 0 else (preferred + distance, preferred - distance)):
                if slot >= 0 and (band, slot, rank) not in self.cells:
                    return slot
        raise AssertionError("unreachable")

    def _slots(self) -> None:
        self.cells: dict[tuple[int, int, int], object] = {}
        incoming: dict[Node, list[Edge]] = {}
        for e in self.edges:
            if not e.back:
                incoming.setdefault(e.ltgt, []).append(e)
        # annotations and data objects: above the element they are associated with, else in a
        # column of their own after the last rank
        for _id, _el, src, tgt in self.assocs:
            s, t = self.nodes.get(src), self.nodes.get(tgt)
            for att, other in ((s, t), (t, s)):
                if att is not None and att.kind in ("data", "annotation") and att.anchor is None and \
                        other is not None and other.kind in ("task", "event", "gateway"):
                    att.anchor = other.host or other
                    att.anchor.attachments.append(att)
        loose = [n for n in self.nodes.values() if n.kind in ("data", "annotation") and n.anchor is None]
        for node in loose:
            node.rank, node.band, node.order = self.max_rank + 1, 0, 10 ** 6 + self.doc_order[node.id]
        placed: set[Node] = set()
        for node in sorted(self.flow_nodes + loose, key=lambda n: (n.rank, n.order)):
            preferred = 0
            preds = [e for e in incoming.get(node, []) if e.lsrc in placed]
            if preds:
                e = max(preds, key=lambda e: (e.lsrc.rank, -e.lsrc.order))
                if e.lsrc.band == node.band:
                    preferred = e.lsrc.slot + (1 if e.boundary else 0)
            node.slot = self._place(node.band, node.rank, preferred)
            self.cells[(node.band, node.slot, node.rank)] = node
            placed.add(node)
        # a flow spanning ranks gets a cell in every rank it crosses
        for e in sorted((e for e in self.edges if not e.back), key=lambda e: (e.lsrc.rank, e.lsrc.order, e.ltgt.order)):
            s, t = e.lsrc, e.ltgt
            if t.rank - s.rank <= 1:
                continue
            vertical_first = s.kind == "gateway" or e.boundary is not None
            if s.band == t.band:
                band, preferred = s.band, (t.slot if vertical_first else s.slot)
            elif vertical_first:
                band, preferred = t.band, t.slot
            else:
                band, preferred = s.band, s.slot
            for rank in range(s.rank + 1, t.rank):
                slot = self._place(band, rank, preferred)
                self.cells[(band, slot, rank)] = e
                e.chain.append((band, slot, rank))
                preferred = slot
        self.band_slots = [1] * len(self.lanes)
        for band, slot, _rank in self.cells:
            self.band_slots[band] = max(self.band_slots[band], slot + 1)
        self.band_first_row = []
        row = 0
        for slots in self.band_slots:
            self.band_first_row.append(row)
            row += slots
        self.n_rows = row
        self.node_at: dict[tuple[int, int], Node] = {}
        for node in self.nodes.values():
            if node.host is None and node.anchor is None:
                node.row = self.band_first_row[node.band] + node.slot
                self.node_at[(node.rank, node.row)] = node
        for node in self.nodes.values():
            if node.host is not None:
                node.row = node.host.row
            elif node.anchor is not None:
                node.row, node.rank = node.anchor.row, node.anchor.rank
        for e in self.edges:
            e.chain = [(rank, self.band_first_row[band] + slot) for band, slot, rank in e.chain]
        self.used_cells = set(self.node_at) | {cell for e in self.edges for cell in e.chain}

    # -- routes (symbolic) --

    def _column_free(self, rank: int, rows, turn: int) -> bool:
        """May a line run down column ``rank`` across ``rows`` (no node) and turn in row ``turn``
        (not even a long flow's cell there)?"""
        return all((rank, r) not in self.node_at for r in rows) and (rank, turn) not in self.used_cells

    def _routes(self) -> None:
        self.gap_segments: list[GapSegment] = []
        self.corridors: dict[tuple[int, str], list[tuple[float, float, Edge]]] = {}
        # boundary events along the bottom edge: those going deepest on the left
        for host in self.nodes.values():
            if host.boundaries:
                def depth(b):
                    targets = [e for e in self.edges if e.boundary is b and not e.back]
                    if not targets:
                        return 0
                    e = targets[0]
                    return (e.chain[0][1] if e.chain else e.ltgt.row) - host.row
                host.boundaries.sort(key=lambda b: (-depth(b), self.doc_order[b.id]))
        # a gateway corner carries flows in one direction only (else an incoming and an outgoing
        # line would overlap): loops claim the top corners first, then exits, then entries
        self.corner_use: dict[tuple[str, str], str] = {}
        for e in self.edges:
            if e.back and e.boundary is None:
                self.corner_use[(e.ltgt.id, "top")] = "in"
                if e.lsrc.row == e.ltgt.row:
                    self.corner_use.setdefault((e.lsrc.id, "top"), "out")
            elif e.back and e.lsrc.row == e.ltgt.row and e.lsrc is not e.ltgt and not e.ltgt.boundaries:
                self.corner_use[(e.ltgt.id, "bottom")] = "in"
        forward = [e for e in self.edges if not e.back]
        for e in forward:
            self._exit(e)
        for e in forward:
            self._route_forward(e)
        for e in self.edges:
            if e.back:
                self._route_back(e)
        # corridor tracks: shorter loops nearer the row
        self.corridor_count: dict[tuple[int, str], int] = {}
        self.corridor_track: dict[Edge, int] = {}
        for key, spans in self.corridors.items():
            tracks: list[list[tuple[float, float]]] = []
            for lo, hi, e in sorted(spans, key=lambda s: (s[1] - s[0], s[0])):
                for i, used in enumerate(tracks):
                    if all(hi < a or lo > b for a, b in used):
                        used.append((lo, hi))
                        self.corridor_track[e] = i
                        break
                else:
                    tracks.append([(lo, hi)])
                    self.corridor_track[e] = len(tracks) - 1
            self.corridor_count[key] = len(tracks)

    def _segment(self, gap, key, y1, y2, src_group=None, tgt_group=None, edge=None) -> tuple:
        self.gap_segments.append(GapSegment(gap, key, y1, y2, src_group, tgt_group, edge))
        return ("gap", gap, key)

    def _exit(self, e: Edge) -> None:
        """How a flow leaves its source: ("right",), ("corner", top|bottom, row), ("down", row) or
        ("elbow",) for a boundary event."""
        s = e.lsrc
        nxt = e.chain[0][1] if e.chain else e.ltgt.row
        e.exit = ("right",)
        if e.boundary is not None:
            ok = nxt > s.row and self._column_free(s.rank, range(s.row + 1, nxt + 1), nxt)
            e.exit = ("down", nxt) if ok else ("elbow",)
        elif s.kind == "gateway" and nxt != s.row:
            corner = "bottom" if nxt > s.row else "top"
            rows = range(s.row + 1, nxt + 1) if nxt > s.row else range(nxt, s.row)
            if self.corner_use.get((s.id, corner), "out") == "out" and self._column_free(s.rank, rows, nxt):
                self.corner_use[(s.id, corner)] = "out"
                e.exit = ("corner", corner, nxt)

    def _route_forward(self, e: Edge) -> None:
        s, t = e.lsrc, e.ltgt
        cells = [(s.rank, s.row)] + e.chain + [(t.rank, t.row)]
        levels: list[tuple] = [("row", row) for _rank, row in cells]
        cols = [rank for rank, _row in cells]
        if e.boundary is not None:
            b = e.boundary
            levels[0] = ("row", e.exit[1]) if e.exit[0] == "down" else ("elbow", b.id)
            points = [(("cx", b.id, 0), ("bottom", b.id)), (("cx", b.id, 0), levels[0])]
            start_id = b.id
        elif e.exit[0] == "corner":
            levels[0] = ("row", e.exit[2])
            points = [(("cx", s.id, 0), (e.exit[1], s.id)), (("cx", s.id, 0), levels[0])]
            start_id = s.id
        else:
            points = [(("right", s.id), ("cy", s.id))]
            start_id = s.id
        enter_vertical = False
        prev = levels[-2]
        if t.kind == "gateway" and prev[0] == "row" and prev[1] != t.row:
            between = range(prev[1], t.row) if prev[1] < t.row else range(t.row + 1, prev[1] + 1)
            corner = "top" if prev[1] < t.row else "bottom"
            if self.corner_use.get((t.id, corner), "in") == "in" and self._column_free(t.rank, between, prev[1]):
                self.corner_use[(t.id, corner)] = "in"
                levels[-1] = prev
                enter_vertical = True
        for i in range(1, len(levels)):
            if levels[i] != levels[i - 1]:
                last = i == len(levels) - 1 and not enter_vertical
                x = self._segment(cols[i - 1], (e.id, i), levels[i - 1], levels[i],
                                  src_group=(start_id, levels[0]) if i == 1 else None,
                                  tgt_group=("into", t.id) if last else None, edge=e)
                points += [(x, levels[i - 1]), (x, levels[i])]
        if enter_vertical:
            vertex = "top" if levels[-1][1] < t.row else "bottom"
            points += [(("cx", t.id, 0), levels[-1]), (("cx", t.id, 0), (vertex, t.id))]
        else:
            points.append((("left", t.id), ("cy", t.id)))
        e.spec = points

    def _route_back(self, e: Edge) -> None:
        s, t = e.lsrc, e.ltgt
        if e.boundary is not None:
            b = e.boundary
            key = (s.row, "bottom")
            corridor = ("cbot", s.row, e)
            self.corridors.setdefault(key, []).append((min(t.rank, s.rank) - 0.5, s.rank, e))
            points = [(("cx", b.id, 0), ("bottom", b.id)), (("cx", b.id, 0), corridor)]
            if t.row == s.row and t is not s and not t.boundaries:
                points += [(("cx", t.id, 0), corridor), (("cx", t.id, 0), ("bottom", t.id))]
            else:
                x = self._segment(t.rank - 1, (e.id, "back"), corridor, ("row", t.row), tgt_group=("into", t.id),
                                  edge=e)
                points += [(x, corridor), (x, ("row", t.row)), (("left", t.id), ("cy", t.id))]
        elif s.row == t.row:
            key = (s.row, "top")
            corridor = ("ctop", s.row, e)
            self.corridors.setdefault(key, []).append((t.rank, s.rank, e))
            dx = s.w // 4 if s is t else 0
            points = [(("cx", s.id, dx), ("top", s.id)), (("cx", s.id, dx), corridor),
                      (("cx", t.id, -dx), corridor), (("cx", t.id, -dx), ("top", t.id))]
        else:
            key = (t.row, "top")
            corridor = ("ctop", t.row, e)
            self.corridors.setdefault(key, []).append((t.rank, s.rank + 0.5, e))
            x = self._segment(s.rank, (e.id, "back"), ("row", s.row), corridor, src_group=(s.id, ("row", s.row)),
                              edge=e)
            points = [(("right", s.id), ("cy", s.id)), (x, ("row", s.row)), (x, corridor),
                      (("cx", t.id, 0), corridor), (("cx", t.id, 0), ("top", t.id))]
        e.spec = points

    # -- vertical placement --

    def _rows(self) -> None:
        up = [20] * self.n_rows
        down = [20] * self.n_rows
        attach = [0] * self.n_rows
        self.elbow: dict[str, int] = {}
        for node in self.nodes.values():
            if node.host is not None or node.anchor is not None:
                continue
            node_up = node_down = node.h // 2
            if node.label:
                node_down += node.label[1] + 6
                if node.kind == "gateway":
                    node_up += node.label[1] + 6
            if node.boundaries:
                tallest = max((b.label[1] for b in node.boundaries if b.label), default=0)
                node_down = node.h // 2 + EVENT_SIZE[1] // 2 + tallest + 14 + 10 * len(node.boundaries)
            if node.attachments:
                attach[node.row] = max(attach[node.row], max(a.h + (a.label[1] + 6 if a.label else 0)
                                                             for a in node.attachments) + 24)
            up[node.row] = max(up[node.row], node_up)
            down[node.row] = max(down[node.row], node_down)
        self.base_up, self.base_down = up, down
        heights, centers = [], []
        for r in range(self.n_rows):
            top = up[r] + ROW_PAD + attach[r]
            n_top = self.corridor_count.get((r, "top"), 0)
            n_bottom = self.corridor_count.get((r, "bottom"), 0)
            top += n_top * TRACK + (4 if n_top else 0)
            bottom = down[r] + ROW_PAD + n_bottom * TRACK + (4 if n_bottom else 0)
            heights.append((top, bottom))
        # bands: rows stacked, each lane at least tall enough for its name
        self.row_y = [0] * self.n_rows
        y = 0
        for band, lane in enumerate(self.lanes):
            first = self.band_first_row[band]
            rows = range(first, first + self.band_slots[band])
            content = sum(heights[r][0] + heights[r][1] for r in rows) + 2 * BAND_PAD
            name = (lane.get("name") or "") if lane is not None else ""
            need = max(MIN_LANE, _even(text_width(name, 12) + 30)) if lane is not None else 60
            height = max(content, need)
            cursor = y + BAND_PAD + (height - content) // 2
            for r in rows:
                cursor += heights[r][0]
                self.row_y[r] = cursor
                cursor += heights[r][1]
            self.band_y.append((y, height))
            y += height
        self.height = y
        for node in self.nodes.values():
            if node.host is None and node.anchor is None:
                node.cy = self.row_y[node.row]
        for host in self.nodes.values():
            for i, b in enumerate(host.boundaries):
                b.cy = host.cy + host.h // 2
                tallest = max((x.label[1] for x in host.boundaries if x.label), default=0)
                self.elbow[b.id] = b.cy + b.h // 2 + tallest + 14 + 10 * (len(host.boundaries) - 1 - i)
            if host.attachments:
                corridor_space = self.corridor_count.get((host.row, "top"), 0) * TRACK
                bottom = self.row_y[host.row] - self.base_up[host.row] - corridor_space - 16
                for a in host.attachments:
                    a.cy = bottom - (a.label[1] + 6 if a.label else 0) - a.h // 2

    def _y(self, spec) -> int:
        kind = spec[0]
        if kind == "num":
            return spec[1]
        if kind == "row":
            return self.row_y[spec[1]]
        if kind == "cy":
            return self.nodes[spec[1]].cy
        if kind == "top":
            return self.nodes[spec[1]].y
        if kind == "bottom":
            node = self.nodes[spec[1]]
            return node.y + node.h
        if kind == "elbow":
            return self.elbow[spec[1]]
        row, e = spec[1], spec[2]
        track = self.corridor_track[e]
        if kind == "ctop":
            return self.row_y[row] - self.base_up[row] - TRACK - TRACK * track
        return self.row_y[row] + self.base_down[row] + TRACK + TRACK * track

    # -- horizontal placement --

    def _tracks(self) -> None:
        """Give every vertical piece in a gap a track (x position).

        Pieces overlapping in y get different tracks unless they leave the same point or enter the
        same target (they then merge like a tree). A piece leaving the left column at height y
        gets a track left of any piece entering the right column at that height, so that their
        horizontal stubs do not overlap.
        """
        self.gap_tracks: dict[int, int] = {}
        by_gap: dict[int, list[GapSegment]] = {}
        for seg in self.gap_segments:
            by_gap.setdefault(seg.gap, []).append(seg)
        for gap, segs in by_gap.items():
            ys = {id(s): (self._y(s.y1), self._y(s.y2)) for s in segs}
            before = {id(s): [o for o in segs if o is not s and ys[id(o)][0] == ys[id(s)][1]
                              and not (o.tgt_group is not None and o.tgt_group == s.tgt_group)] for s in segs}
            pending = sorted(segs, key=lambda s: (min(ys[id(s)]), str(s.key)))
            done: list[tuple[int, int, GapSegment]] = []
            while pending:
                ready = [s for s in pending if all(o not in pending for o in before[id(s)])]
                if not ready:
                    # a cycle: flows swapping rows. One of them doglegs over two tracks.
                    self._dogleg(self._in_cycle(pending, before), segs, pending, before, ys)
                    continue
                seg = ready[0]
                pending.remove(seg)
                lo, hi = sorted(ys[id(seg)])
                track = max((o.track + 1 for o in before[id(seg)] if o not in pending), default=0)
                while not all(self._compatible(seg, lo, hi, o, a, b) for a, b, o in done if o.track == track):
                    track += 1
                seg.track = track
                done.append((lo, hi, seg))
            self.gap_tracks[gap] = max(s.track for s in segs) + 1

    @staticmethod
    def _in_cycle(pending, before):
        seg, seen = pending[0], []
        while seg not in seen:
            seen.append(seg)
            seg = next(o for o in before[id(seg)] if o in pending)
        return seg

    def _dogleg(self, seg, segs, pending, before, ys) -> None:
        """Split ``seg`` (vertical y1 -> y2) into y1 -> middle and middle -> y2 on two tracks."""
        y1, y2 = ys[id(seg)]
        middle = (y1 + y2) // 2
        first = GapSegment(seg.gap, seg.key + ("a",), seg.y1, ("num", middle), seg.src_group, None, seg.edge)
        second = GapSegment(seg.gap, seg.key + ("b",), ("num", middle), seg.y2, None, seg.tgt_group, seg.edge)
        self.gap_segments[self.gap_segments.index(seg):self.gap_segments.index(seg) + 1] = [first, second]
        x_old, x1, x2 = ("gap", seg.gap, seg.key), ("gap", seg.gap, first.key), ("gap", seg.gap, second.key)
        spec = seg.edge.spec
        i = next(i for i in range(len(spec) - 1) if spec[i][0] == x_old and spec[i + 1][0] == x_old)
        spec[i:i + 2] = [(x1, spec[i][1]), (x1, ("num", middle)), (x2, ("num", middle)), (x2, spec[i + 1][1])]
        for part in (first, second):
            segs.append(part)
            pending.append(part)
            ys[id(part)] = (self._y(part.y1), self._y(part.y2))
        segs.remove(seg)
        pending.remove(seg)
        # the halves meet at ``middle`` (first left of second); nothing else is there
        before[id(first)] = []
        before[id(second)] = [o for o in segs if o not in (first, second) and ys[id(o)][0] == y2
                              and not (o.tgt_group is not None and o.tgt_group == second.tgt_group)] + [first]
        for other in segs:
            if seg in before.get(id(other), []):
                before[id(other)] = [first if o is seg else o for o in before[id(other)]]

    @staticmethod
    def _compatible(seg, lo, hi, other, a, b) -> bool:
        if hi + 6 < a or lo - 6 > b:
            return True
        if seg.src_group is not None and seg.src_group == other.src_group:
            return True
        return seg.tgt_group is not None and seg.tgt_group == other.tgt_group

    def _columns(self) -> None:
        n_cols = max((n.rank for n in self.nodes.values()), default=0) + 1
        left = [MIN_HALF_COLUMN] * n_cols
        right = [MIN_HALF_COLUMN] * n_cols
        named_from = set()
        for e in self.edges:
            if e.label:
                named_from.add(e.lsrc.rank)
        for node in self.nodes.values():
            if node.host is not None:
                continue
            half = node.w // 2
            if node.label:
                half = max(half, node.label[0] // 2 + 2)
            if node.attachments:
                half = max(half, (sum(a.w for a in node.attachments) + 10 * (len(node.attachments) - 1)) // 2)
            left[node.rank] = max(left[node.rank], half)
            right[node.rank] = max(right[node.rank], half)
            for i, b in enumerate(node.boundaries):
                if b.label:
                    offset = -node.w // 2 + _boundary_offset(node, i)
                    right[node.rank] = max(right[node.rank], offset + 8 + b.label[0])
        self.col_x = []
        self.gap_left = {}
        self.gap_width = {}
        x = 0
        for gap in range(-1, n_cols):
            tracks = self.gap_tracks.get(gap, 0)
            base = EDGE_GAP if gap in (-1, n_cols - 1) else (NAMED_GAP if gap in named_from else GAP)
            width = max(base, 2 * 20 + (tracks - 1) * TRACK)
            self.gap_left[gap] = x
            self.gap_width[gap] = width
            x += width
            if gap + 1 < n_cols:
                self.col_x.append(x + left[gap + 1])
                x += left[gap + 1] + right[gap + 1]
        self.width = x
        for node in self.nodes.values():
            if node.host is None and node.anchor is None:
                node.cx = self.col_x[node.rank]
        for host in self.nodes.values():
            for i, b in enumerate(host.boundaries):
                b.cx = host.x + _boundary_offset(host, i)
            if host.attachments:
                total = sum(a.w for a in host.attachments) + 10 * (len(host.attachments) - 1)
                x = host.cx - total // 2
                for a in host.attachments:
                    a.cx = x + a.w // 2
                    x += a.w + 10

    def _x(self, spec) -> int:
        kind = spec[0]
        if kind == "cx":
            return self.nodes[spec[1]].cx + spec[2]
        if kind == "left":
            return self.nodes[spec[1]].x
        if kind == "right":
            node = self.nodes[spec[1]]
            return node.x + node.w
        gap, key = spec[1], spec[2]
        seg = self._seg_by_key[(gap, key)]
        tracks = self.gap_tracks[gap]
        span = (tracks - 1) * TRACK
        start = self.gap_left[gap] + (self.gap_width[gap] - span) // 2
        return start + seg.track * TRACK

    def _materialize(self) -> None:
        self._seg_by_key = {(s.gap, s.key): s for s in self.gap_segments}
        for e in self.edges:
            e.points = _simplify([(self._x(x), self._y(y)) for x, y in e.spec])
        for id_, _el, src, tgt in self.assocs:
            s, t = self.nodes.get(src), self.nodes.get(tgt)
            if s is None and t is None:
                continue
            self.extra_edges[id_] = self._association_points(s, t, src, tgt)

    def _association_points(self, s, t, src_id, tgt_id):
        def flow_point(flow_id):
            for e in self.edges:
                if e.id == flow_id:
                    (x1, y1), (x2, y2) = e.points[0], e.points[1]
                    return ((x1 + x2) // 2, (y1 + y2) // 2)
            return None
        if s is None or t is None:
            node = s or t
            point = flow_point(tgt_id if s is not None else src_id) or (node.cx, node.y - 40)
            ends = [(node.cx, node.y), point]
            return ends if s is not None else ends[::-1]
        upper, lower = (s, t) if s.cy <= t.cy else (t, s)
        if upper.y + upper.h <= lower.y:
            x = min(max(upper.cx, lower.x + 6), lower.x + lower.w - 6)
            pts = [(upper.cx, upper.y + upper.h), (x, lower.y)]
        else:
            left_, right_ = (s, t) if s.cx <= t.cx else (t, s)
            pts = [(left_.x + left_.w, left_.cy), (right_.x, right_.cy)]
            if upper is not left_:
                pts = pts[::-1]
            upper = left_
        return pts if upper is s else pts[::-1]

    # -- labels --

    def _labels(self) -> None:
        shapes = [n.rect for n in self.nodes.values()]
        segments = [(p, q) for e in self.edges for p, q in zip(e.points, e.points[1:])]
        segments += [(p, q) for pts in self.extra_edges.values() for p, q in zip(pts, pts[1:])]
        placed: list[tuple] = []

        def score(rect, own=None, band=None):
            value = 0
            for other in shapes:
                if other != own and _rects_overlap(rect, other, 2):
                    value += 100
            for other in placed:
                if _rects_overlap(rect, other, 2):
                    value += 60
            for p, q in segments:
                if _segment_hits_rect(p, q, (rect[0] - 2, rect[1] - 2, rect[2] + 4, rect[3] + 4)):
                    value += 10
            x, y, w, h = rect
            if band is not None:
                top, height = self.band_y[band]
                if y < top or y + h > top + height:
                    value += 40
            return value

        def choose(candidates, own=None, band=None):
            best = min(enumerate(candidates), key=lambda c: (score(c[1], own, band), c[0]))[1]
            placed.append(best)
            return best

        for node in sorted(self.nodes.values(), key=lambda n: (n.host is not None, n.rank, n.row)):
            if not node.label:
                continue
            w, h = node.label
            x, y, nw, nh = node.rect
            cx, bottom = node.cx, y + nh
            if node.host is not None:
                candidates = [(cx + 8, bottom + 2, w, h), (cx - 8 - w, bottom + 2, w, h),
                              (cx - w // 2, bottom + 4, w, h), (x + nw + 2, y - h + 4, w, h)]
            else:
                candidates = [(cx - w // 2, bottom + 5, w, h), (cx - w // 2, y - 5 - h, w, h),
                              (x + nw - 4, bottom, w, h), (x + 4 - w, bottom, w, h),
                              (x + nw - 4, y - h, w, h), (x + 4 - w, y - h, w, h)]
            node.label_rect = choose(candidates, node.rect, node.band)
        for e in self.edges:
            if not e.label:
                continue
            w, h = e.label
            candidates, beside = [], []
            for (x1, y1), (x2, y2) in zip(e.points, e.points[1:]):
                if y1 == y2 and abs(x2 - x1) >= 16:
                    start = x1 + 6 if x2 > x1 else x1 - 6 - w
                    end = x2 - 6 - w if x2 > x1 else x2 + 6
                    mid = (x1 + x2) // 2 - w // 2
                    candidates += [(start, y1 - 4 - h, w, h), (mid, y1 - 4 - h, w, h), (start, y1 + 4, w, h),
                                   (mid, y1 + 4, w, h), (end, y1 - 4 - h, w, h), (end, y1 + 4, w, h)]
                elif x1 == x2 and abs(y2 - y1) >= 16:
                    mid = (y1 + y2) // 2 - h // 2
                    start = y1 + 6 if y2 > y1 else y1 - 6 - h
                    beside += [(x1 + 6, mid, w, h), (x1 - 6 - w, mid, w, h), (x1 + 6, start, w, h),
                               (x1 - 6 - w, start, w, h)]
            candidates += beside
            if not candidates:
                (x1, y1) = e.points[0]
                candidates = [(x1 + 4, y1 - 4 - h, w, h)]
            e.label_rect = choose(candidates)

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


# --- reading and writing files -------------------------------------------------------------------

def parse(data: bytes, name: str):
    if _DTD.search(data):
        raise LayoutError(f"{name}: refusing a file with a DOCTYPE or ENTITY declaration")
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
                             remove_blank_text=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise LayoutError(f"{name}: not well-formed XML: {exc}") from None
    if etree.QName(root) != etree.QName(BPMN_NS, "definitions"):
        raise LayoutError(f"{name}: not a BPMN file (the root is not bpmn:definitions)")
    return root


_ATTR = r"""\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*')"""
_ROOT_START = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->)*(<[^\s/>!?]+)((?:" + _ATTR + r")*)(\s*/?>)", re.S)


def _prefixes(root) -> tuple[dict[str, str], dict[str, str]]:
    """(namespace -> prefix for the DI, prefix -> namespace to declare on the root)."""
    nsmap = dict(root.nsmap)
    chosen, new = {}, {}
    for ns, wanted in ((BPMNDI_NS, "bpmndi"), (DC_NS, "dc"), (DI_NS, "di")):
        existing = [p for p, u in nsmap.items() if u == ns and p]
        if existing:
            chosen[ns] = existing[0]
            continue
        prefix, n = wanted, 1
        while prefix in nsmap or prefix in new:
            n += 1
            prefix = f"{wanted}{n}"
        chosen[ns] = prefix
        new[prefix] = ns
    return chosen, new


def _signature(root) -> list:
    """The model part of a tree (DI left out, whitespace-only text ignored), to compare two trees."""
    skip = (BPMNDI_NS, DC_NS, DI_NS)
    out = []

    def walk(el, path):
        text = el.text if el.text and el.text.strip() else ""
        out.append((path, el.tag, sorted(el.attrib.items()), text))
        index = 0
        for child in el:
            if isinstance(child.tag, str) and etree.QName(child).namespace in skip:
                continue
            if isinstance(child.tag, str):
                walk(child, path + (index,))
            else:
                out.append((path + (index,), "node", str(child)))
            index += 1
            tail = child.tail if child.tail and child.tail.strip() else ""
            if tail:
                out.append((path, "tail", tail))
    walk(root, ())
    return out


def _splice(text: str, root, di: str, new_ns: dict[str, str], newline: str) -> str:
    """Cut old diagrams out of ``text``, add the namespace declarations and insert ``di``."""
    lines = text.split("\n")
    # old diagrams, from their start line to their end tag
    cuts = []
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for diagram in [el for el in root if isinstance(el.tag, str) and etree.QName(el).namespace == BPMNDI_NS]:
        prefix = diagram.prefix
        tag = f"{prefix}:BPMNDiagram" if prefix else "BPMNDiagram"
        start = text.find(f"<{tag}", offsets[diagram.sourceline - 1])
        head = re.compile(r"<" + re.escape(tag) + r"(?:" + _ATTR + r")*\s*(/?)>", re.S).match(text, max(start, 0))
        tail = head and not head.group(1) and re.compile(r"</" + re.escape(tag) + r"\s*>").search(text, head.end())
        if start < 0 or head is None or tail is None:
            raise LayoutError("cannot find the old diagram in the text")
        end = tail.end() if tail else head.end()
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip() == "":
            start = line_start
        line_end = text.find("\n", end)
        if line_end >= 0 and text[end:line_end].strip() == "":
            end = line_end + 1
        cuts.append((start, end))
    for start, end in sorted(cuts, reverse=True):
        text = text[:start] + text[end:]
    # namespace declarations next to the root's last one
    match = _ROOT_START.match(text)
    if match is None:
        raise LayoutError("cannot find the root start tag")
    if new_ns:
        attrs = list(re.finditer(_ATTR, match.group(2)))
        ns_attrs = [a for a in attrs if a.group(0).strip().startswith("xmlns")]
        anchor = (ns_attrs or attrs)[-1] if attrs else None
        if anchor is not None:
            separator = re.match(r"\s+", anchor.group(0)).group(0)
            at = match.start(2) + anchor.end()
        else:
            separator, at = " ", match.end(1)
        decl = "".join(f'{separator}xmlns:{p}="{ns}"' for p, ns in new_ns.items())
        text = text[:at] + decl + text[at:]
    # the diagrams go after the last root element, before any relationship and the end tag
    local = etree.QName(root).localname
    prefix = root.prefix
    end_tag = f"</{prefix}:{local}" if prefix else f"</{local}"
    relationships = _children(root, {"relationship"})
    if relationships:
        # the line of the first relationship, found again after the cuts above
        rel_prefix = relationships[0].prefix
        at = text.find(f"<{rel_prefix}:relationship" if rel_prefix else "<relationship")
    else:
        at = text.rfind(end_tag)
    if at < 0:
        raise LayoutError("cannot find where to insert the diagram")
    line_start = text.rfind("\n", 0, at) + 1
    if text[line_start:at].strip() == "":
        at = line_start
        di_block = di
    else:
        di_block = newline + di
    return text[:at] + di_block + text[at:]


def layout_bytes(data: bytes, name: str = "<bytes>") -> bytes:
    """The file with a new layout (any old DI replaced)."""
    root = parse(data, name)
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data[3 if bom else 0:].decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    text_lf = text.replace("\r\n", "\n") if newline == "\r\n" else text
    chosen, new_ns = _prefixes(root)
    indent = _indent_unit(text_lf)
    layout = FileLayout(root).run()
    di = layout.di_text(chosen, indent)
    try:
        result = _splice(text_lf, root, di, new_ns, "\n")
        if newline == "\r\n":
            result = result.replace("\n", "\r\n")
        out = (b"\xef\xbb\xbf" if bom else b"") + result.encode("utf-8")
        check = parse(out, name)
        if _signature(check) != _signature(root) or di_problems(check):
            raise LayoutError("the splice changed the model")
        return out
    except (LayoutError, AttributeError, ValueError):
        return _rewrite_tree(root, di, chosen)


def _rewrite_tree(root, di: str, chosen: dict[str, str]) -> bytes:
    """Fallback: write the whole tree with lxml (namespaces of the DI declared on its diagrams)."""
    root = copy.deepcopy(root)
    for el in [el for el in root if isinstance(el.tag, str) and etree.QName(el).namespace == BPMNDI_NS]:
        root.remove(el)
    decl = " ".join(f'xmlns:{p}="{ns}"' for ns, p in chosen.items())
    wrapper = etree.fromstring(f"<wrapper {decl}>{di}</wrapper>")
    relationships = _children(root, {"relationship"})
    for diagram in list(wrapper):
        if relationships:
            relationships[0].addprevious(diagram)
        else:
            root.append(diagram)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _indent_unit(text: str) -> str:
    for line in text.split("\n")[1:]:
        stripped = line.lstrip(" \t")
        if stripped.startswith("<") and len(stripped) < len(line):
            return line[: len(line) - len(stripped)]
    return "  "


def process_file(path: Path, force: bool = False) -> str:
    data = path.read_bytes()
    root = parse(data, str(path))
    problems = di_problems(root)
    if not problems and not force:
        return "DI complete, left alone (--force to redo it)"
    out = layout_bytes(data, str(path))
    if out != data:
        path.write_bytes(out)
    had = any(isinstance(el.tag, str) and etree.QName(el).namespace == BPMNDI_NS for el in root)
    return "layout replaced" if had else "layout added"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bpmn_layout",
                                     description="Add a diagram layout (BPMN DI) to BPMN files.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE.bpmn")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 listing the files whose DI is missing or incomplete")
    parser.add_argument("--force", action="store_true", help="replace the DI even where it is complete")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        try:
            if args.check:
                problems = di_problems(parse(path.read_bytes(), str(path)))
                if problems:
                    status = 1
                    shown = problems[:10] + ([f"... {len(problems) - 10} more"] if len(problems) > 10 else [])
                    print(f"{path}: DI missing or incomplete: " + "; ".join(shown))
            else:
                print(f"{path}: {process_file(path, args.force)}")
        except (OSError, LayoutError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(main())
