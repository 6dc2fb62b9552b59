"""The sandbox every pathway expression and script runs in.

Gateway conditions, script tasks, pre- and post-scripts, timer expressions, DMN cells and due-date
expressions are Python, written by pathway authors and run by SpiffWorkflow while a case moves.
SpiffWorkflow's own engine runs them with plain ``eval``/``exec`` and full builtins, and
RestrictedPython's ``safe_globals`` with plain ``eval`` can still be escaped through
``().__class__.__base__.__subclasses__()`` (see the SpiffWorkflow findings, section 6). So:

1. **Compile restricted** (:mod:`engine.sandbox_policy`). Code is compiled with RestrictedPython's
   ``compile_restricted_eval`` / ``compile_restricted_exec`` under ``PathwayPolicy``: no names or
   attributes starting with ``_``, no frame/code/generator internals, no imports, no ``try``,
   ``with``, classes or decorators, no ``eval``/``open``/``getattr``... Attribute and item access,
   iteration, unpacking, most binary operators and f-string fields are rewritten into calls of
   guards. Compiled code is cached by ``(source, mode)`` in a bounded LRU.
2. **Nothing to import, little to call** (:mod:`engine.sandbox_helpers`). The code's
   ``__builtins__`` are the date helpers, bounded versions of a few builtins, and stubs that
   explain why ``type``, ``input`` and the like are withheld.
3. **Time** (:mod:`engine.sandbox_limits`). Each run has a wall-clock limit
   (:data:`DEFAULT_TIME_LIMIT`, or ``time_limit=``), enforced by a ``sys.settrace`` tracer on the
   current thread that only watches frames of sandboxed code.
4. **Size** (:mod:`engine.sandbox_guards`). The guards refuse to build values past the limits
   before Python allocates them, and charge every copy to a per-run allocation budget; the
   result of an expression and the variables a script leaves behind are measured too. All
   limits are constants in :mod:`engine.sandbox_policy`.
5. **Errors.** Refused code raises :class:`~engine.errors.SandboxViolationError` (a syntax error
   too, with "syntax error on line N" in the message), a timeout
   :class:`~engine.errors.ExpressionTimeoutError`, an oversized value
   :class:`~engine.errors.ExpressionSizeError`; any other failure (``NameError``, ``TypeError``...)
   becomes an :class:`~engine.errors.ExpressionError` with a plain message, chained from it.
   :class:`SandboxScriptEngine` adds the BPMN element id and the expression.

Task-data keys starting with ``_`` are invisible to sandboxed code (RestrictedPython refuses such
names) and are never touched by a script.

Not bounded: C-level work whose cost grows with values built from many references to one large
value (``==``, ``in`` or hashing of such a list), and the memory a traced loop can fill within its
time limit. Run case steps in a worker with a process-level timeout and memory limit as a backstop.
"""
from __future__ import annotations

import copy
import reprlib
import types
from typing import Any, Mapping

from RestrictedPython.Guards import full_write_guard
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine import sandbox_guards as g
from engine.errors import ExpressionError, ExpressionSizeError, SandboxViolationError
from engine.sandbox_helpers import BUILTINS, HELPERS, SAFE_BUILTINS
from engine.sandbox_limits import check_value, limits
from engine.sandbox_policy import FILENAME, LOOP_TICK, compile_source

__all__ = ["DEFAULT_TIME_LIMIT", "HELPER_NAMES", "SandboxEnvironment", "SandboxScriptEngine", "check_source",
           "evaluate", "execute", "make_script_engine"]

#: Seconds an expression or script may run unless the caller says otherwise.
DEFAULT_TIME_LIMIT = 1.0

#: Every name the sandbox provides: the pathway helpers and the safe builtins. Case data shadows
#: them; a script's own variable with one of these names is not written back to the case.
HELPER_NAMES: frozenset[str] = frozenset(HELPERS) | (frozenset(SAFE_BUILTINS) - {"None", "True", "False"})

