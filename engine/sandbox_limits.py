"""Time and size accounting for one sandboxed run.

:func:`limits` wraps one evaluation: it installs a ``sys.settrace`` tracer on the current thread
that stops sandboxed frames once the wall-clock budget is spent, and opens an allocation budget
that the guards charge with every value they copy or build (:func:`account`).

Why a tracer, and why only our frames: line events fire on every loop iteration (comprehension
and generator frames included), which is the only hook CPython offers inside a running frame on
any thread. Tracing only frames whose ``co_filename`` is :data:`~engine.sandbox_policy.FILENAME`
keeps the cost on pathway code; the guards and helpers, which are not traced, bound their own
work instead (:func:`check_deadline`, :func:`weight`'s budget).

Why an allocation budget: a loop that stays within the time limit can still build gigabytes if
each turn copies a large value in C (``[s.upper() for _ in range(10000)]``). The per-value size
limit does not see that, the running total does.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import sys
import threading
import time
import types
from typing import Any, Iterator

from engine.errors import ExpressionError, ExpressionSizeError, ExpressionTimeoutError
from engine.sandbox_policy import FILENAME, MAX_ALLOCATED, MAX_DEPTH, MAX_SIZE

_TEXT = (str, bytes, bytearray)
_CONTAINERS = (list, tuple, dict, set, frozenset)
NESTED = _TEXT + _CONTAINERS
# Exact types that weigh nothing; a set lookup on type() is several times faster than isinstance.
_SCALARS = frozenset({int, float, bool, complex, type(None), _dt.date, _dt.datetime, _dt.time, _dt.timedelta})


class _Run:
    """The budgets of one running evaluation."""

    __slots__ = ("deadline", "message", "allocated")

    def __init__(self, deadline: float, message: str):
        self.deadline = deadline
        self.message = message
        self.allocated = 0


_state = threading.local()


def _runs() -> list[_Run]:
    if not hasattr(_state, "runs"):
        _state.runs = []
    return _state.runs


def check_deadline() -> None:
    """Raise if the innermost run on this thread is past its deadline.

    For guards that loop on the sandbox's behalf, where the tracer cannot see (``iter(f, x)``).

    Raises:
        ExpressionTimeoutError: the deadline has passed.
    """
    runs = _runs()
    if runs and time.monotonic() > runs[-1].deadline:
        raise ExpressionTimeoutError(runs[-1].message)


def account(size: int) -> None:
    """Charge ``size`` items or characters to the running evaluation's allocation budget.

    Does nothing outside an evaluation.

    Raises:
        ExpressionSizeError: the run has now built more than :data:`MAX_ALLOCATED` in total.
    """
    runs = _runs()
    if runs:
        run = runs[-1]
        run.allocated += size
        if run.allocated > MAX_ALLOCATED:
            raise ExpressionSizeError(f"the code built too much data in total (more than {MAX_ALLOCATED:,} "
                                      "items and characters)")


def produced(value: Any, what: str) -> Any:
    """Check a value a guard has just built against :data:`MAX_SIZE`, charge it, and return it.

    Raises:
        ExpressionSizeError: it is too large, or the run's allocation budget is spent.
    """
    if isinstance(value, NESTED):
        if len(value) > MAX_SIZE:
            raise ExpressionSizeError(f"{what} is too large (more than {MAX_SIZE:,} items or characters)")
        account(len(value))
    return value


@contextlib.contextmanager
def limits(seconds: float) -> Iterator[None]:
    """Run the block under a wall-clock limit and a fresh allocation budget.

    The global trace function hands a local tracer only to frames of sandboxed code (module,
    functions, lambdas, comprehensions, generators); other frames go to the tracer that was
    installed before, if any, so debuggers and coverage keep working. The previous tracer is
    restored on the way out, also after a timeout (CPython drops a tracer that raised).

    Args:
        seconds: The budget, more than 0.

    Raises:
        ExpressionTimeoutError: from inside the block, once the budget is spent.
        ValueError: ``seconds`` is not positive.
    """
    if not seconds > 0:
        raise ValueError(f"the time limit must be more than 0 seconds, not {seconds!r}")
    run = _Run(time.monotonic() + seconds,
               f"the code ran for longer than its time limit of {seconds:g} seconds")
    deadline, message, previous = run.deadline, run.message, sys.gettrace()

    def local_tracer(frame, event, arg):
        # Only on "line" events: a "call" event also comes when a suspended generator is closed
        # as it is garbage-collected, where CPython swallows the exception ("Exception ignored
        # in generator") and, the tracer having raised, switches tracing off for good.
        if event == "line" and time.monotonic() > deadline:
            raise ExpressionTimeoutError(message)
        return local_tracer

    def global_tracer(frame, event, arg):
        if frame.f_code.co_filename == FILENAME:
            return local_tracer
        return previous(frame, event, arg) if previous is not None else None

    runs = _runs()
    runs.append(run)
    sys.settrace(global_tracer)
    try:
        yield
    finally:
        sys.settrace(previous)
        runs.pop()


def _is_code(item: Any) -> bool:
    return callable(item) or isinstance(item, types.ModuleType) or hasattr(type(item), "__next__")


def _measure(value: Any, budget: int) -> tuple[int, bool, bool]:
    """(items plus characters counted so far, nested past :data:`MAX_DEPTH`?, holds code?)."""
    total, code = 0, False
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, _TEXT):
            total += len(item)
        elif isinstance(item, _CONTAINERS):
            if depth >= MAX_DEPTH:
                return total, True, code
            total += len(item)
            if total > budget:
                return total, False, code
            children = (*item.keys(), *item.values()) if isinstance(item, dict) else item
            # A list comprehension, not a generator: under the tracer every generator step is a call.
            stack.extend([(child, depth + 1) for child in children if type(child) not in _SCALARS])
        elif not code and _is_code(item):
            code = True
        if total > budget:
            return total, False, code
    return total, False, code


def weight(value: Any, budget: int = MAX_SIZE) -> int:
    """Items plus characters in ``value``, counted through nested containers.

    A value referenced twice counts twice (``str()`` would print it twice); scalars count 0.
    Stops once the count passes ``budget`` (returning the partial count, which is then over the
    budget), so the work is bounded, also for containers that contain themselves.
    """
    total, too_deep, _ = _measure(value, budget)
    return budget + 1 if too_deep else total


def check_size(value: Any, what: str = "the result") -> None:
    """Refuse ``value`` when its :func:`weight` is over :data:`MAX_SIZE` or it nests too deeply.

    Raises:
        ExpressionSizeError: the message names ``what``.
    """
    if isinstance(value, NESTED):
        _check(value, what, storing=False)


def check_value(value: Any, what: str = "the result") -> None:
    """Refuse ``value`` as case data: too large, nested too deeply, or holding code.

    Code means a function, class, module, generator or iterator anywhere inside it: case data
    is stored as JSON, and code kept there could run later outside the time limit.

    Raises:
        ExpressionSizeError: too large or too deeply nested.
        ExpressionError: it is or holds code.
    """
    if _is_code(value):
        raise ExpressionError(f"{what} is a function or an iterator, not a value")
    _check(value, what, storing=True)


def _check(value: Any, what: str, storing: bool) -> None:
    total, too_deep, code = _measure(value, MAX_SIZE)
    if too_deep:
        raise ExpressionSizeError(f"{what} is nested too deeply (more than {MAX_DEPTH} levels)")
    if total > MAX_SIZE:
        raise ExpressionSizeError(f"{what} is too large (more than {MAX_SIZE:,} items and characters)")
    if storing and code:
        raise ExpressionError(f"{what} holds a function or an iterator, which cannot be stored")
