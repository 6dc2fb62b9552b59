"""Orthogonal routing of the flows: routes, tracks, corridors, loops (a mixin of ``ContainerLayout``)."""
from __future__ import annotations

from dataclasses import dataclass

from .common import Edge, _simplify


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


class RoutingMixin:
    """Edge routing of a ``ContainerLayout``."""

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

    # -- tracks --

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

    # -- points --

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
