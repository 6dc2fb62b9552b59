"""The checks behind the pathway sandbox: the compile-time policy and the run-time guards.

:mod:`engine.sandbox` compiles every pathway expression with RestrictedPython under
:class:`PathwayPolicy`, which rewrites the code so that the risky operations call the guards
defined here:

* attribute access ``a.b`` becomes ``_getattr_(a, "b")`` (:func:`guarded_getattr`);
* ``a * b``, ``a ** b``, ``a << b``, ``a + b`` and ``a % b`` become ``_mul_(a, b)`` and so on, which
  refuse to build a value past the size limits *before* Python allocates it;
* every f-string field ``{x!r:>10}`` becomes ``{_format_(x, 114, '>10')}`` (:func:`guarded_format`);
* ``x += y`` becomes ``x = _inplacevar_('+=', x, y)``.

Size is measured by :func:`weight`: the items and characters of a value counted through nested
containers, each reference counted again, because that is what ``str()`` or JSON would produce.

Time is limited by :func:`time_limit`, a ``sys.settrace`` tracer that only watches frames whose code
came from the sandbox (``co_filename == FILENAME``). Python code outside the sandbox is not
traced, so every guard and helper here is bounded in the work it does; C-level iteration is
bounded by the capped :func:`safe_range` and the deadline-checking :func:`safe_iter`.

All limits are the module constants below (``MAX_SIZE`` and so on).
"""
from __future__ import annotations

import ast
import contextlib
import datetime as _dt
import math
import operator
import re
import sys
import threading
import time
import types
from typing import Any, Callable, Iterator

from RestrictedPython import RestrictingNodeTransformer
from RestrictedPython.Guards import raise_, safer_getattr
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, copy_locations

from engine.errors import ExpressionSizeError, ExpressionTimeoutError, SandboxViolationError

#: The file name given to sandboxed code; the tracer watches frames with this ``co_filename``.
FILENAME = "<pathway>"
#: Largest value (items plus characters, through nested containers) an expression may build.
MAX_SIZE = 100_000
#: Largest integer, in bits, that ``*``, ``**`` and ``<<`` may produce (about 2,500 digits).
MAX_INT_BITS = 8_192
#: Largest width or precision in a format (f-string, ``%``, ``strftime``).
MAX_FORMAT_WIDTH = 1_000
#: Most numbers a ``range()`` may hold.
MAX_RANGE = 10_000
#: Most items ``iter(callable, sentinel)`` may produce.
MAX_ITER_ITEMS = 1_000_000
#: Largest ``ndigits`` (either sign) accepted by ``round()``.
MAX_ROUND_DIGITS = 1_000

#: Attribute names refused on every object: they build values far larger than their inputs
#: (``'x'.ljust(10**9)``, ``(1).to_bytes(10**9, 'big')``), reach format-string attribute lookups
#: (``'{0.__class__}'.format(x)``) or walk the class hierarchy (``mro``).
REFUSED_ATTRIBUTES = frozenset({
    "ljust", "rjust", "center", "zfill", "expandtabs", "format", "format_map",
    "translate", "maketrans", "to_bytes", "mro",
}) | INSPECT_ATTRIBUTES
#: Prefixes of frame, code, generator, coroutine and traceback attributes, refused in case a
#: future Python adds one that RestrictedPython's list does not know.
REFUSED_PREFIXES = ("f_", "gi_", "cr_", "ag_", "tb_", "co_")
#: Names refused at compile time: ways out of the sandbox (or into the terminal) that no pathway
#: needs. Harmless-looking builtins that data may use as field names (``type``, ``id``,
#: ``input``) are stubs at run time instead; see :func:`unavailable`.
FORBIDDEN_NAMES = frozenset({
    "eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr", "setattr", "delattr",
    "hasattr", "breakpoint", "print", "printed", "exit", "quit", "memoryview", "super", "builtins",
})

_TEXT = (str, bytes, bytearray)
_CONTAINERS = (list, tuple, dict, set, frozenset)
_NESTED = _TEXT + _CONTAINERS
_SEQUENCES = _TEXT + (list, tuple)
_NUMBERS = (int, float, complex)

# ---------------------------------------------------------------------------------------------
# Compile-time policy


class PathwayPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened for pathway expressions and scripts."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f"'{node.id}' is not available in pathway expressions.")
            return node
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if node.attr in REFUSED_ATTRIBUTES or node.attr.startswith(REFUSED_PREFIXES):
            self.error(node, f"the attribute '{node.attr}' is not available in pathway expressions.")
        return super().visit_Attribute(node)

    def visit_Import(self, node: ast.AST) -> ast.AST:
        self.error(node, "import statements are not allowed; the helpers (date, add_working_days, ...) "
                         "are available by name.")
        return node

    visit_ImportFrom = visit_Import

    def visit_Try(self, node: ast.AST) -> ast.AST:
        # A caught ExpressionTimeoutError would switch the tracer off (CPython drops a trace
        # function that raises), after which a loop could run for ever.
        self.error(node, "try statements are not allowed in pathway scripts.")
        return node

    visit_TryStar = visit_Try

    def visit_With(self, node: ast.AST) -> ast.AST:
        self.error(node, "with statements are not allowed in pathway scripts.")
        return node

    def visit_ClassDef(self, node: ast.AST) -> ast.AST:
        self.error(node, "class definitions are not allowed in pathway scripts.")
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.decorator_list:
            self.error(node, "decorators are not allowed in pathway scripts.")
        return super().visit_FunctionDef(node)

    def visit_While(self, node: ast.While) -> ast.AST:
        node = self.node_contents_visit(node)
        # ``while True: pass`` compiles to one instruction that jumps to itself, and CPython 3.11
        # fires no line event for that, so the tracer would never see the loop turn. Reading a
        # name at the top of the body makes every turn a backward jump to an earlier instruction.
        tick = ast.Expr(value=ast.Name(LOOP_TICK, ast.Load()))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        guard = _BINOP_GUARDS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        spec = node.format_spec
        if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
            text = "".join(str(v.value) for v in spec.values)
            # A '%' means a date format (or a percentage); the value's type decides at run time.
            problem = strftime_problem(text) if "%" in text else width_problem(text)
            if problem:
                self.error(node, problem)
        call = ast.Call(func=ast.Name("_format_", ast.Load()),
                        args=[node.value, ast.Constant(node.conversion), spec or ast.Constant(None)],
                        keywords=[])
        copy_locations(call, node)
        new = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        copy_locations(new, node)
        return new


#: A name the policy reads at the top of every ``while`` body (see ``visit_While``).
LOOP_TICK = "_tick_"
_BINOP_GUARDS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Add: "_add_",
                 ast.Mod: "_mod_"}

# ---------------------------------------------------------------------------------------------
# Time limit

_state = threading.local()


def _deadlines() -> list[tuple[float, str]]:
    if not hasattr(_state, "deadlines"):
        _state.deadlines = []
    return _state.deadlines


def check_deadline() -> None:
    """Raise if the innermost running evaluation on this thread is past its deadline.

    Called by guards that loop in C on the sandbox's behalf (:func:`safe_iter`).

    Raises:
        ExpressionTimeoutError: the deadline has passed.
    """
    deadlines = _deadlines()
    if deadlines and time.monotonic() > deadlines[-1][0]:
        raise ExpressionTimeoutError(deadlines[-1][1])


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Trace sandboxed frames on this thread and stop them once ``seconds`` have passed.

    The global trace function hands a local tracer only to frames whose code came from
    :data:`FILENAME` (module, functions, lambdas, comprehensions, generators); other frames go to
    the tracer that was installed before, if any. Line events fire on every loop iteration, so a
    loop cannot run past the deadline. The previous tracer is restored on the way out, also after
    a timeout (CPython drops a tracer that raised).

    Args:
        seconds: The wall-clock budget, more than 0.

    Raises:
        ExpressionTimeoutError: from inside the block, once the budget is spent.
        ValueError: ``seconds`` is not positive.
    """
    if not seconds > 0:
        raise ValueError(f"the time limit must be more than 0 seconds, not {seconds!r}")
    deadline = time.monotonic() + seconds
    message = f"the expression ran for longer than its time limit of {seconds:g} seconds"
    previous = sys.gettrace()

    def local_tracer(frame, event, arg):
        if time.monotonic() > deadline:
            raise ExpressionTimeoutError(message)
        return local_tracer

    def global_tracer(frame, event, arg):
        if frame.f_code.co_filename == FILENAME:
            return local_tracer(frame, event, arg)
        return previous(frame, event, arg) if previous is not None else None

    stack = _deadlines()
    stack.append((deadline, message))
    sys.settrace(global_tracer)
    try:
        yield
    finally:
        sys.settrace(previous)
        stack.pop()

# ---------------------------------------------------------------------------------------------
# Sizes


def weight(value: Any, budget: int = MAX_SIZE) -> int:
    """Items plus characters in ``value``, counted through nested containers.

    A value referenced twice counts twice (``str()`` would print it twice). Scalars count 0.
    Stops as soon as the count passes ``budget`` (and then returns that partial count), so the
    work done is bounded by the budget, also for self-referencing containers.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _TEXT):
            total += len(item)
        elif isinstance(item, _CONTAINERS):
            total += len(item)
            if total > budget:
                return total
            children = (*item.keys(), *item.values()) if isinstance(item, dict) else item
            # A list comprehension, not a generator: under the tracer every generator step is a call.
            stack.extend([child for child in children if isinstance(child, _NESTED)])
        if total > budget:
            return total
    return total


