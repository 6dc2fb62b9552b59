"""The run-time guards that :class:`~engine.sandbox_policy.PathwayPolicy` rewrites pathway code into.

* ``a.b`` -> :func:`guarded_getattr`: RestrictedPython's ``safer_getattr`` plus our refused names;
  the methods of built-in types come back wrapped, so that ``s.replace('', big)``,
  ``sep.join(many)`` and ``items.extend(items)`` are refused before they run and every result is
  size-checked and charged to the run's allocation budget.
* ``a * b``, ``a ** b``, ``a << b``, ``a + b``, ``a % b`` -> :func:`guarded_mul` and friends, which
  refuse to build a value past the limits *before* Python allocates it; ``-``, ``|``, ``&``, ``^``
  charge set and dict results to the budget.
* f-string fields -> :func:`guarded_format`; ``x += y`` -> :func:`inplacevar`.
* Builtins that copy or loop in C are replaced by bounded versions (:func:`safe_range`,
  :func:`safe_iter`, :func:`safe_sum`...); ``str``, ``list``, ``dict``... are :class:`GuardedType`
  stand-ins so that ``isinstance(x, str)`` still works while ``str(x)`` is guarded.

These functions run untraced (only sandboxed frames are), so each does bounded work.
"""
from __future__ import annotations

import datetime as _dt
import math
import operator
import types
from typing import Any, Callable, Iterator

from RestrictedPython.Guards import guarded_unpack_sequence, raise_, safer_getattr

from engine.errors import ExpressionSizeError, SandboxViolationError
from engine.sandbox_limits import account, check_deadline, check_size, produced, weight
from engine.sandbox_policy import (MAX_INT_BITS, MAX_ITER_ITEMS, MAX_RANGE, MAX_ROUND_DIGITS, MAX_SIZE,
                                   attribute_problem, percent_problem, strftime_problem, width_problem)

_TEXT = (str, bytes, bytearray)
_SEQUENCES = _TEXT + (list, tuple)
_CONTAINERS = (list, tuple, dict, set, frozenset)
_NUMBERS = (int, float, complex)

# ---------------------------------------------------------------------------------------------
# Operators


def _too_big_int() -> ExpressionSizeError:
    return ExpressionSizeError(f"the number would be too large (more than {MAX_INT_BITS:,} bits)")


