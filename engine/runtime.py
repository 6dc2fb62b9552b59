"""What every service call needs: the database, the clock, and the caches of parsed specs and live
workflows. One :class:`Runtime` per :class:`engine.Engine`.

Caches, and why they are safe:
- specs are cached by pathway version id; a published version is immutable;
- live workflows are cached by case id together with the case's ``row_version``. Every committed
  change bumps that version, so a cached workflow is used only when the database still holds the
  state it was saved as. A workflow is taken *out* of the cache while a call works on it and put
  back only after that call's commit, so a failed call (rolled back) never leaves a half-run
  workflow behind, and two threads never share one workflow object.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

from . import clock as clockmod
from . import codec
from .db import Database
from .sandbox import make_script_engine


@dataclass
class LiveCase:
    """A deserialized workflow and what is needed to save it incrementally."""

    workflow: object
    row_version: int
    known_ids: set[str]
    seq: int  # the case's task_seq at load
    changes: object = None  # what the last step did to the projections (for the audit trail)
    outbox: list | None = None  # messages thrown by the last step, to route after saving


class _LRU:
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def pop(self, key):
        with self._lock:
            return self._items.pop(key, None)

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Runtime:
    def __init__(self, database: Database, clock: clockmod.Clock, *, expression_time_limit: float = 1.0,
                 workflow_cache_size: int = 256):
        self.db = database
        self.clock = clock
        self.expression_time_limit = expression_time_limit
        self._specs = _LRU(64)
        self._files = _LRU(1024)
        self._live = _LRU(workflow_cache_size)

    # -- clocks ---------------------------------------------------------------------------------
    def case_clock(self, offset_seconds: float, frozen_at: dt.datetime | None) -> clockmod.Clock:
        """The clock a case runs on (training moves a sandbox case's clock on its own)."""
        if frozen_at is not None:
            return clockmod.FixedClock(frozen_at)
        if offset_seconds:
            return clockmod.OffsetClock(self.clock, dt.timedelta(seconds=offset_seconds))
        return self.clock

    def now(self) -> dt.datetime:
        return self.clock.now()

    # -- specs ------------------------------------------------------------------------------------
    def spec_for(self, version_id: int, spec_json_loader) -> tuple:
        """``(spec, subprocess_specs)`` of a version, restored once and shared by its cases."""
        cached = self._specs.get(version_id)
        if cached is None:
            cached = codec.spec_from_json(spec_json_loader())
            self._specs.put(version_id, cached)
        return cached

    def version_file(self, version_id: int, name: str, loader) -> str | None:
        """A version's file by name (forms, manifest), read once: published versions never change."""
        key = (version_id, name)
        cached = self._files.get(key)
        if cached is None:
            cached = (loader(),)
            self._files.put(key, cached)
        return cached[0]

    def script_engine(self):
        return make_script_engine(time_limit=self.expression_time_limit)

    # -- live workflows ---------------------------------------------------------------------------
    def take_live(self, case_id: int, row_version: int) -> LiveCase | None:
        live = self._live.pop(case_id)
        return live if live is not None and live.row_version == row_version else None

    def keep_live(self, case_id: int, live: LiveCase) -> None:
        self._live.put(case_id, live)

    def forget_live(self, case_id: int | None = None) -> None:
        if case_id is None:
            self._live.clear()
        else:
            self._live.pop(case_id)