_GUARDS: dict[str, Any] = {
    "_getattr_": g.guarded_getattr,
    "_getitem_": g.guarded_getitem,
    "_getiter_": g.guarded_getiter,
    "_iter_unpack_sequence_": g.iter_unpack_sequence,
    "_unpack_sequence_": g.unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": g.inplacevar,
    "_apply_": g.apply,
    "_mul_": g.guarded_mul,
    "_pow_": g.guarded_pow,
    "_lshift_": g.guarded_lshift,
    "_add_": g.guarded_add,
    "_mod_": g.guarded_mod,
    "_sub_": g.guarded_sub,
    "_or_": g.guarded_or,
    "_and_": g.guarded_and,
    "_xor_": g.guarded_xor,
    "_format_": g.guarded_format,
    LOOP_TICK: None,
}
_MAX_MESSAGE = 300

# ---------------------------------------------------------------------------------------------
# Compiling


def _code(source: str, mode: str) -> types.CodeType:
    compiled = compile_source(source, mode)
    if compiled.code is None:
        raise SandboxViolationError("; ".join(compiled.errors), expression=source)
    return compiled.code


def check_source(source: str, mode: str) -> list[str]:
    """Compile ``source`` under the sandbox policy without running it.

    Used by the pathway validator before publication. Catches syntax errors and everything the
    policy refuses (``__import__('os')``, ``x.__class__``, ``import os``, ``open``, ``try``...), not
    run-time problems such as a bare ``PT2H`` (a valid name that will not exist).

    Args:
        source: The expression (mode ``"eval"``) or script (mode ``"exec"``).
        mode: ``"eval"`` or ``"exec"``.

    Returns:
        ``[]`` when it compiles, otherwise one plain-English message per problem.

    Raises:
        ValueError: ``mode`` is not ``"eval"`` or ``"exec"``.
        TypeError: ``source`` is not a str.
    """
    return list(compile_source(source, mode).errors)

# ---------------------------------------------------------------------------------------------
# Running


def _visible(key: Any) -> bool:
    return isinstance(key, str) and not key.startswith("_")