def _check_repeat(seq: Any, times: int) -> None:
    if times <= 0 or not seq:
        return
    if times > MAX_SIZE:
        raise ExpressionSizeError(f"repeating a value {min(times, 10**12):,} times is not allowed "
                                  f"(the limit is {MAX_SIZE:,} items and characters)")
    # Nested values count in full: [big] * 1000 prints, compares and stores as 1000 bigs.
    unit = len(seq) if isinstance(seq, _TEXT) else weight(seq, MAX_SIZE // times)
    if unit * times > MAX_SIZE:
        raise ExpressionSizeError(f"repeating the value {times:,} times would make it too large "
                                  f"(more than {MAX_SIZE:,} items and characters)")


def _check_mul(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int):
        if a and b and a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise _too_big_int()
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        _check_repeat(a, b)
    elif isinstance(a, int) and isinstance(b, _SEQUENCES):
        _check_repeat(b, a)


def _check_add(a: Any, b: Any, in_place: bool = False) -> Any:
    if in_place and isinstance(a, list) and not isinstance(b, _SEQUENCES) and hasattr(b, "__iter__"):
        b = list(b)  # ``items += generator`` extends in C: measure it first
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_SIZE:
        raise ExpressionSizeError(f"joining these would make a value too large (more than {MAX_SIZE:,} "
                                  "items or characters)")
    return b


def guarded_mul(a: Any, b: Any) -> Any:
    """``a * b``, refusing results over the size limits. Raises ExpressionSizeError."""
    _check_mul(a, b)
    return produced(a * b, "the result of *")


def guarded_add(a: Any, b: Any) -> Any:
    """``a + b``, refusing a joined sequence over the size limit. Raises ExpressionSizeError."""
    _check_add(a, b)
    return produced(a + b, "the result of +")


def guarded_pow(a: Any, b: Any) -> Any:
    """``a ** b``, refusing integers over ``MAX_INT_BITS``. Raises ExpressionSizeError."""
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        if b > MAX_INT_BITS or b * math.log2(abs(a)) > MAX_INT_BITS:
            raise _too_big_int()
    return a ** b


def guarded_lshift(a: Any, b: Any) -> Any:
    """``a << b``, refusing integers over ``MAX_INT_BITS``. Raises ExpressionSizeError."""
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        if b > MAX_INT_BITS or a.bit_length() + b > MAX_INT_BITS:
            raise _too_big_int()
    return a << b


def guarded_mod(a: Any, b: Any) -> Any:
    """``a % b``; for ``%``-formatting, refuses big widths, ``*`` widths and big results.

    Raises:
        ExpressionSizeError: the format or its result is over the limits.
    """
    if not isinstance(a, _TEXT):
        return a % b
    problem = percent_problem(a)
    if problem:
        raise ExpressionSizeError(problem)
    check_size(b, "the values given to a % format")
    return produced(a % b, "the formatted text")


def guarded_sub(a: Any, b: Any) -> Any:
    """``a - b``, charging set results to the allocation budget. Raises ExpressionSizeError."""
    return produced(a - b, "the result of -")


def guarded_or(a: Any, b: Any) -> Any:
    """``a | b``, charging set and dict results to the allocation budget. Raises ExpressionSizeError."""
    return produced(a | b, "the result of |")


def guarded_and(a: Any, b: Any) -> Any:
    """``a & b``, charging set results to the allocation budget. Raises ExpressionSizeError."""
    return produced(a & b, "the result of &")


def guarded_xor(a: Any, b: Any) -> Any:
    """``a ^ b``, charging set results to the allocation budget. Raises ExpressionSizeError."""
    return produced(a ^ b, "the result of ^")


def guarded_format(value: Any, conversion: int, spec: str | None) -> str:
    """One f-string field, ``{value!conversion:spec}``, within the size limits.

    Raises:
        ExpressionSizeError: the value, the spec's width or the text is over the limits.
    """
    check_size(value, "the value in an f-string")
    if conversion == ord("s"):
        value = str(value)
    elif conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    if spec:
        problem = strftime_problem(spec) if isinstance(value, (_dt.date, _dt.time)) else width_problem(spec)
        if problem:
            raise ExpressionSizeError(problem)
    return produced(format(value, spec or ""), "the formatted text")


_IN_PLACE: dict[str, Callable[[Any, Any], Any]] = {
    "/=": operator.itruediv, "//=": operator.ifloordiv, ">>=": operator.irshift,
    "**=": guarded_pow, "<<=": guarded_lshift, "%=": guarded_mod,
}
_IN_PLACE_CHARGED: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.isub, "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand,
}


def inplacevar(op: str, x: Any, y: Any) -> Any:
    """``x op= y`` for a plain name (RestrictedPython's ``_inplacevar_``), within the limits.

    Raises:
        ExpressionSizeError: the result would be over the limits.
        SandboxViolationError: an operator the sandbox does not offer (``@=``).
    """
    if op == "+=":
        y = _check_add(x, y, in_place=True)
        return produced(operator.iadd(x, y), "the result of +=")  # in place: other names see the list
    if op == "*=":
        _check_mul(x, y)
        return produced(operator.imul(x, y), "the result of *=")
    if op in _IN_PLACE_CHARGED:
        return produced(_IN_PLACE_CHARGED[op](x, y), f"the result of {op}")
    if op in _IN_PLACE:
        return _IN_PLACE[op](x, y)
    raise SandboxViolationError(f"the operator {op} is not available in pathway expressions")

# ---------------------------------------------------------------------------------------------
# Attributes, items, iteration, calls


def _pre_join(sep: Any, args: tuple, kwargs: dict) -> tuple:
    if len(args) != 1 or not isinstance(sep, _TEXT):
        return args
    items = list(args[0])
    total = len(sep) * max(len(items) - 1, 0) + sum([len(i) for i in items if isinstance(i, _TEXT)])
    if total > MAX_SIZE:
        raise ExpressionSizeError(f"join() would make a text too large (more than {MAX_SIZE:,} characters)")
    return (items,)


def _pre_replace(text: Any, args: tuple, kwargs: dict) -> tuple:
    if len(args) < 2 or not isinstance(text, _TEXT) or not all(isinstance(a, _TEXT) for a in args[:2]):
        return args
    old, new = args[0], args[1]
    count = args[2] if len(args) > 2 and isinstance(args[2], int) else -1
    found = len(text) + 1 if not old else text.count(old)
    if count >= 0:
        found = min(found, count)
    if len(text) + found * (len(new) - len(old)) > MAX_SIZE:
        raise ExpressionSizeError(f"replace() would make a text too large (more than {MAX_SIZE:,} characters)")
    return args


