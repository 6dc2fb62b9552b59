"""Shared constants, small helpers and the data classes of the BPMN layout."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

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


# --- nodes and edges -------------------------------------------------------------------------------

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


def _boundary_offset(host: Node, i: int) -> int:
    """x of the i-th boundary event from the host's left edge: towards the right corner (clear of the
    centred name), several spread leftwards."""
    k = len(host.boundaries)
    right = host.w - 20
    if k == 1:
        return right
    step = min(40, (host.w - 40) // (k - 1))
    return _even(right - (k - 1 - i) * step)

