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

Modules: ``common`` (constants, helpers, ``Node``/``Edge``), ``model`` (reading a process:
``ContainerLayout``), ``ranks`` (ranks, lanes, rows, placement), ``routing`` (orthogonal flows),
``labels`` (label placement), ``di`` (the bpmndi elements, ``di_problems``), ``cli`` (``main``, file
reading, writing and splicing).
"""
from __future__ import annotations

from .common import (
    BPMN_NS, BPMNDI_NS, DC_NS, DI_NS, TASKS, SUBPROCESSES, EVENTS, GATEWAYS, FLOW_NODES, DATA_REFS,
    TASK_SIZE, EVENT_SIZE, GATEWAY_SIZE, DATA_OBJECT_SIZE, DATA_STORE_SIZE, ANNOTATION_WIDTH, POOL_STRIP,
    ROW_PAD, BAND_PAD, MIN_LANE, MIN_HALF_COLUMN, GAP, NAMED_GAP, EDGE_GAP, TRACK, LABEL_WRAP, LABEL_LINE,
    POOL_GAP, ORIGIN, _DTD, LayoutError, _local, _is_bpmn, _children, _char_width, text_width, wrap,
    label_size, _even, _rects_overlap, _segment_hits_rect, _simplify, Node, Edge, _boundary_offset,
)
from .routing import GapSegment
from .model import _node_for, ContainerLayout
from .di import Plane, FileLayout, required_elements, di_problems
from .cli import (
    parse, _ATTR, _ROOT_START, _prefixes, _signature, _splice, layout_bytes, _rewrite_tree, _indent_unit,
    process_file, main,
)

__all__ = [
    "BPMN_NS", "BPMNDI_NS", "DC_NS", "DI_NS", "TASKS", "SUBPROCESSES", "EVENTS", "GATEWAYS", "FLOW_NODES",
    "DATA_REFS", "TASK_SIZE", "EVENT_SIZE", "GATEWAY_SIZE", "DATA_OBJECT_SIZE", "DATA_STORE_SIZE",
    "ANNOTATION_WIDTH", "POOL_STRIP", "ROW_PAD", "BAND_PAD", "MIN_LANE", "MIN_HALF_COLUMN", "GAP",
    "NAMED_GAP", "EDGE_GAP", "TRACK", "LABEL_WRAP", "LABEL_LINE", "POOL_GAP", "ORIGIN", "LayoutError",
    "text_width", "wrap", "label_size", "Node", "Edge", "GapSegment", "ContainerLayout", "Plane",
    "FileLayout", "required_elements", "di_problems", "parse", "layout_bytes", "process_file", "main",
]