def _pre_extend(target: Any, args: tuple, kwargs: dict) -> tuple:
    if len(args) != 1 or not isinstance(target, list):
        return args
    items = args[0] if hasattr(args[0], "__len__") else list(args[0])
    if len(target) + len(items) > MAX_SIZE:
        raise ExpressionSizeError(f"extend() would make a list too large (more than {MAX_SIZE:,} items)")
    return (items,)


def _pre_search(container: Any, args: tuple, kwargs: dict) -> tuple:
    # list.index() puts repr(x) in its error message, built in C.
    if args:
        check_size(args[0], "the value searched for")
    return args


def _pre_strftime(value: Any, args: tuple, kwargs: dict) -> tuple:
    fmt = args[0] if args else kwargs.get("format")
    problem = strftime_problem(fmt) if isinstance(fmt, str) else ""
    if problem:
        raise ExpressionSizeError(problem)
    return args


_PRECHECKS = {"join": _pre_join, "replace": _pre_replace, "extend": _pre_extend, "index": _pre_search,
              "count": _pre_search, "remove": _pre_search, "strftime": _pre_strftime}
_GUARDED_OWNERS = (str, bytes, bytearray, list, tuple, dict, set, frozenset, _dt.date, _dt.time,
                   _dt.timedelta)
#: Sandbox stand-ins for built-in types (``GuardedType`` instances) mapped to the real type.
TYPE_ALIASES: dict[type, type] = {}


def _guard_method(name: str, method: Callable, owner: Any, unbound: bool) -> Callable:
    precheck = _PRECHECKS.get(name)

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if precheck is not None:
            if not unbound:
                args = precheck(owner, args, kwargs)
            elif args:  # ``str.join(sep, items)``: the instance comes first
                args = (args[0], *precheck(args[0], args[1:], kwargs))
        return produced(method(*args, **kwargs), f"the result of {name}()")

    guarded.__name__ = name
    return guarded


def guarded_getattr(obj: Any, name: str) -> Any:
    """``obj.name`` for sandboxed code (RestrictedPython's ``_getattr_``).

    Builds on RestrictedPython's ``safer_getattr`` (no ``_`` names, no ``str.format``, no frame or
    code attributes) and also refuses the policy's refused names and anything on a module; the
    methods of built-in types come back wrapped by size checks.

    Raises:
        SandboxViolationError: the attribute is refused.
        AttributeError: the object has no such attribute.
    """
    problem = attribute_problem(name)
    if problem:
        raise SandboxViolationError(problem)
    if isinstance(obj, types.ModuleType):
        raise SandboxViolationError("modules are not available in pathway expressions")
    if isinstance(obj, type):
        obj = TYPE_ALIASES.get(obj, obj)
    try:
        value = safer_getattr(obj, name, raise_)
    except NotImplementedError as exc:  # safer_getattr's answer for str.format
        raise SandboxViolationError(str(exc)) from None
    if not callable(value) or isinstance(value, type):
        return value
    if isinstance(obj, type):
        if issubclass(obj, _GUARDED_OWNERS):
            unbound = isinstance(value, (types.MethodDescriptorType, types.WrapperDescriptorType))
            return _guard_method(name, value, obj, unbound)
    elif isinstance(obj, _GUARDED_OWNERS):
        return _guard_method(name, value, obj, False)
    return value


def guarded_getitem(obj: Any, key: Any) -> Any:
    """``obj[key]`` (RestrictedPython's ``_getitem_``); a slice is a copy, so it is charged."""
    value = obj[key]
    return produced(value, "the slice") if isinstance(key, slice) else value


def guarded_getiter(obj: Any) -> Any:
    """The iterable of a ``for`` loop or comprehension (RestrictedPython's ``_getiter_``)."""
    return obj


def unpack_sequence(it: Any, spec: dict, getiter: Callable) -> list:
    """RestrictedPython's ``guarded_unpack_sequence``; what a starred target copies is charged."""
    values = guarded_unpack_sequence(it, spec, getiter)
    account(max(0, len(values) - spec["min_len"]))  # ``a, *rest = big`` copies big into rest
    return values


def iter_unpack_sequence(it: Any, spec: dict, getiter: Callable) -> Iterator[list]:
    """RestrictedPython's ``guarded_iter_unpack_sequence`` (``for a, b in x``), charged."""
    for item in getiter(it):
        yield unpack_sequence(item, spec, getiter)


