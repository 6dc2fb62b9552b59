"""Checks of JSON Schema form files (``*.schema.json``) and their UI schemas (``*.uischema.json``).

A form is the contract of what a user task may write into a case (see :mod:`engine.forms`), so
it must be a valid JSON Schema whose root is an object schema with the fields as properties.
"""
from __future__ import annotations

import json
import re

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.form_records import CONSENT_KEYWORD, consent_declaration_problems
from engine.validation_common import Problems

MAX_FORM_BYTES = 1_000_000


def is_form_file(path: str) -> bool:
    return path.endswith(".schema.json") and not path.endswith(".uischema.json")


def is_ui_file(path: str) -> bool:
    return path.endswith(".uischema.json")


def check_form_file(path: str, data: bytes, problems: Problems) -> None:
    """Check a form: JSON, a valid JSON Schema (draft 2020-12), an object at the root, local $refs only."""
    schema, text = _load_json(path, data, problems)
    if schema is None:
        return
    if not isinstance(schema, dict):
        problems.add(path, None, "the form must be a JSON object (a JSON Schema)", element_id="", line=1)
        return
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        problems.add(path, None, f"not a valid JSON Schema: {exc.message}" + (f" (at {where})" if where else ""),
                     element_id="", line=_line_of_path(text, list(exc.path)))
        return
    except RecursionError:
        problems.add(path, None, "the form is nested too deeply", element_id="", line=None)
        return
    if schema.get("type") != "object":
        problems.add(path, None, 'the form\'s root must be an object schema: add "type": "object" and put the '
                     'fields under "properties"', element_id="", line=_line_of_path(text, ["type"]) or 1)
    for message in consent_declaration_problems(schema):
        problems.add(path, None, message, element_id="", line=_line_of_path(text, [CONSENT_KEYWORD]))
    for ref, keys in _refs(schema):
        if not ref.startswith("#"):
            # The engine validates submissions offline; a remote $ref could not be resolved.
            problems.add(path, None, f"$ref {ref!r} points outside the form; only local references such as "
                         "\"#/$defs/address\" are supported", element_id="", line=_line_of_path(text, keys))


def check_ui_file(path: str, data: bytes, problems: Problems) -> None:
    """Check a UI schema: JSON holding an object."""
    value, _ = _load_json(path, data, problems)
    if value is not None and not isinstance(value, dict):
        problems.add(path, None, "the UI schema must be a JSON object", element_id="", line=1)


def _load_json(path: str, data: bytes, problems: Problems) -> tuple[object | None, str]:
    if len(data) > MAX_FORM_BYTES:
        problems.add(path, None, f"the file is {len(data):,} bytes; the limit is {MAX_FORM_BYTES:,} bytes",
                     element_id="")
        return None, ""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.add(path, None, "the file is not UTF-8 text", element_id="")
        return None, ""
    if not text.strip():
        problems.add(path, None, "the file is empty; expected a JSON object", element_id="")
        return None, text
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        problems.add(path, None, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                     element_id="", line=exc.lineno)
    except RecursionError:
        problems.add(path, None, "not usable JSON: it is nested too deeply", element_id="")
    return None, text


def _refs(schema: object) -> list[tuple[str, list]]:
    """Every ``$ref`` value with its path; iterative, since a hostile form may nest very deeply."""
    found, stack = [], [(schema, [])]
    while stack:
        node, keys = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    found.append((value, keys + [key]))
                else:
                    stack.append((value, keys + [key]))
        elif isinstance(node, list):
            stack.extend((value, keys + [i]) for i, value in enumerate(node))
    return sorted(found, key=lambda item: [str(k) for k in item[1]])


def _line_of_path(text: str, keys: list) -> int | None:
    """Best-effort line of a JSON path: find each object key in turn after the previous one.

    Why best effort: ``json`` keeps no positions; following the keys in order lands on the right
    line for forms as people write them (one key per line).
    """
    position, found = 0, False
    for key in keys:
        if not isinstance(key, str):
            continue
        match = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(text, position)
        if match is None:
            break
        position, found = match.start(), True
    return text.count("\n", 0, position) + 1 if found else None
