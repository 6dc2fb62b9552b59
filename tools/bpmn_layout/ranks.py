"""Ranks, lane bands, rows and the placement of nodes (a mixin of ``ContainerLayout``)."""
from __future__ import annotations

from itertools import count

from .common import (
    BAND_PAD, EDGE_GAP, EVENT_SIZE, GAP, MIN_HALF_COLUMN, MIN_LANE, NAMED_GAP, ROW_PAD, TRACK, Edge, Node,
    _boundary_offset, _children, _even, _local, text_width,
)


class RanksMixin:
    """Back edges, ranks, lanes, rows and node placement of a ``ContainerLayout``."""

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
