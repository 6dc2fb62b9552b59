"""Shared pieces of the pathway validator: namespaces, parsed documents, problem helpers.

Private to ``engine.validation*``; nothing outside the validator should import this module.
"""
from __future__ import annotations

import keyword
from dataclasses import dataclass, field

from lxml import etree

from engine.errors import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
)
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

# Short prefixes for messages: authors see "bpmn:userTask", not a namespace URI.
PREFIXES = {
    BPMN_NS: "bpmn",
    SPIFF_NS: "spiffworkflow",
    "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi",
    "http://www.omg.org/spec/DD/20100524/DC": "dc",
    "http://www.omg.org/spec/DD/20100524/DI": "di",
    "https://www.omg.org/spec/DMN/20191111/DMNDI/": "dmndi",
    **{ns: "dmn" for ns in DMN_NAMESPACES},
}

FORM_PROPERTY = "formJsonSchemaFilename"
UI_FORM_PROPERTY = "formUiSchemaFilename"
HUMAN_TASKS = ("userTask", "manualTask")


@dataclass
class Doc:
    """One XML file of the bundle, parsed.

    ``kind`` is "bpmn" or "dmn" once the root element is recognised, else "".
    """

    path: str
    tree: etree._ElementTree
    kind: str = ""
    dmn_ns: str = ""
    _ids: dict[str, etree._Element] | None = field(default=None, repr=False)

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    def by_id(self, element_id: str) -> etree._Element | None:
        """The element carrying ``id=element_id`` (the first one if the id is duplicated)."""
        if self._ids is None:
            self._ids = {}
            for el in self.root.iter(etree.Element):
                value = el.get("id")
                if value is not None:
                    self._ids.setdefault(value, el)
        return self._ids.get(element_id)

    def xpath(self, path: str, node: etree._Element | None = None) -> list:
        return (self.root if node is None else node).xpath(path, namespaces=self._nsmap())

    def _nsmap(self) -> dict[str, str]:
        return {**NS, "dmn": self.dmn_ns} if self.dmn_ns else NS


class Problems:
    """Collects problems for one bundle; a set underneath so repeats collapse."""

    def __init__(self) -> None:
        self._items: set[Problem] = set()

    def add(self, file: str, node: etree._Element | None, message: str, element_id: str | None = None,
            line: int | None = None) -> None:
        if element_id is None:
            element_id = owner_id(node) if node is not None else ""
        if line is None and node is not None:
            line = node.sourceline
        self._items.add(Problem(file, line, element_id or "", message))

    def extend(self, problems: list[Problem]) -> None:
        self._items.update(problems)

    def files(self) -> set[str]:
        return {p.file for p in self._items}

    def sorted(self) -> list[Problem]:
        return sorted(self._items, key=lambda p: (p.file, p.line or 0, p.element_id, p.message))


def owner_id(node: etree._Element) -> str:
    """The id of ``node`` or of its nearest ancestor that has one (e.g. the task owning a script).

    Event definitions are skipped: editors give them ids but never show them, so the event
    itself is what an author can find.
    """
    while node is not None:
        value = node.get("id") if isinstance(node.tag, str) else None
        if value and not local(node).endswith("EventDefinition"):
            return value
        node = node.getparent()
    return ""


def local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def short_tag(tag: str) -> str:
    """``{ns}name`` -> ``prefix:name`` for the namespaces authors know."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        prefix = PREFIXES.get(ns)
        return f"{prefix}:{name}" if prefix else name
    return tag


def shorten_namespaces(text: str) -> str:
    for ns, prefix in PREFIXES.items():
        text = text.replace("{" + ns + "}", prefix + ":")
    return text


def is_plain_name(value: str | None) -> bool:
    """A Python identifier that is not a keyword and does not start with "_".

    Why: such names become task-data keys that expressions read as variables, and names
    starting with "_" are reserved by the sandbox.
    """
    return bool(value) and value.isidentifier() and not keyword.iskeyword(value) and not value.startswith("_")


def properties(node: etree._Element) -> dict[str, etree._Element]:
    """The ``spiffworkflow:property`` elements of a task by name (the last one wins, as in SpiffWorkflow)."""
    found: dict[str, etree._Element] = {}
    for prop in node.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS):
        name = prop.get("name")
        if name is not None:
            found[name] = prop
    return found


def find_in_bundle(files: dict[str, bytes] | set[str], name: str) -> str | None:
    """The bundle path of the file named ``name``: equal to it or ending in ``/`` + name."""
    if name in files:
        return name
    matches = sorted(p for p in files if p.endswith("/" + name))
    return matches[0] if matches else None
