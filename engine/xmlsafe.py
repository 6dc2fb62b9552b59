"""Parse untrusted XML (BPMN and DMN files edited in a browser) without trusting it.

Pathway files come from service managers' browsers, so every file is treated as hostile. The
classic XML attacks all live in the document type declaration: entity expansion ("billion
laughs"), external entities that read local files (``SYSTEM "file:///etc/passwd"``), parameter
entities and entities fetched over the network. BPMN and DMN never need a DTD, so any
``<!DOCTYPE`` or ``<!ENTITY`` is refused *before* the bytes reach libxml2: nothing is expanded,
read or fetched, and no error message can echo a referenced file's content. The parser is
configured defensively as well (no entity resolution, no DTD loading, no network, no huge trees)
in case the pre-scan is ever bypassed.
"""
from __future__ import annotations

import re

from lxml import etree

from engine.errors import PathwayInvalidError, Problem

__all__ = ["MAX_XML_BYTES", "parse_xml"]

MAX_XML_BYTES = 2_000_000

# Markup declarations are only legal inside a DTD; refusing both keywords covers a DOCTYPE with
# an internal subset as well as stray entity declarations.
_DTD_MARKUP = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _fail(filename: str, line: int | None, message: str) -> PathwayInvalidError:
    return PathwayInvalidError([Problem(filename, line, "", message)])


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers keep state (error log) and must not be shared
    # between threads. ``encoding`` overrides any declared encoding, so the bytes that were
    # checked for UTF-8 and scanned for DOCTYPE are exactly the bytes libxml2 reads.
    return etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


def parse_xml(data: bytes, filename: str) -> etree._ElementTree:
    """Parse untrusted XML bytes into an lxml tree.

    Args:
        data: The file's raw contents; they must be UTF-8 (a BOM is allowed).
        filename: The name reported in problems (the bundle path or the path the user gave).

    Returns:
        The parsed document; elements carry ``sourceline``.

    Raises:
        PathwayInvalidError: With exactly one :class:`Problem` (with the line where known) if
            the input is too large, empty, not UTF-8, contains a DOCTYPE or entity
            declaration, or is not well-formed XML.
    """
    if len(data) > MAX_XML_BYTES:
        raise _fail(filename, None, f"the file is {len(data):,} bytes; the limit is {MAX_XML_BYTES:,} bytes")
    if not data.strip():
        raise _fail(filename, None, "the file is empty; expected an XML document")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(
            filename,
            _line_of(data, exc.start),
            f"the file is not UTF-8 text (invalid byte 0x{data[exc.start]:02x}); save it as UTF-8 XML",
        ) from None
    match = _DTD_MARKUP.search(data)
    if match:
        raise _fail(
            filename,
            _line_of(data, match.start()),
            f"<!{match.group(1).decode().upper()} ...> declarations are not allowed in pathway files "
            "(they can define entities that read files or expand without limit); remove them",
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        # ``exc.msg`` is libxml2's text about the document's own markup; it never includes
        # external content because nothing external is loaded.
        message = exc.msg
        if "Excessive depth" in message:  # libxml2's text suggests a parser option the author cannot set
            message = "elements are nested more than 256 levels deep"
        raise _fail(filename, exc.lineno or None, f"not well-formed XML: {message}") from None
    if root is None:
        raise _fail(filename, None, "the file holds no XML element")
    tree = root.getroottree()
    # Defence in depth: the pre-scan must have kept any DTD out.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _fail(filename, 1, "DOCTYPE declarations are not allowed in pathway files")
    return tree
