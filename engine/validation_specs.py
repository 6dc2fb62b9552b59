"""Building SpiffWorkflow specs from checked files, turning every parser failure into a Problem.

SpiffWorkflow's ``ValidationException`` has an empty ``line_number`` for element errors (it reads
``node.line_number``, but lxml calls it ``sourceline``) and a few misleading messages, and its
parser lets ``RecursionError`` and plain ``KeyError``/``AttributeError`` through. Here the element
is found by id in our own trees for the line, and the known misleading messages are rewritten.
"""
from __future__ import annotations

import re

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.validation_common import Doc, Problems
from engine.validation_xsd import SCHEMA_LOCK

_REWRITES = (
    (re.compile(r"When looking for a task spec, we found two items, perhaps a form has the same ID\? \((.*)\)"),
     lambda m: f"a sequence flow from here leads to {m.group(1)!r}, which is not an element of this process"),
    (re.compile(r"Non-default exclusive outgoing sequence flow without condition"),
     lambda m: "a flow leaving this gateway has no condition and is not the gateway's default flow"),
    (re.compile(r"Multiple outgoing flows are not supported for tasks of type"),
     lambda m: "a task can have only one outgoing flow; use a gateway to split the path"),
    (re.compile(r"There is no support implemented for this task type\.?"),
     lambda m: "the engine does not support this kind of element"),
    (re.compile(r"No start event found"),
     lambda m: "the process has no start event"),
)


def new_parser() -> SpiffBpmnParser:
    return SpiffBpmnParser(validator=VALIDATOR)


def load_parser(parser: SpiffBpmnParser, docs: list[Doc], problems: Problems) -> list[Doc]:
    """Add ``docs`` (DMN first) to ``parser``; return the ones it accepted."""
    loaded = []
    for doc in sorted(docs, key=lambda d: (d.kind != "dmn", d.path)):
        try:
            with SCHEMA_LOCK:  # both calls validate with SpiffWorkflow's shared schema objects
                if doc.kind == "dmn":
                    parser.add_dmn_xml(doc.root, filename=doc.path)
                else:
                    parser.add_bpmn_xml(doc.tree, filename=doc.path)
        except Exception as exc:  # noqa: BLE001 - any parser failure is a problem of this file
            report(exc, doc, docs, problems)
        else:
            loaded.append(doc)
    return loaded


def build_process(parser: SpiffBpmnParser, process_id: str, doc: Doc, docs: list[Doc], problems: Problems):
    """Build ``process_id`` and the specs it calls.

    Returns:
        ``(spec, subprocess_specs)``, or None after adding the failure to ``problems``.
    """
    try:
        spec = parser.get_spec(process_id)
        return spec, parser.get_subprocess_specs(process_id)
    except Exception as exc:  # noqa: BLE001 - see module docstring: nothing may escape raw
        report(exc, doc, docs, problems, process_id)
        return None


def report(exc: BaseException, doc: Doc, docs: list[Doc], problems: Problems, process_id: str = "") -> None:
    """Turn a parser exception into a Problem located in our own trees."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, RecursionError) or isinstance(cause, RecursionError) or "RecursionError" in str(exc):
        node = doc.by_id(process_id) if process_id else doc.root
        problems.add(doc.path, node, "the process is too long for the engine's parser (a very long chain of "
                     "elements); move part of it into a called process", element_id=process_id or None)
        return
    if not isinstance(exc, ValidationException):
        node = doc.by_id(process_id) if process_id else doc.root
        problems.add(doc.path, node, f"the engine could not read this file: {type(exc).__name__}: {exc}",
                     element_id=process_id or None)
        return
    target, node = _locate(exc, doc, docs)
    line = node.sourceline if node is not None else (exc.line_number if isinstance(exc.line_number, int) else None)
    problems.add(target.path, node, _message(exc), element_id=exc.id or (node.get("id") if node is not None else ""),
                 line=line)


def _locate(exc: ValidationException, doc: Doc, docs: list[Doc]):
    # The exception's file name is the bundle path we passed in, when SpiffWorkflow sets it at all.
    candidates = [d for d in docs if d.path == exc.file_name] + [doc] + docs
    for candidate in candidates:
        if exc.id:
            node = candidate.by_id(exc.id)
            if node is not None:
                return candidate, node
    return (candidates[0], None)


def _message(exc: ValidationException) -> str:
    # str() appends SpiffWorkflow's notes after ". "; the first argument is the message itself.
    text = str(exc.args[0] if exc.args else exc).strip().rstrip(".").strip()
    for pattern, rewrite in _REWRITES:
        match = pattern.search(text)
        if match:
            return rewrite(match)
    return text or type(exc).__name__
