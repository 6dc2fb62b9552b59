"""Letter templates: the small, sandboxed part of Jinja2 that service managers write letters in.

A template is plain text with ``{{ field }}`` for values from the case, filters (``{{ child_dob |
long_date }}``, ``{{ letter_next_steps | default("...") }}``), tests (``is defined``) and
``{% if %}``/``{% elif %}``/``{% else %}`` and ``{% for %}`` blocks. A line holding nothing but such
tags leaves nothing in the letter (not even an empty line); lines are kept as written, so a
paragraph is usually one line; paragraphs are separated by a blank line, and several count as one.

Templates are pathway files that service managers edit, so they are hostile input, checked twice:

1. **Before publication** (and by ``pathways check``), :func:`check_template` parses the template and
   walks its syntax tree against an allow-list: names, constants, attribute and item lookups (no
   name starting with ``_``), comparisons, ``and``/``or``/``not``, ``~`` (join as text), ``+``,
   ``-``, ``/``, ``if`` and ``for``, and the filters and tests named in :data:`FILTERS` and
   :data:`TESTS`, whose arguments must be constants (``default`` may also take a field). Refused:
   calls (``x.format()``, ``range()``), macros, ``set``, ``include``/``import``/``extends``,
   ``*``, ``**`` and ``%``: a letter needs none of them, and each is a way to run code or to build
   a huge value from a small template.
2. **When rendering**, :func:`render` uses Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment`
   (which refuses ``__class__`` and other unsafe attributes even if step 1 missed one) with only
   the allowed filters and tests installed, a wall-clock limit (the expression sandbox's tracer:
   :func:`engine.sandbox_limits.limits`) and a limit on the letter's length.

Missing values: a name the case does not have is an error (:class:`jinja2.StrictUndefined`), never
an empty string or "None" in a letter that goes to someone outside. A field that may be blank is
written ``{{ field | default("...") }}`` or inside ``{% if field is defined %}``, so the template's
author decides what such a letter says.
"""
from __future__ import annotations

import functools
import re

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from .errors import ExpressionError, ExpressionSizeError, LetterTemplateError
from .sandbox_helpers import parse_date
from .sandbox_limits import limits
from .sandbox_policy import FILENAME
from .views import long_date

MAX_TEMPLATE_CHARS = 20_000   # a letter template is a page or two of text
MAX_LETTER_CHARS = 50_000     # what one rendering may produce
MAX_EXPRESSION_NODES = 60     # per {{ }} or condition: bounds what one expression can build
MAX_CONSTANT_CHARS = 200      # text given to a filter

#: Filters a template may use (Jinja2's, plus ``long_date``).
FILTERS = frozenset({"abs", "capitalize", "count", "d", "default", "first", "float", "int", "join", "last",
                     "length", "list", "long_date", "lower", "round", "sort", "string", "title", "trim",
                     "truncate", "unique", "upper"})
#: Tests a template may use (``x is defined``...).
TESTS = frozenset({"boolean", "defined", "divisibleby", "eq", "equalto", "even", "false", "float", "ge", "gt",
                   "in", "integer", "le", "lt", "mapping", "ne", "none", "number", "odd", "sequence", "string",
                   "true", "undefined", "==", "!=", "<", "<=", ">", ">="})
_NAME_ARGUMENT_FILTERS = frozenset({"d", "default"})
_ALLOWED = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name, nodes.Getattr,
            nodes.Getitem, nodes.Slice, nodes.Tuple, nodes.List, nodes.Dict, nodes.Pair, nodes.Keyword,
            nodes.CondExpr, nodes.Filter, nodes.Test, nodes.Compare, nodes.Operand, nodes.Concat, nodes.Add,
            nodes.Sub, nodes.Div, nodes.FloorDiv, nodes.And, nodes.Or, nodes.Not, nodes.Neg, nodes.Pos,
            nodes.If, nodes.For)
