"""The sandbox's limits, its compile-time policy and its compiler.

Every limit of the pathway sandbox is a constant here (the time limit is per call, see
:data:`engine.sandbox.DEFAULT_TIME_LIMIT`), so there is one place to read or change them.

:class:`PathwayPolicy` is the RestrictedPython policy that pathway code is compiled under:
RestrictedPython's own rules (no names or attributes starting with ``_``, attribute and item
access through guards...) plus ours:

* names and attributes that lead out of the sandbox or amplify size are refused outright, so that
  the validator (:func:`engine.sandbox.check_source`) reports them before publication;
* ``import``, ``try``, ``with``, classes, decorators and ``*``/``**`` unpacking inside literals are
  refused (why: see each ``visit_`` method);
* ``*``, ``**``, ``<<``, ``+``, ``%``, ``-``, ``|``, ``&``, ``^`` become calls of the guards in
  :mod:`engine.sandbox_guards` (``_mul_(a, b)``...), every f-string field becomes
  ``_format_(value, conversion, spec)``, and every ``while`` body starts by reading ``_tick_``.

:func:`compile_source` compiles with RestrictedPython's ``compile_restricted_eval`` /
``compile_restricted_exec`` under this policy and caches the result by ``(source, mode)``.
"""
from __future__ import annotations

import ast
import functools
import re
import types
import warnings
from dataclasses import dataclass

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, copy_locations

#: The file name given to sandboxed code; the tracer watches frames with this ``co_filename``.
FILENAME = "<pathway>"
#: Largest value (items plus characters, through nested containers) an expression may build or leave.
MAX_SIZE = 100_000
#: Deepest nesting of lists and dicts in a result or script variable.
MAX_DEPTH = 100
#: Most items and characters all the copies made by one run may add up to (``[s.upper() for ...]``).
#: An item can be a new object (``list(zip(a, b))`` makes tuples), so the memory this allows is
#: up to a few hundred MB; it stops a loop from copying its way to gigabytes within the time limit.
MAX_ALLOCATED = 3_000_000
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
#: ``input``) are stubs at run time instead (:func:`engine.sandbox_guards.unavailable`).
FORBIDDEN_NAMES = frozenset({
    "eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr", "setattr", "delattr",
    "hasattr", "breakpoint", "print", "printed", "exit", "quit", "memoryview", "super", "builtins",
})
#: A name read at the top of every ``while`` body (see :meth:`PathwayPolicy.visit_While`).
LOOP_TICK = "_tick_"
#: The guard each binary operator is rewritten into.
BINOP_GUARDS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Add: "_add_", ast.Mod: "_mod_",
                ast.Sub: "_sub_", ast.BitOr: "_or_", ast.BitAnd: "_and_", ast.BitXor: "_xor_"}


def attribute_problem(name: object) -> str:
    """A message if the attribute ``name`` may not be read in the sandbox, else ""."""
    if not isinstance(name, str):
        return "attribute names must be text"
    if name.startswith("_") or name in REFUSED_ATTRIBUTES or name.startswith(REFUSED_PREFIXES):
        return f"the attribute '{name}' is not available in pathway expressions"
    return ""


def _big_number(text: str) -> bool:
    return len(text) > 6 or int(text) > MAX_FORMAT_WIDTH


def width_problem(spec: str) -> str:
    """A message if a format spec (``'>10.2f'``) asks for a width or precision over the limit."""
    if any(_big_number(number) for number in re.findall(r"\d+", spec)):
        return f"a format width or precision over {MAX_FORMAT_WIDTH:,} is not allowed"
    return ""


def strftime_problem(fmt: str) -> str:
    """A message if a ``strftime`` format (``'%010Y'``) pads a field past the limit."""
    if any(_big_number(number) for number in re.findall(r"%[-_0^#]*(\d+)", fmt)):
        return f"a date format width over {MAX_FORMAT_WIDTH:,} is not allowed"
    return ""


_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")


def percent_problem(fmt: str | bytes | bytearray) -> str:
    """A message if a ``%`` format asks for a ``*`` width or a width or precision over the limit."""
    text = fmt.decode("latin-1") if isinstance(fmt, (bytes, bytearray)) else fmt
    for match in _PERCENT.finditer(text):
        for number in match.groups():
            if number == "*":
                return "a '*' width or precision in a % format is not allowed"
            if number and _big_number(number):
                return f"a format width or precision over {MAX_FORMAT_WIDTH:,} is not allowed"
    return ""


class PathwayPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened for pathway expressions and scripts."""

    def _call(self, guard: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=args, keywords=[])
        copy_locations(call, like)
        return call

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
        # function that raised), after which a loop could run for ever.
        self.error(node, "try statements are not allowed in pathway scripts.")
        return node

    visit_TryStar = visit_Try

    def visit_With(self, node: ast.AST) -> ast.AST:
        # A context manager's __exit__ could swallow the timeout, as ``try`` could.
        self.error(node, "with statements are not allowed in pathway scripts.")
        return node

    def visit_ClassDef(self, node: ast.AST) -> ast.AST:
        # Classes bring metaclasses, __init_subclass__ and special methods RestrictedPython allows.
        self.error(node, "class definitions are not allowed in pathway scripts.")
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.decorator_list:
            self.error(node, "decorators are not allowed in pathway scripts.")
        return super().visit_FunctionDef(node)

    def _no_star(self, node: ast.AST, elts: list) -> None:
        # ``[*big]`` copies in C with no guard to count it; list(big) + ... goes through one.
        if any(isinstance(elt, ast.Starred) for elt in elts):
            self.error(node, "unpacking with * inside a list, tuple or set is not allowed; "
                             "use list(a) + list(b) instead.")

    def visit_List(self, node: ast.List) -> ast.AST:
        if isinstance(node.ctx, ast.Load):
            self._no_star(node, node.elts)
        return super().visit_List(node)

    def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
        if isinstance(node.ctx, ast.Load):
            self._no_star(node, node.elts)
        return super().visit_Tuple(node)

    def visit_Set(self, node: ast.Set) -> ast.AST:
        self._no_star(node, node.elts)
        return super().visit_Set(node)

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        if any(key is None for key in node.keys):
            self.error(node, "unpacking with ** inside a dict is not allowed; use dict(a, key=value) or a | b instead.")
        return super().visit_Dict(node)

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
        guard = BINOP_GUARDS.get(type(node.op))
        return node if guard is None else self._call(guard, [node.left, node.right], node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        spec = node.format_spec
        if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
            text = "".join(str(v.value) for v in spec.values)
            # A '%' means a date format (or a percentage); the value's type decides at run time.
            problem = strftime_problem(text) if "%" in text else width_problem(text)
            if problem:
                self.error(node, problem + ".")
        call = self._call("_format_", [node.value, ast.Constant(node.conversion), spec or ast.Constant(None)], node)
        new = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        copy_locations(new, node)
        return new

# ---------------------------------------------------------------------------------------------
# Compiling

#: How many compiled (source, mode) pairs are kept.
COMPILE_CACHE_SIZE = 1024
#: Longest source accepted, in characters; longer is refused before parsing.
MAX_SOURCE_LENGTH = 100_000
_CACHED_SOURCE_LENGTH = 10_000  # longer sources are compiled every time rather than pinned in the cache
_MODES = ("eval", "exec")


@dataclass(frozen=True)
class Compiled:
    """The outcome of compiling: ``code``, or None and the ``errors``."""

    code: types.CodeType | None
    errors: tuple[str, ...]


def _syntax_message(exc: SyntaxError) -> str:
    return f"syntax error on line {exc.lineno or 1}: {exc.msg}"


def _compile_uncached(source: str, mode: str) -> Compiled:
    if len(source) > MAX_SOURCE_LENGTH:
        return Compiled(None, (f"the code is too long ({len(source):,} characters; the limit is "
                               f"{MAX_SOURCE_LENGTH:,})",))
    text = source
    if mode == "eval":
        # BPMN editors indent conditions inside the XML; keep the leading newlines so that line
        # numbers in messages still match the source.
        stripped = source.strip()
        text = "\n" * source[:len(source) - len(source.lstrip())].count("\n") + stripped
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        # Python warns about some code (``x is 1``, ``"\d"``); pathway code is judged by the policy.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, FILENAME, mode)
            result = compiler(tree, FILENAME, policy=PathwayPolicy)
    except SyntaxError as exc:  # from ast.parse, or from compile() (``return`` outside a function)
        return Compiled(None, (_syntax_message(exc),))
    except (RecursionError, MemoryError):
        return Compiled(None, ("the code is nested too deeply to compile",))
    except ValueError as exc:  # e.g. a NUL character in the source
        return Compiled(None, (f"the code cannot be compiled: {exc}",))
    if result.errors:
        return Compiled(None, tuple(result.errors))
    return Compiled(result.code, ())


_compile_cached = functools.lru_cache(maxsize=COMPILE_CACHE_SIZE)(_compile_uncached)


def compile_source(source: str, mode: str) -> Compiled:
    """Compile ``source`` under :class:`PathwayPolicy`, through a bounded LRU cache.

    Returns:
        The code, or ``code=None`` and plain-English messages ("syntax error on line 2: ...",
        "Line 1: ...") when it does not compile.

    Raises:
        TypeError: ``source`` is not a str.
        ValueError: ``mode`` is not ``"eval"`` or ``"exec"``.
    """
    if not isinstance(source, str):
        raise TypeError(f"pathway code must be text, not {type(source).__name__}")
    if mode not in _MODES:
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if len(source) > _CACHED_SOURCE_LENGTH:
        return _compile_uncached(source, mode)
    return _compile_cached(source, mode)
