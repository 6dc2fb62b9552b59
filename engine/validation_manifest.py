"""Checks of what a pathway's manifest (``pathway.yaml``) says about its forms' fields.

The manifest's ``summary`` names the fields the case page shows first (the child, the referrer...).
A name that no form of the pathway declares would show as "Not recorded" on every case for ever, so
publication refuses it. Runs only on bundles that hold the manifest (publication; ``pathways check``
reads BPMN, DMN and forms only).
"""
from __future__ import annotations

import json
import re

from engine.bundles import MANIFEST, parse_manifest
from engine.errors import PathwayInvalidError
from engine.validation_common import Problems
from engine.validation_forms import is_form_file


def check_manifest(files: dict[str, bytes], problems: Problems) -> None:
    """Every ``summary`` field is a property of one of the bundle's forms."""
    if MANIFEST not in files:
        return
    try:
        manifest = parse_manifest(files[MANIFEST])
    except PathwayInvalidError as exc:
        problems.extend(exc.problems)
        return
    if not manifest.summary:
        return
    declared: set[str] = set()
    for path, content in files.items():
        if is_form_file(path):
            try:
                schema = json.loads(content.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                continue  # the form's own check reports it
            props = schema.get("properties") if isinstance(schema, dict) else None
            declared.update(props if isinstance(props, dict) else ())
    text = files[MANIFEST].decode("utf-8", "replace")
    for heading, names in manifest.summary:
        for name in names:
            if name not in declared:
                problems.add(MANIFEST, None, f"summary {heading!r}: no form of this pathway has a field {name!r} "
                             "(summary fields must be fields of the pathway's forms)", element_id="",
                             line=_line_of(text, name))


def _line_of(text: str, name: str) -> int | None:
    """Best effort: the first line after ``summary:`` naming the field."""
    start = re.search(r"^summary\s*:", text, re.M)
    match = re.compile(rf"\b{re.escape(name)}\b").search(text, start.end() if start else 0)
    return text.count("\n", 0, match.start()) + 1 if match else None
