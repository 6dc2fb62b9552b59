"""Checks of the Python expressions and scripts in BPMN files, and of timer values.

SpiffWorkflow evaluates conditions, scripts, timers, message payloads and multi-instance settings
as Python at run time and checks none of them when parsing, so a typo or a forbidden name would
only show up when a case reaches the element. Each one is compiled here under the engine's
sandbox policy (:func:`engine.sandbox.check_source`).
"""
from __future__ import annotations

import ast
import re
from datetime import datetime

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.sandbox import check_source
from engine.validation_common import HUMAN_TASKS, Doc, Problems, is_plain_name, local, owner_id, properties

# (xpath, what to call it in messages, compile mode)
_EXPRESSIONS = (
    ("//bpmn:sequenceFlow/bpmn:conditionExpression", "condition", "eval"),
    ("//bpmn:conditionalEventDefinition/bpmn:condition", "condition", "eval"),
    ("//bpmn:scriptTask/bpmn:script", "script", "exec"),
    ("//bpmn:extensionElements/spiffworkflow:preScript", "pre-script", "exec"),
    ("//bpmn:extensionElements/spiffworkflow:postScript", "post-script", "exec"),
    ("//spiffworkflow:messagePayload", "message payload", "eval"),
    ("//spiffworkflow:payloadExpression", "payload expression", "eval"),
    ("//bpmn:correlationPropertyRetrievalExpression/*", "correlation expression", "eval"),
    ("//spiffworkflow:processVariableCorrelation/spiffworkflow:expression", "correlation expression", "eval"),
    ("//bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality", "loop cardinality", "eval"),
    ("//bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition", "completion condition", "eval"),
    ("//bpmn:standardLoopCharacteristics/bpmn:loopCondition", "loop condition", "eval"),
    ("//bpmn:adHocSubProcess/bpmn:completionCondition", "completion condition", "eval"),
)
# Values that are task-data names, not expressions.
_NAMES = (
    ("//spiffworkflow:messageVariable", "message variable"),
    ("//bpmn:multiInstanceLoopCharacteristics/bpmn:loopDataInputRef", "loop input"),
    ("//bpmn:multiInstanceLoopCharacteristics/bpmn:loopDataOutputRef", "loop output"),
)
_TIMERS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}
_EXAMPLES = {"duration": "PT2H", "date": "2026-01-01T09:00:00+00:00", "cycle": "R3/PT1H"}

# An ISO 8601 value written without quotes: Python would read PT2H as a variable name and
# 2026-01-01T09:00:00Z as a syntax error, both only when the timer starts.
_BARE_ISO = re.compile(
    r"""\s*(
        R\d*/\S+                                    # R3/PT1H, R/2026-01-01T00:00:00Z/P1D
      | P(?=[\dT])[\dYMWDTHS.,]*                    # P3D, PT2H, P1Y2M
      | \d{4}-?\d{2}-?\d{2}([T ][\d:.,]+)?(Z|[+-]\d{2}(:?\d{2})?)?  # 2026-01-01T09:00:00Z
      | \d{4}-?W\d{2}-?\d(T\S*)?                    # 2026-W05-3
    )\s*""",
    re.VERBOSE | re.IGNORECASE,
)
_MAX_SHOWN = 60


def shown(source: str) -> str:
    """The expression as quoted in a message, cut short so one message stays one line."""
    flat = " ".join(source.split())
    return repr(flat if len(flat) <= _MAX_SHOWN else flat[:_MAX_SHOWN - 3] + "...")


def compile_problems(source: str, mode: str) -> list[str]:
    """Messages from the sandbox for ``source``; [] if it compiles under the policy."""
    try:
        return list(check_source(source, mode))
    except (RecursionError, MemoryError, ValueError) as exc:
        # A pathologically nested expression must become a problem, not crash the validator.
        return [f"cannot be compiled ({type(exc).__name__})"]


