"""Checks of DMN decision tables as SpiffWorkflow runs them.

SpiffWorkflow reads one decision per file and only its first decision table; its cells are
Python, not FEEL. An input entry is combined with the column's input expression before it is
evaluated (``SpiffWorkflow/dmn/engine/DMNEngine.py``):

* ``-`` or an empty cell matches anything;
* an entry containing ``?`` (outside quotes) has ``?`` replaced by the input value: ``100 <= ? < 1000``;
* an entry that is a complete expression is compared: ``(input) == (entry)``;
* anything else is appended to the input text: ``input + entry`` (so ``>= 1000`` works, and
  ``in (...)`` needs a leading space or it becomes one long name).

Each cell is compiled here exactly as the engine will build it.
"""
from __future__ import annotations

import ast
import re

from lxml import etree

from engine.validation_common import Doc, Problems, is_plain_name
from engine.validation_expr import compile_problems, shown

# HitPolicy in SpiffWorkflow 3.2 knows only UNIQUE and COLLECT; any other value runs as "take the
# first match", which is right for FIRST and ANY but silently wrong for the ordered policies.
_HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "COLLECT")
# The substitution the engine performs for '?' (only outside quotes).
_QUESTION_MARK = re.compile(r"""(\?)(?=(?:[^'"]|['"][^'"]*['"])*$)""")
MAX_CELL_LENGTH = 2_000
_WORD_OPERATOR = re.compile(r"(in|not\s+in|is|is\s+not|and|or|if)\b")


def decisions_of(doc: Doc) -> list[etree._Element]:
    """The ``decision`` elements of a DMN file."""
    return doc.xpath("/dmn:definitions/dmn:decision")


def check_dmn(doc: Doc, problems: Problems) -> None:
    """Check one DMN file: one decision with one decision table, and every cell compiles."""
    decisions = decisions_of(doc)
    if not decisions:
        problems.add(doc.path, doc.root, "the file holds no decision", element_id=doc.root.get("id") or "")
        return
    # DMNParser reads attrib['id'] on all of these and fails with a bare KeyError without one.
    for node in doc.xpath("//dmn:decision | //dmn:decisionTable | //dmn:input | //dmn:output | //dmn:rule"
                          " | //dmn:inputEntry | //dmn:outputEntry"):
        if not node.get("id"):
            problems.add(doc.path, node, f"this {etree.QName(node).localname} has no id; the engine needs one")
    for extra in decisions[1:]:
        problems.add(doc.path, extra, "only one decision per DMN file is supported; move this decision to its "
                     "own .dmn file")
    tables = doc.xpath("./dmn:decisionTable", decisions[0])
    if len(tables) != 1:
        problems.add(doc.path, decisions[0], "the decision must hold exactly one decision table "
                     f"(found {len(tables)})")
    for table in tables:
        _check_table(doc, table, problems)


def _check_table(doc: Doc, table: etree._Element, problems: Problems) -> None:
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in _HIT_POLICIES:
        problems.add(doc.path, table, f"hit policy {policy} is not supported by the engine (it would return the "
                     f"first matching rule only); use one of {', '.join(_HIT_POLICIES)}")
    if policy == "COLLECT" and table.get("aggregation"):
        problems.add(doc.path, table, f"COLLECT aggregation {table.get('aggregation')} is ignored by the engine "
                     "(it always returns the list of matches); remove it and add the values up in a script")
    inputs = doc.xpath("./dmn:input", table)
    outputs = doc.xpath("./dmn:output", table)
    input_texts = [_check_input(doc, column, problems) for column in inputs]
    for column in outputs:
        name = column.get("name") or column.get("label") or ""
        if not all(is_plain_name(part) for part in name.split(".")):
            problems.add(doc.path, column, f"output name {name!r} must be a plain name (or dotted names) "
                         "under which the result is stored in the case data")
    for rule in doc.xpath("./dmn:rule", table):
        entries = doc.xpath("./dmn:inputEntry", rule)
        results = doc.xpath("./dmn:outputEntry", rule)
        if len(entries) != len(inputs) or len(results) != len(outputs):
            problems.add(doc.path, rule, f"rule has {len(entries)} input and {len(results)} output cells; the table "
                         f"has {len(inputs)} inputs and {len(outputs)} outputs")
            continue
        for entry, input_text in zip(entries, input_texts):
            if input_text is not None:
                _check_input_entry(doc, entry, input_text, problems)
        for entry in results:
            text = _cell_text(doc, entry)
            if text.strip():
                for message in compile_problems(text, "eval"):
                    problems.add(doc.path, entry, f"output cell {shown(text)}: {message}")


def _cell_text(doc: Doc, entry: etree._Element) -> str:
    node = doc.xpath("./dmn:text", entry)
    return (node[0].text or "") if node else ""


def _check_input(doc: Doc, column: etree._Element, problems: Problems) -> str | None:
    """Check an input column's expression; return its text, or None if the column is unusable."""
    node = doc.xpath("./dmn:inputExpression/dmn:text", column)
    text = (node[0].text or "") if node else ""
    if not text.strip():
        # Without an expression SpiffWorkflow looks the column's label up in the case data,
        # which breaks as soon as someone renames the label.
        problems.add(doc.path, column, "input has no expression; write the case data name (or an expression) "
                     "in the input's expression")
        return None
    messages = compile_problems(text, "eval")
    for message in messages:
        problems.add(doc.path, node[0], f"input expression {shown(text)}: {message}", element_id=column.get("id"))
    return None if messages else text


def _check_input_entry(doc: Doc, entry: etree._Element, input_text: str, problems: Problems) -> None:
    text = _cell_text(doc, entry)
    if not text.strip() or text == "-":
        return
    if len(text) > MAX_CELL_LENGTH:
        # The engine's '?' pattern is quadratic on long text; a decision cell has no reason to be this long.
        problems.add(doc.path, entry, f"input cell is {len(text):,} characters long; "
                     f"the limit is {MAX_CELL_LENGTH:,}")
        return
    if _QUESTION_MARK.search(text):
        built = _QUESTION_MARK.sub("dmninputexpr", text)
    elif _parses(text):
        built = f"({input_text}) == ({text})"
    else:
        if _WORD_OPERATOR.match(text):
            # "in (...)" glued to the input gives "amountin (...)": a call of an unknown name at run time.
            problems.add(doc.path, entry, f"input cell {shown(text)} starts with the word {text.split()[0]!r}; "
                         "the engine glues it to the input expression, so start the cell with a space")
            return
        built = input_text + text
    for message in compile_problems(built, "eval"):
        problems.add(doc.path, entry, f"input cell {shown(text)} (evaluated as {shown(built)}): {message}")


def _parses(text: str) -> bool:
    # The engine's own test (DMNEngine.needs_eq): does the entry parse on its own?
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True

