"""Label placement (a mixin of ``ContainerLayout``)."""
from __future__ import annotations

from .common import _rects_overlap, _segment_hits_rect


class LabelsMixin:
    """Label placement of a ``ContainerLayout``."""

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