def check_expressions(doc: Doc, problems: Problems) -> None:
    """Compile-check every expression, script and timer of a BPMN file."""
    for path, what, mode in _EXPRESSIONS:
        for node in doc.xpath(path):
            _check_node(doc, node, what, mode, problems)
    for path, what in _NAMES:
        for node in doc.xpath(path):
            value = (node.text or "").strip()
            if not is_plain_name(value):
                problems.add(doc.path, node, f"{what} {value!r} must be a plain name (letters, digits and '_', "
                             "not starting with '_' or a digit)")
    for kind in HUMAN_TASKS:
        for task in doc.xpath(f"//bpmn:{kind}"):
            due = properties(task).get("dueAt")
            if due is not None:
                _check_source(doc, due, "dueAt", due.get("value") or "", "eval", problems, task.get("id"))
    for timer in doc.xpath("//bpmn:timerEventDefinition"):
        _check_timer(doc, timer, problems)


def _check_node(doc: Doc, node: etree._Element, what: str, mode: str, problems: Problems) -> None:
    if len(node):
        # SpiffWorkflow reads only ``node.text``: anything after a comment or child element is silently dropped.
        problems.add(doc.path, node, f"{what} contains a comment or an element; the engine would only read the "
                     "text before it, so remove it")
    _check_source(doc, node, what, node.text or "", mode, problems)


def _check_source(doc: Doc, node: etree._Element, what: str, source: str, mode: str, problems: Problems,
                  element_id: str | None = None) -> None:
    if not source.strip():
        if what != "condition":  # an empty condition is reported by the gateway check as a missing one
            problems.add(doc.path, node, f"{what} is empty", element_id=element_id)
        return
    for message in compile_problems(source, mode):
        problems.add(doc.path, node, f"{what} {shown(source)}: {message}", element_id=element_id)


def _check_timer(doc: Doc, timer: etree._Element, problems: Problems) -> None:
    values = [child for child in timer if isinstance(child.tag, str) and local(child) in _TIMERS]
    element_id = owner_id(timer)
    if not values:
        problems.add(doc.path, timer, "timer has no timeDuration, timeDate or timeCycle", element_id=element_id)
        return
    for node in values:
        kind = _TIMERS[local(node)]
        source = node.text or ""
        if len(node):
            problems.add(doc.path, node, f"timer {kind} contains a comment or an element; remove it",
                         element_id=element_id)
        if not source.strip():
            problems.add(doc.path, node, f"timer {kind} is empty", element_id=element_id)
            continue
        if _BARE_ISO.fullmatch(source):
            problems.add(doc.path, node, f"timer {kind} {source.strip()} is read as Python, not as a date or "
                         f"duration; put it in quotes: \"{source.strip()}\"", element_id=element_id)
            continue
        messages = compile_problems(source, "eval")
        for message in messages:
            problems.add(doc.path, node, f"timer {kind} {shown(source)}: {message}", element_id=element_id)
        if not messages:
            message = _literal_timer_problem(kind, source)
            if message:
                problems.add(doc.path, node, f"timer {kind} {shown(source)}: {message}", element_id=element_id)


def _literal_timer_problem(kind: str, source: str) -> str:
    """Check a quoted timer value the way SpiffWorkflow will parse it; "" if fine or not a literal."""
    try:
        value = ast.literal_eval(source.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ""  # an expression over case data: only checkable at run time
    if not isinstance(value, str):
        return "must give an ISO 8601 text value in quotes"
    if value != value.strip():
        return "remove the spaces inside the quotes"
    # The same helpers SpiffWorkflow's timer event definitions call when the timer starts.
    try:
        if kind == "duration":
            if value[:1] not in ("P", "p") or len(value) < 3:
                raise ValueError("a duration is P followed by amounts")
            TimerEventDefinition.parse_iso_duration(value)
        elif kind == "date":
            if value[:1] in ("P", "p"):
                raise ValueError("this is a duration; use a timeDuration timer for it")
            if "W" in value.upper():
                TimerEventDefinition.parse_iso_week(value)
            else:
                _parse_datetime(value)
        else:
            if not value.upper().startswith("R"):
                raise ValueError("a cycle starts with R")
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception as exc:  # SpiffWorkflow raises bare Exception, IndexError... for bad values
        # Only messages written for people are worth showing; "list index out of range" is not.
        detail = f" ({exc})" if isinstance(exc, ValueError) or type(exc) is Exception else ""
        return f"{value!r} is not a valid ISO 8601 {kind}{detail}; for example \"{_EXAMPLES[kind]}\""
    return ""


def _parse_datetime(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        # SpiffWorkflow would take the server's offset at import time: wrong for half the year in the UK.
        raise ValueError("it has no UTC offset; add one such as +00:00 or Z")
    return parsed