_REFUSED = {
    nodes.Call: "calls such as x.upper() or range() are not allowed; use a filter: x | upper",
    nodes.Assign: "{% set %} is not allowed", nodes.AssignBlock: "{% set %} is not allowed",
    nodes.Macro: "macros are not allowed", nodes.CallBlock: "{% call %} is not allowed",
    nodes.Include: "{% include %} is not allowed", nodes.Import: "{% import %} is not allowed",
    nodes.FromImport: "{% import %} is not allowed", nodes.Extends: "{% extends %} is not allowed",
    nodes.Block: "{% block %} is not allowed", nodes.FilterBlock: "{% filter %} blocks are not allowed",
    nodes.With: "{% with %} is not allowed", nodes.Mul: "* is not allowed", nodes.Pow: "** is not allowed",
    nodes.Mod: "% is not allowed (use ~ to join text)",
}


def _long_date(value) -> str:
    """``23 November 2026`` from a date, a datetime or ISO 8601 text."""
    return long_date(parse_date(value))


class _LetterEnvironment(SandboxedEnvironment):
    """Jinja2's sandbox with only the allowed filters and tests, and no globals (range, namespace...)."""

    def __init__(self) -> None:
        super().__init__(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False,
                         auto_reload=False, cache_size=0)
        self.filters = {name: f for name, f in self.filters.items() if name in FILTERS}
        self.filters["long_date"] = _long_date
        self.tests = {name: t for name, t in self.tests.items() if name in TESTS}
        self.globals.clear()


_ENV = _LetterEnvironment()
_TAGS_ONLY = re.compile(r"^[ \t]*(?:(?:\{%.*?%\}|\{#.*?#\})[ \t]*)+$")  # tags and comments


def _tag_lines(source: str) -> str:
    """Lines holding only ``{% %}`` tags (or ``{# #}`` comments) lose their indent and their newline.

    Why not Jinja's ``trim_blocks``: it also eats the newline after a tag that ends a line of text,
    which silently joins two paragraphs. The newline is moved into a comment (``{#\\n#}``), so line
    numbers in messages still match the file.
    """
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = []
    for number, line in enumerate(lines):
        last = number == len(lines) - 1
        if _TAGS_ONLY.match(line):
            out.append(line.strip() + ("" if last else "{#\n#}"))
        else:
            out.append(line + ("" if last else "\n"))
    return "".join(out)


def check_template(source: str) -> list[tuple[int | None, str]]:
    """Parse ``source`` and check it against the allow-list, without running it.

    Returns:
        ``[(line, message), ...]``; ``[]`` when the template may be used.

    Raises:
        Nothing for bad input: every problem is in the list.
    """
    return list(_checked(source))


@functools.lru_cache(maxsize=128)
def _checked(source: str) -> tuple[tuple[int | None, str], ...]:
    if not isinstance(source, str):
        return ((None, "the template is not text"),)
    if len(source) > MAX_TEMPLATE_CHARS:
        return ((None, f"the template is longer than {MAX_TEMPLATE_CHARS:,} characters"),)
    try:
        tree = _ENV.parse(_tag_lines(source))
    except TemplateSyntaxError as exc:
        return ((exc.lineno, f"syntax error: {exc.message}"),)
    except (RecursionError, MemoryError):
        return ((None, "the template is nested too deeply"),)
    problems: list[tuple[int | None, str]] = []
    _walk(tree, problems)
    if not problems:
        try:
            _ENV.compile(tree, filename=FILENAME)  # unknown filters and tests are found here too
        except TemplateSyntaxError as exc:
            problems.append((exc.lineno, exc.message or "cannot be compiled"))
        except (RecursionError, MemoryError):
            problems.append((None, "the template is nested too deeply"))
    return tuple(dict.fromkeys(problems))


def _walk(node: nodes.Node, problems: list, in_expression: bool = False) -> None:
    line = getattr(node, "lineno", None)
    if not isinstance(node, _ALLOWED):
        message = next((m for kind, m in _REFUSED.items() if isinstance(node, kind)), None)
        problems.append((line, message or f"{type(node).__name__} is not allowed in a letter template"))
        return
    if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        problems.append((line, f"names starting with _ are not allowed ({node.attr!r})"))
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) \
            and node.arg.value.startswith("_"):
        problems.append((line, f"names starting with _ are not allowed ({node.arg.value!r})"))
    if isinstance(node, nodes.Name) and node.name.startswith("_"):
        problems.append((line, f"names starting with _ are not allowed ({node.name!r})"))
    if isinstance(node, nodes.For) and node.recursive:
        problems.append((line, "recursive loops are not allowed"))
    if isinstance(node, (nodes.Filter, nodes.Test)):
        _check_filter(node, line, problems)
    if isinstance(node, nodes.Expr) and not in_expression:  # only outermost expressions are measured
        size = sum(1 for _ in node.find_all(nodes.Node)) + 1
        if size > MAX_EXPRESSION_NODES:
            problems.append((line, f"an expression is too long ({size} parts; at most {MAX_EXPRESSION_NODES})"))
    for child in node.iter_child_nodes():
        _walk(child, problems, in_expression or isinstance(node, nodes.Expr))