def _namespace(data: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    names: dict[str, Any] = {key: value for key, value in (extra or {}).items() if _visible(key)}
    names.update((key, value) for key, value in data.items() if _visible(key))
    names.update(_GUARDS)
    names["__builtins__"] = BUILTINS
    return names


def _limit(time_limit: float | None) -> float:
    limit = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
        raise ValueError(f"time_limit must be a number of seconds above 0, not {time_limit!r}")
    return float(limit)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        message = f"there is no item {reprlib.repr(exc.args[0])}" if exc.args else "an item is missing"
    elif isinstance(exc, StopIteration):
        message = "an iterator ran out of items"
    elif isinstance(exc, AssertionError):
        message = f"assertion failed: {exc}" if exc.args else "assertion failed"
    else:
        message = str(exc) or type(exc).__name__
    return message if len(message) <= _MAX_MESSAGE else message[:_MAX_MESSAGE - 3] + "..."


def _sandbox_line(exc: BaseException) -> int | None:
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _run(code: types.CodeType, names: dict[str, Any], time_limit: float, mode: str, source: str) -> Any:
    try:
        with limits(time_limit):
            if mode == "eval":
                return eval(code, names)  # noqa: S307 - restricted code, guarded namespace
            exec(code, names)  # noqa: S102 - restricted code, guarded namespace
            return None
    except ExpressionError as exc:  # ours, from a guard, a helper or the tracer
        failure: BaseException = exc
        error: ExpressionError = exc
    except RecursionError as exc:
        failure, error = exc, ExpressionError("the code called itself too deeply (recursion)")
    except MemoryError as exc:
        failure, error = exc, ExpressionSizeError("the code ran out of memory")
    except Exception as exc:  # noqa: BLE001 - every failure of pathway code becomes an ExpressionError
        failure, error = exc, ExpressionError(_describe(exc))
    # Scripts have lines worth naming; an expression is one line.
    line = _sandbox_line(failure) if mode == "exec" else None
    message = f"{error} (line {line})" if line is not None else str(error)
    raise type(error)(message, expression=source) from failure


def _storable(value: Any) -> bool:
    # Functions, classes, modules, generators and iterators are code or state, not case data.
    return not (callable(value) or isinstance(value, types.ModuleType) or hasattr(type(value), "__next__"))


def _check_value(value: Any, what: str, source: str) -> None:
    try:
        check_value(value, what)
    except ExpressionError as exc:
        raise type(exc)(str(exc), expression=source) from None


def _evaluate(source: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None, time_limit: float | None) -> Any:
    limit = _limit(time_limit)
    code = _code(source, "eval")
    value = _run(code, _namespace(data, extra), limit, "eval", source)
    _check_value(value, "the result", source)
    return value


def _copied(data: dict[str, Any]) -> dict[str, Any]:
    # The script works on a copy, so that a script that fails half-way changes nothing.
    try:
        return copy.deepcopy(data)
    except Exception:  # noqa: BLE001 - data that cannot be copied is used as it is
        return dict(data)


def _same(new: Any, old: Any) -> bool:
    return new is old or (type(new) is type(old) and new == old)


def _execute(source: str, data: dict[str, Any], extra: Mapping[str, Any] | None, time_limit: float | None) -> None:
    limit = _limit(time_limit)
    code = _code(source, "exec")
    before = {key: value for key, value in data.items() if _visible(key)}
    working = _copied(before)
    names = _namespace(working, extra)
    _run(code, names, limit, "exec", source)
    extra_only = {key for key in (extra or {}) if key not in before}
    updates: dict[str, Any] = {}
    removals = [key for key in before if key not in names]
    for key, value in names.items():
        if not _visible(key) or key in extra_only or (key in HELPER_NAMES and key not in before):
            continue
        if not _storable(value):
            if key in before and value is not working[key]:
                removals.append(key)  # the variable now holds a function: it is no longer data
            continue
        if key in before and value is working[key] and not isinstance(value, (list, dict, set)):
            continue  # immutable and untouched
        # Measured before comparing: comparing an oversized value could itself take long.
        _check_value(value, f"the variable {key!r}", source)
        if key not in before or not _same(value, before[key]):
            updates[key] = value
    for key in removals:
        data.pop(key, None)
    data.update(updates)


def evaluate(source: str, names: dict | None = None, *, time_limit: float | None = None) -> Any:
    """Evaluate a pathway expression.

    Args:
        source: A Python expression, e.g. ``"amount > 100 and status in ('new', 'open')"``.
        names: Variables it may read (case data); keys starting with ``_`` are ignored.
        time_limit: Seconds it may run; :data:`DEFAULT_TIME_LIMIT` if None.

    Returns:
        The value of the expression.

    Raises:
        SandboxViolationError: the code is refused (or has a syntax error) or tried something forbidden.
        ExpressionTimeoutError: it ran past the time limit.
        ExpressionSizeError: it built, or gave, a value over the size limits.
        ExpressionError: any other failure, e.g. ``name 'x' is not defined``.
        ValueError: ``time_limit`` is not a positive number.
    """
    return _evaluate(source, names or {}, None, time_limit)


def execute(source: str, names: dict, *, time_limit: float | None = None) -> None:
    """Run a pathway script and write the variables it leaves behind back into ``names``.

    The script runs on a deep copy of ``names``; only when it succeeds are new and changed
    variables written back and deleted ones deleted, so a script that fails changes nothing.
    Functions, modules, iterators, names starting with ``_`` and new variables named like a
    helper (:data:`HELPER_NAMES`) are not written back.

    Args:
        source: The script.
        names: The variables (case data); mutated in place.
        time_limit: Seconds it may run; :data:`DEFAULT_TIME_LIMIT` if None.

    Raises:
        SandboxViolationError: the code is refused (or has a syntax error) or tried something forbidden.
        ExpressionTimeoutError: it ran past the time limit.
        ExpressionSizeError: it built a value, or left a variable, over the size limits.
        ExpressionError: any other failure; the message ends with the script's line number.
        ValueError: ``time_limit`` is not a positive number.
    """
    _execute(source, names, None, time_limit)

# ---------------------------------------------------------------------------------------------
# SpiffWorkflow


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's script environment, running everything through the sandbox.

    ``environment_globals`` are extra names for every expression (under the case data).
    """

    def __init__(self, environment_globals: dict | None = None, *, time_limit: float = DEFAULT_TIME_LIMIT):
        super().__init__(environment_globals)
        self.time_limit = _limit(time_limit)

    def _extra(self, external_context: Mapping | None) -> dict:
        return {**self.globals, **(external_context or {})}

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        """Evaluate ``expression`` over the task data ``context`` (DMN passes ``dmninputexpr`` in
        ``external_context``). Raises the ExpressionError family, as :func:`evaluate`."""
        return _evaluate(expression, context, self._extra(external_context), self.time_limit)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run ``script``, updating the task data ``context`` in place. Raises as :func:`execute`."""
        _execute(script, context, self._extra(external_context), self.time_limit)
        return True

    def call_service(self, context: dict, **kwargs: Any) -> None:
        """Service tasks are not offered.

        Raises:
            SandboxViolationError: always.
        """
        raise SandboxViolationError("service tasks are not available")


def _located(exc: ExpressionError, task: Any, expression: str) -> ExpressionError:
    spec = getattr(task, "task_spec", None)
    element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", "") or ""
    return type(exc)(str(exc), element_id=element_id, expression=expression)


class SandboxScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine on :class:`SandboxEnvironment`.

    Our errors come out as themselves (not wrapped in ``WorkflowTaskException``), re-raised with
    ``element_id`` (the task's BPMN id) and ``expression`` set and chained from the original;
    SpiffWorkflow's own exceptions pass unchanged. Note that SpiffWorkflow's DMN engine wraps
    whatever a rule raises in a ``WorkflowTaskException``; ours is then its ``__context__``.
    """

    def __init__(self, environment: BasePythonScriptEngineEnvironment | None = None, *,
                 time_limit: float = DEFAULT_TIME_LIMIT):
        super().__init__(environment=environment or SandboxEnvironment(time_limit=time_limit))

    def validate(self, expression: str) -> None:
        """Check that ``expression`` compiles under the sandbox (``ast.parse`` semantics).

        Raises:
            SyntaxError: it does not compile, or the policy refuses it.
        """
        compiled = compile_source(expression, "exec")
        if compiled.code is None:
            raise SyntaxError("; ".join(compiled.errors))

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        """Evaluate ``expression`` for ``task``.

        Raises:
            ExpressionError: (or a subclass) with ``element_id`` and ``expression`` set.
            SpiffWorkflowException: unchanged, from SpiffWorkflow itself.
        """
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except ExpressionError as exc:
            raise _located(exc, task, expression) from exc
        except SpiffWorkflowException as exc:
            exc.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as exc:  # noqa: BLE001 - same contract as PythonScriptEngine.evaluate
            raise WorkflowTaskException(f"Error evaluating expression '{expression}'", task=task,
                                        exception=exc) from exc

    def execute(self, task: Any, script: str, external_context: dict | None = None) -> Any:
        """Run ``script`` for ``task``, updating ``task.data``.

        Raises:
            ExpressionError: (or a subclass) with ``element_id`` and ``expression`` set.
            SpiffWorkflowException: unchanged, from SpiffWorkflow itself.
        """
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except ExpressionError as exc:
            raise _located(exc, task, script) from exc
        except SpiffWorkflowException:
            raise
        except Exception as exc:  # noqa: BLE001 - same contract as PythonScriptEngine.execute
            raise self.create_task_exec_exception(task, script, exc) from exc

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        """Service tasks are not offered.

        Raises:
            SandboxViolationError: always, with ``element_id`` set.
        """
        try:
            return self.environment.call_service(task.data, **kwargs)
        except ExpressionError as exc:
            raise _located(exc, task, "") from exc


def make_script_engine(*, time_limit: float = DEFAULT_TIME_LIMIT) -> SandboxScriptEngine:
    """A script engine for ``BpmnWorkflow(spec, script_engine=...)`` with the given time limit (seconds).

    Raises:
        ValueError: ``time_limit`` is not a positive number.
    """
    return SandboxScriptEngine(time_limit=time_limit)