def check_size(value: Any, what: str = "the result") -> None:
    """Refuse ``value`` when its :func:`weight` is over :data:`MAX_SIZE`.

    Raises:
        ExpressionSizeError: it is too large; the message names ``what``.
    """
    if isinstance(value, _NESTED) and weight(value) > MAX_SIZE:
        raise ExpressionSizeError(f"{what} is too large (more than {MAX_SIZE:,} items and characters)")


def _check_length(value: Any, what: str) -> None:
    if isinstance(value, _NESTED) and len(value) > MAX_SIZE:
        raise ExpressionSizeError(f"{what} is too large (more than {MAX_SIZE:,} items or characters)")


def _big_number(text: str) -> bool:
    return len(text) > 6 or int(text) > MAX_FORMAT_WIDTH


def width_problem(spec: str) -> str:
    """A message if a format spec (``'>10.2f'``) asks for a width or precision over the limit."""
    if any(_big_number(number) for number in re.findall(r"\d+", spec)):
        return f"a format width or precision over {MAX_FORMAT_WIDTH:,} is not allowed."
    return ""


def strftime_problem(fmt: str) -> str:
    """A message if a ``strftime`` format (``'%010Y'``) pads a field past the limit."""
    if any(_big_number(number) for number in re.findall(r"%[-_0^#]*(\d+)", fmt)):
        return f"a date format width over {MAX_FORMAT_WIDTH:,} is not allowed."
    return ""


_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")


def percent_problem(fmt: str | bytes) -> str:
    """A message if a ``%`` format asks for a ``*`` width or a width or precision over the limit."""
    text = fmt.decode("latin-1") if isinstance(fmt, (bytes, bytearray)) else fmt
    for match in _PERCENT.finditer(text):
        for number in match.groups():
            if number == "*":
                return "a '*' width or precision in a % format is not allowed."
            if number and _big_number(number):
                return f"a format width or precision over {MAX_FORMAT_WIDTH:,} is not allowed."
    return ""

# ---------------------------------------------------------------------------------------------
# Operators (the policy rewrites BinOp nodes into calls of these)


def _too_big_int() -> ExpressionSizeError:
    return ExpressionSizeError(f"the number would be too large (more than {MAX_INT_BITS:,} bits)")


def _check_repeat(seq: Any, times: int) -> None:
    if times <= 0 or not seq:
        return
    if times > MAX_SIZE:
        raise ExpressionSizeError(f"repeating a value {min(times, 10**12):,} times is not allowed "
                                  f"(the limit is {MAX_SIZE:,} items and characters)")
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
    return a * b


def guarded_add(a: Any, b: Any) -> Any:
    """``a + b``, refusing a joined sequence over :data:`MAX_SIZE`. Raises ExpressionSizeError."""
    _check_add(a, b)
    return a + b