def _check_filter(node: nodes.Filter | nodes.Test, line, problems: list) -> None:
    kind, allowed = ("filter", FILTERS) if isinstance(node, nodes.Filter) else ("test", TESTS)
    if node.name not in allowed:
        problems.append((line, f"the {kind} {node.name!r} is not allowed; use one of {', '.join(sorted(allowed))}"))
        return
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        problems.append((line, f"the {kind} {node.name!r} takes plain arguments only"))
    for arg in [*node.args, *(k.value for k in node.kwargs)]:
        if isinstance(arg, nodes.Const):
            if isinstance(arg.value, str) and len(arg.value) > MAX_CONSTANT_CHARS:
                problems.append((line, f"text given to {node.name!r} is longer than {MAX_CONSTANT_CHARS} characters"))
        elif not (node.name in _NAME_ARGUMENT_FILTERS and _is_lookup(arg)):
            problems.append((line, f"the {kind} {node.name!r} takes constants only (text or numbers)"))
    for keyword in node.kwargs:
        if isinstance(keyword.value, nodes.Const) and str(keyword.value.value).startswith("_"):
            problems.append((line, f"names starting with _ are not allowed ({keyword.value.value!r})"))


def _is_lookup(node: nodes.Node) -> bool:
    """A field, or a field's part (``case.reference``, ``items[0]``)."""
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        node = node.node
    return isinstance(node, nodes.Name)


@functools.lru_cache(maxsize=64)
def _compiled(source: str):
    # Compiled under the expression sandbox's file name: its tracer watches only frames of that file,
    # so a template that loops for too long is stopped like a pathway expression would be.
    code = _ENV.compile(_tag_lines(source), filename=FILENAME)
    return _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None))


def render(source: str, context: dict, *, time_limit: float, template: str = "") -> str:
    """Render a letter template with ``context``; paragraphs normalised, surrounding space removed.

    Args:
        source: The template's text.
        context: The names it may use.
        time_limit: Seconds it may run.
        template: Its path, for messages.

    Raises:
        LetterTemplateError: the template is refused (:func:`check_template`), uses a name the case does
            not have, does something the sandbox forbids, runs past ``time_limit`` or writes more than
            :data:`MAX_LETTER_CHARS`.
    """
    problems = check_template(source)
    if problems:
        line, message = problems[0]
        raise LetterTemplateError(f"the letter template {template} is not usable (line {line or '?'}: {message})",
                                  expression=template)
    pieces, size = [], 0
    try:
        with limits(time_limit):
            for piece in _compiled(source).generate(context):
                size += len(piece)
                if size > MAX_LETTER_CHARS:
                    raise ExpressionSizeError(f"it wrote more than {MAX_LETTER_CHARS:,} characters")
                pieces.append(piece)
    except ExpressionError as exc:  # the time limit, the size limit
        raise LetterTemplateError(f"the letter template {template} failed: {exc}", expression=template) from exc
    except SecurityError as exc:
        raise LetterTemplateError(f"the letter template {template} tried something not allowed: {exc}",
                                  expression=template) from exc
    except TemplateError as exc:
        raise LetterTemplateError(f"the letter template {template} cannot be written for this case: "
                                  f"{exc.message or exc}", expression=template) from exc
    except (TypeError, ValueError, ArithmeticError, LookupError, RecursionError) as exc:
        raise LetterTemplateError(f"the letter template {template} cannot be written for this case "
                                  f"({type(exc).__name__}: {exc})", expression=template) from exc
    return tidy("".join(pieces))


_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def tidy(text: str) -> str:
    """Trailing spaces off every line, runs of blank lines down to one, no blank start or end."""
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return _BLANKS.sub("\n\n", text).strip("\n")
