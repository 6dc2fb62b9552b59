"""Recognising BPMN and DMN documents and validating them against SpiffWorkflow's XSDs.

SpiffWorkflow's own ``BpmnValidator.validate`` raises on the first schema error only; here the
same compiled ``XMLSchema`` is run and every entry of its error log is reported with its line.
"""
from __future__ import annotations

import copy
import re
import threading
from functools import lru_cache

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine.validation_common import (
    BPMN_NS, DMN_NAMESPACES, PREFIXES, Doc, Problems, short_tag, shorten_namespaces,
)

# An XMLSchema keeps the error log of its last run on itself, so two threads validating with the
# same schema (ours, or SpiffWorkflow's shared VALIDATOR inside its parser) could read each other's
# errors. One lock per process is cheap next to validation.
SCHEMA_LOCK = threading.Lock()
_MAX_XSD_ERRORS = 50
_ID_ERROR = re.compile(r"attribute 'id': '([^']*)' is not a valid value of the atomic type 'xs:ID'")
_EXPECTED = re.compile(r"Expected is one of \( ([^)]*) \)")


def classify(doc: Doc, problems: Problems) -> bool:
    """Set ``doc.kind`` from the root element; report a problem if it is not what the extension says.

    Returns:
        True if the document is the kind its file name promises (BPMN for ``.bpmn``, DMN for ``.dmn``).
    """
    root = doc.root
    qname = etree.QName(root)
    is_bpmn = qname.namespace == BPMN_NS and qname.localname == "definitions"
    is_dmn = qname.namespace in DMN_NAMESPACES and qname.localname == "definitions"
    wanted = "dmn" if doc.path.endswith(".dmn") else "bpmn"
    found = f"<{short_tag(root.tag)}>" + (f" in namespace {qname.namespace}" if qname.namespace and
                                          qname.namespace not in PREFIXES else "")
    if wanted == "bpmn" and is_bpmn:
        doc.kind = "bpmn"
        return True
    if wanted == "dmn" and is_dmn:
        doc.kind, doc.dmn_ns = "dmn", qname.namespace
        return True
    if wanted == "bpmn" and is_dmn:
        message = "this is a DMN decision file, not a BPMN diagram; give it the .dmn extension"
    elif wanted == "dmn" and is_bpmn:
        message = "this is a BPMN diagram, not a DMN decision file; give it the .bpmn extension"
    elif wanted == "dmn" and qname.localname == "definitions" and "DMN" in (qname.namespace or ""):
        message = (f"unsupported DMN version (namespace {qname.namespace}); save it as DMN 1.3 "
                   f"({DMN_NAMESPACES[-1]})")
    elif wanted == "bpmn":
        message = f"not a BPMN diagram: the root element is {found}, expected <bpmn:definitions> in namespace {BPMN_NS}"
    else:
        message = f"not a DMN decision file: the root element is {found}, expected <definitions> in a DMN namespace"
    problems.add(doc.path, root, message, element_id=root.get("id") or "")
    return False


@lru_cache(maxsize=None)
def _dmn_schema(namespace: str) -> etree.XMLSchema:
    # Built like SpiffWorkflow's BpmnDmnParser.add_dmn_xml does, but once per namespace.
    return BpmnValidator(DMN_SCHEMAS[namespace]).validator


def validate_schema(doc: Doc, problems: Problems) -> None:
    """Report every XSD error of ``doc`` (BPMN: SpiffWorkflow's VALIDATOR; DMN: the XSD of its version)."""
    tree = copy.deepcopy(doc.root)  # deepcopy keeps sourceline; the preprocessing below edits the tree
    if doc.kind == "bpmn":
        schema = VALIDATOR.validator
        VALIDATOR.preprocess(tree)  # the rename SpiffWorkflow applies before validating (bpmn-js quirk)
    else:
        schema = _dmn_schema(doc.dmn_ns)
    with SCHEMA_LOCK:
        valid = schema.validate(tree)
        errors = list(schema.error_log)
    if valid:
        return
    for error in errors[:_MAX_XSD_ERRORS]:
        message = _rewrite(error.message)
        if message:
            element_id = _element_at_line(doc, error.line)
            problems.add(doc.path, None, f"schema: {message}", element_id=element_id, line=error.line or None)
    if len(errors) > _MAX_XSD_ERRORS:
        problems.add(doc.path, None, f"schema: {len(errors) - _MAX_XSD_ERRORS} more schema errors not shown",
                     element_id="", line=errors[_MAX_XSD_ERRORS].line or None)


def _rewrite(message: str) -> str:
    """Make libxml2's schema messages readable; "" to drop one reported better elsewhere."""
    match = _ID_ERROR.search(message)
    if match:
        value = match.group(1)
        if re.fullmatch(r"[A-Za-z_][\w.\-]*", value):
            return ""  # a valid name that is repeated: the duplicate-id check reports it with both places
        return (f"id {value!r} is not a valid XML id: it must start with a letter or '_' and hold only "
                "letters, digits, '_', '-' and '.'")
    message = shorten_namespaces(message).rstrip(".")
    expected = _EXPECTED.search(message)
    if expected:
        items = [i.strip() for i in expected.group(1).split(",")]
        shown = ", ".join(items[:6]) + (", ..." if len(items) > 6 else "")
        message = message[:expected.start()] + f"Expected one of: {shown}"
    return message


def _element_at_line(doc: Doc, line: int | None) -> str:
    # libxml2 reports only a line; the element starting on it is almost always the culprit.
    if not line:
        return ""
    for el in doc.root.iter(etree.Element):
        if el.sourceline == line and el.get("id"):
            return el.get("id")
        if el.sourceline and el.sourceline > line:
            break
    return ""