def guarded_pow(a: Any, b: Any) -> Any:
    """``a ** b``, refusing integers over :data:`MAX_INT_BITS`. Raises ExpressionSizeError."""
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        if b > MAX_INT_BITS or b * math.log2(abs(a)) > MAX_INT_BITS:
            raise _too_big_int()
    return a ** b


def guarded_lshift(a: Any, b: Any) -> Any:
    """``a << b``, refusing integers over :data:`MAX_INT_BITS`. Raises ExpressionSizeError."""
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
    result = a % b
    _check_length(result, "the formatted text")
    return result


def guarded_format(value: Any, conversion: int, spec: str | None) -> str:
    """One f-string field: ``{value!conversion:spec}``, with the size limits.

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
    result = format(value, spec or "")
    _check_length(result, "the formatted text")
    return result


_IN_PLACE: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.isub, "/=": operator.itruediv, "//=": operator.ifloordiv, ">>=": operator.irshift,
    "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand,
    "**=": guarded_pow, "<<=": guarded_lshift, "%=": guarded_mod,
}


def inplacevar(op: str, x: Any, y: Any) -> Any:
    """``x op= y`` for a plain name (RestrictedPython's ``_inplacevar_``), size-checked.

    Raises:
        ExpressionSizeError: the result would be over the limits.
        SandboxViolationError: an operator the sandbox does not know (``@=``).
    """
    if op == "+=":
        return operator.iadd(x, _check_add(x, y, in_place=True))  # in place, so other names for a list see it
    if op == "*=":
        _check_mul(x, y)
        return operator.imul(x, y)
    if op not in _IN_PLACE:
        raise SandboxViolationError(f"the operator {op} is not available in pathway expressions")
    return _IN_PLACE[op](x, y)

# ---------------------------------------------------------------------------------------------
# Attribute access, and the methods of built-in types that can build big values


def attribute_problem(name: Any) -> str:
    """A message if the attribute ``name`` may not be read in the sandbox, else ""."""
    if not isinstance(name, str):
        return "attribute names must be text"
    if name.startswith("_") or name in REFUSED_ATTRIBUTES or name.startswith(REFUSED_PREFIXES):
        return f"the attribute '{name}' is not available in pathway expressions"
    return ""


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
    # list.index() puts repr(x) in its error message, computed in C.
    if args:
        check_size(args[0], "the value searched for")
    return args


def _pre_strftime(value: Any, args: tuple, kwargs: dict) -> tuple:
    fmt = args[0] if args else kwargs.get("format")
    if isinstance(fmt, str):
        problem = strftime_problem(fmt)
        if problem:
            raise ExpressionSizeError(problem)
    return args


_PRECHECKS = {"join": _pre_join, "replace": _pre_replace, "extend": _pre_extend, "index": _pre_search,
              "count": _pre_search, "remove": _pre_search, "strftime": _pre_strftime}
_GUARDED_OWNERS = (str, bytes, bytearray, list, tuple, dict, set, frozenset, _dt.date, _dt.time,
                   _dt.timedelta)
#: Sandbox stand-ins for built-in types (``str`` is :class:`GuardedStr`) mapped to the real type.
TYPE_ALIASES: dict[type, type] = {}


def _guard_method(name: str, method: Callable, owner: Any, unbound: bool) -> Callable:
    precheck = _PRECHECKS.get(name)

    def guarded(*args, **kwargs):
        if precheck is not None:
            if not unbound:
                args = precheck(owner, args, kwargs)
            elif args:  # ``str.join(sep, items)``: the instance comes first
                args = (args[0], *precheck(args[0], args[1:], kwargs))
        result = method(*args, **kwargs)
        _check_length(result, f"the result of {name}()")
        return result

    guarded.__name__ = name
    return guarded


def guarded_getattr(obj: Any, name: str) -> Any:
    """``obj.name`` for sandboxed code (RestrictedPython's ``_getattr_``).

    Builds on RestrictedPython's ``safer_getattr`` (no ``_`` names, no ``str.format``, no frame or
    code attributes) and also refuses :data:`REFUSED_ATTRIBUTES`, anything on a module, and wraps
    the methods of built-in types so that their results are size-checked.

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
    if isinstance(obj, type):
        if issubclass(obj, _GUARDED_OWNERS) and callable(value) and not isinstance(value, type):
            unbound = isinstance(value, (types.MethodDescriptorType, types.WrapperDescriptorType))
            return _guard_method(name, value, obj, unbound)
    elif isinstance(obj, _GUARDED_OWNERS) and callable(value) and not isinstance(value, type):
        return _guard_method(name, value, obj, False)
    return value


def guarded_getitem(obj: Any, key: Any) -> Any:
    """``obj[key]`` (RestrictedPython's ``_getitem_``)."""
    return obj[key]


def guarded_getiter(obj: Any) -> Any:
    """The iterable of a ``for`` loop or comprehension (RestrictedPython's ``_getiter_``)."""
    return obj


def apply(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)`` (RestrictedPython's ``_apply_`` for star-arguments)."""
    return func(*args, **kwargs)


def refuse_import(name: str, *args: Any, **kwargs: Any) -> None:
    """The sandbox's ``__import__``: no module may be imported.

    Raises:
        SandboxViolationError: always.
    """
    raise SandboxViolationError(f"importing {name!r} is not allowed in pathway expressions")


def unavailable(name: str) -> Callable:
    """A stand-in for a builtin the sandbox withholds; calling it explains why.

    A stand-in rather than a compile error, so that case data may still use the name
    (``type``, ``id``) as a field name: data shadows builtins.
    """
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise SandboxViolationError(f"'{name}' is not available in pathway expressions")

    refuse.__name__ = name
    return refuse

# ---------------------------------------------------------------------------------------------
# Bounded versions of builtins that loop or build text in C


def safe_range(*args: int) -> range:
    """``range()`` holding at most :data:`MAX_RANGE` numbers. Raises ExpressionSizeError."""
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
    """``iter(obj)``, or ``iter(func, sentinel)`` that obeys the time limit and a size cap."""
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
    items = list(values)
    if any([isinstance(item, _CONTAINERS) for item in items]):
        check_size(items, "the values to compare")
    return items


def safe_sorted(iterable: Any, *, key: Callable | None = None, reverse: bool = False) -> list:
    """``sorted()`` that refuses to compare containers over the size limit."""
    return sorted(_comparable(iterable), key=key, reverse=reverse)


def _extreme(func: Callable, args: tuple, kwargs: dict) -> Any:
    values = _comparable(args[0] if len(args) == 1 else args)
    return func(values, **kwargs)


def safe_min(*args: Any, **kwargs: Any) -> Any:
    """``min()`` that refuses to compare containers over the size limit."""
    return _extreme(min, args, kwargs)


def safe_max(*args: Any, **kwargs: Any) -> Any:
    """``max()`` that refuses to compare containers over the size limit."""
    return _extreme(max, args, kwargs)


def safe_repr(value: Any) -> str:
    """``repr()`` of a value within the size limit. Raises ExpressionSizeError."""
    check_size(value, "the value given to repr()")
    result = repr(value)
    _check_length(result, "the text from repr()")
    return result


def safe_round(number: Any, ndigits: int | None = None) -> Any:
    """``round()`` with ``ndigits`` within ±:data:`MAX_ROUND_DIGITS`. Raises ExpressionSizeError."""
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ExpressionSizeError(f"round() accepts at most {MAX_ROUND_DIGITS:,} digits either way")
    return round(number, ndigits)


def _safe_str(*args: Any, **kwargs: Any) -> str:
    if args:
        check_size(args[0], "the value given to str()")
    result = str(*args, **kwargs)
    _check_length(result, "the text from str()")
    return result


class _GuardedType(type):
    """Metaclass of :class:`GuardedStr`: calls go through the guard, the rest to ``str``."""

    def __call__(cls, *args: Any, **kwargs: Any) -> str:
        return _safe_str(*args, **kwargs)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, str)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, str)

    def __getattr__(cls, name: str) -> Any:
        return getattr(str, name)


class GuardedStr(metaclass=_GuardedType):
    """The sandbox's ``str``: ``str(x)`` is size-checked; ``isinstance(x, str)`` and ``str.lower`` work.

    Why not a function: ``isinstance(value, str)`` is common in pathway scripts.
    """


TYPE_ALIASES[GuardedStr] = str
