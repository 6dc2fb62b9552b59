"""One clock for the whole engine, which SpiffWorkflow's timers obey too.

SpiffWorkflow reads ``datetime.now(timezone.utc)`` straight from the module global ``datetime`` in
``SpiffWorkflow.bpmn.specs.event_definitions.timer`` and offers no hook. We replace that global,
once, with a ``datetime`` subclass whose ``now()`` asks :func:`now`, which reads the clock bound to
the current context (a ``contextvars.ContextVar``, so threads and requests never see each other's
clock). Outside :func:`using` the engine's default clock is the real one.

A case may run on its own clock (training: a clock per case): :class:`OffsetClock` shifts another
clock, :class:`FixedClock` stands still until moved.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
from typing import Iterator, Protocol
from zoneinfo import ZoneInfo

UTC = _dt.timezone.utc
# The councils' time: pages show times and letters are dated in it. The time zone data comes from the
# pinned tzdata package, so a machine without the system's zoneinfo still gets summer time right.
LOCAL_ZONE: _dt.tzinfo = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> _dt.datetime:
        """The current time, timezone-aware, in UTC."""


class SystemClock:
    """The real time."""

    def now(self) -> _dt.datetime:
        return _real_datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until :meth:`set` or :meth:`advance` moves it (tests, training)."""

    def __init__(self, at: _dt.datetime):
        self._at = _aware(at)

    def now(self) -> _dt.datetime:
        return self._at

    def set(self, at: _dt.datetime) -> None:
        self._at = _aware(at)

    def advance(self, delta: _dt.timedelta) -> None:
        self._at += delta

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"


class OffsetClock:
    """Another clock shifted by a fixed offset (a sandbox case that has been moved forward)."""

    def __init__(self, base: Clock, offset: _dt.timedelta):
        self.base = base
        self.offset = offset

    def now(self) -> _dt.datetime:
        return self.base.now() + self.offset


def _aware(at: _dt.datetime) -> _dt.datetime:
    # A naive datetime is taken as UTC: the engine never uses the server's local zone.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


_real_datetime = _dt.datetime
_default_clock: Clock = SystemClock()
_current: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("pathways_clock", default=None)


def now() -> _dt.datetime:
    """The time on the clock bound to this context (the engine's default clock otherwise)."""
    return (_current.get() or _default_clock).now()


@contextlib.contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Bind ``clock`` for the duration of the ``with`` block, in this context only."""
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)


class _ClockedDatetime(_dt.datetime):
    """What SpiffWorkflow's timer module sees as ``datetime``: ``now()`` asks our clock."""

    @classmethod
    def now(cls, tz=None):  # noqa: D102 - same contract as datetime.now
        current = now()
        return current.astimezone(tz) if tz else current.astimezone(UTC).replace(tzinfo=None)


def install() -> None:
    """Make SpiffWorkflow's timers read our clock. Idempotent; called when the engine is imported."""
    from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module

    timer_module.datetime = _ClockedDatetime