def apply(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)`` (RestrictedPython's ``_apply_``); the copied arguments are charged."""
    account(len(args) + len(kwargs))
    return func(*args, **kwargs)


def refuse_import(name: str, *args: Any, **kwargs: Any) -> None:
    """The sandbox's ``__import__``: no module may be imported.

    Raises:
        SandboxViolationError: always.
    """
    raise SandboxViolationError(f"importing {name!r} is not allowed in pathway expressions")


def unavailable(name: str) -> Callable:
    """A stand-in for a builtin the sandbox withholds; calling it raises SandboxViolationError.

    A stand-in rather than a compile error so that case data may still use the name (``type``,
    ``id``) for a field: data shadows builtins.
    """
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise SandboxViolationError(f"'{name}' is not available in pathway expressions")

    refuse.__name__ = name
    return refuse

# ---------------------------------------------------------------------------------------------
# Bounded builtins


def safe_range(*args: int) -> range:
    """``range()`` holding at most ``MAX_RANGE`` numbers. Raises ExpressionSizeError."""
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:
        count = MAX_RANGE + 1
    if count > MAX_RANGE:
        raise ExpressionSizeError(f"range() may hold at most {MAX_RANGE:,} numbers")
    return numbers


def _call_until(func: Callable, sentinel: Any) -> Iterator:
    # A generator in this module is not traced, so it checks the deadline itself.
    for _ in range(MAX_ITER_ITEMS):
        check_deadline()
        value = func()
        if value == sentinel:
            return
        yield value
    raise ExpressionSizeError(f"iter() produced more than {MAX_ITER_ITEMS:,} items")


_NO_SENTINEL = object()


def safe_iter(obj: Any, sentinel: Any = _NO_SENTINEL) -> Iterator:
    """``iter(obj)``, or an ``iter(func, sentinel)`` that obeys the time limit and a size cap."""
    if sentinel is _NO_SENTINEL:
        return iter(obj)
    if not callable(obj):
        raise TypeError("iter(v, w): v must be callable")
    return _call_until(obj, sentinel)


def safe_sum(iterable: Any, start: Any = 0) -> Any:
    """``sum()``; adding lists or tuples goes through the size guard. Raises ExpressionSizeError."""
    if isinstance(start, _NUMBERS):
        return sum(iterable, start)
    total = start
    for item in iterable:
        total = guarded_add(total, item)
    return total


def _comparable(values: Any) -> list:
    # Comparing containers walks them in C; refuse ones far larger than they look.
    items = produced(list(values), "the list of values to compare")
    if any([isinstance(item, _CONTAINERS) for item in items]):
        check_size(items, "the list of values to compare")
    return items


def safe_sorted(iterable: Any, *, key: Callable | None = None, reverse: bool = False) -> list:
    """``sorted()`` that refuses to compare containers over the size limit."""
    return sorted(_comparable(iterable), key=key, reverse=reverse)


def safe_min(*args: Any, **kwargs: Any) -> Any:
    """``min()`` that refuses to compare containers over the size limit."""
    return min(_comparable(args[0] if len(args) == 1 else args), **kwargs)


def safe_max(*args: Any, **kwargs: Any) -> Any:
    """``max()`` that refuses to compare containers over the size limit."""
    return max(_comparable(args[0] if len(args) == 1 else args), **kwargs)


def safe_repr(value: Any) -> str:
    """``repr()`` of a value within the size limit. Raises ExpressionSizeError."""
    check_size(value, "the value given to repr()")
    return produced(repr(value), "the text from repr()")


def safe_round(number: Any, ndigits: int | None = None) -> Any:
    """``round()`` with ``ndigits`` within ``MAX_ROUND_DIGITS`` either way. Raises ExpressionSizeError."""
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ExpressionSizeError(f"round() accepts at most {MAX_ROUND_DIGITS:,} digits either way")
    return round(number, ndigits)


class GuardedType(type):
    """Metaclass of the sandbox's ``str``, ``list``, ``dict``...: calling one is guarded, the rest
    (``isinstance(x, str)``, ``str.lower``, ``dict.fromkeys``) behaves as the real type.

    Why not plain functions: ``isinstance(value, str)`` is common in pathway scripts.
    """

    real: type

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls.real is str and args:
            check_size(args[0], "the value given to str()")
        return produced(cls.real(*args, **kwargs), f"the result of {cls.real.__name__}()")

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls.real)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls.real)

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls.real, name)


def guarded_type(real: type) -> GuardedType:
    """The sandbox's stand-in for the built-in type ``real``."""
    stand_in = GuardedType(real.__name__, (), {"real": real, "__doc__": f"The sandbox's {real.__name__}."})
    TYPE_ALIASES[stand_in] = real
    return stand_in
