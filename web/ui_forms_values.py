"""The submitted strings back as JSON values, and case data as the strings a form shows (see :mod:`web.ui_forms`).

Typed values are keyed by input name (``field``, ``parent.child``, ``items[0].child``; a date's three
inputs ``field``, ``field-month``, ``field-year``); they are what a form shows and what a draft keeps.
"""
from __future__ import annotations

import json
import math

from werkzeug.datastructures import MultiDict

from web.ui_forms_dates import PARTS, part_names, split_iso, to_iso
from web.ui_forms_schema import Spec, as_text, item_indices, item_specs, specs, type_of, with_reveals

MAX_VALUE = 100_000  # characters of one submitted value; the engine limits the whole submission too
MAX_PART = 20        # characters of a date's day, month or year
_EMPTY = object()    # a field left empty: not sent to the engine


# -- values ------------------------------------------------------------------------------------------

def initial_values(schema: dict | None, data: dict, ui: dict | None = None) -> dict[str, str | list[str]]:
    """The form's starting values (as typed) from the case data, or the schema's defaults."""
    values: dict[str, str | list[str]] = {}
    _initial(specs(schema, ui), data if isinstance(data, dict) else {}, values,
             schema if isinstance(schema, dict) else {})
    return values


def _initial(spec_list: list[Spec], data: dict, values: dict, root: dict) -> None:
    for spec in with_reveals(spec_list):
        value = data[spec.key] if spec.key in data else spec.prop.get("default", _EMPTY)
        if value is _EMPTY:
            continue
        if spec.kind == "fieldset":
            if isinstance(value, dict):
                _initial(spec.children, value, values, root)
        elif spec.kind == "repeat":
            for index, item in enumerate(value[:spec.max_items] if isinstance(value, list) else []):
                values[f"{spec.name}[{index}]"] = ""
                if isinstance(item, dict):
                    _initial(item_specs(spec, index, root), item, values, root)
        elif spec.kind == "checkboxes":
            values[spec.name] = [as_text(v) for v in value] if isinstance(value, list) else [as_text(value)]
        elif spec.kind == "confirm":
            values[spec.name] = [as_text(value)] if value == spec.prop.get("const") else []
        elif spec.kind == "date":
            names = part_names(spec.name)
            values.update({names[p]: v for p, v in split_iso(value).items()})
        elif spec.kind == "lines" and isinstance(value, list):
            values[spec.name] = "\n".join(as_text(v) for v in value)
        else:
            values[spec.name] = as_text(value)


def read_submission(schema: dict | None, form: MultiDict, ui: dict | None = None) -> tuple[dict, dict, dict[str, str]]:
    """The submitted form as ``(data for the engine, values as typed, conversion errors)``.

    Errors and typed values are keyed by input name (``parent.child``; a date by its day input's name).
    """
    typed: dict[str, str | list[str]] = {}
    errors: dict[str, str] = {}
    data = _read(specs(schema, ui), form, typed, errors, schema if isinstance(schema, dict) else {})
    return data, typed, errors


def _read(spec_list: list[Spec], form: MultiDict, typed: dict, errors: dict, root: dict) -> dict:
    data: dict = {}
    for spec in with_reveals(spec_list):
        try:
            value = _read_one(spec, form, typed, errors, root)
        except ValueError as error:
            errors[spec.name] = str(error)
            continue
        if value is not _EMPTY:
            data[spec.key] = value
    return data


def _read_one(spec: Spec, form: MultiDict, typed: dict, errors: dict, root: dict) -> object:
    name = spec.name
    if spec.kind == "fieldset":
        child = _read(spec.children, form, typed, errors, root)
        # A required object is always sent, so the engine names the missing fields inside it.
        return child if child or spec.required else _EMPTY
    if spec.kind == "repeat":
        return _read_items(spec, form, typed, errors, root)
    if spec.kind in ("checkboxes", "confirm"):
        raw = [v[:MAX_VALUE] for v in form.getlist(name) if v][:len(spec.options) or 1]
        typed[name] = raw
        converted = [_choice(spec, v) for v in raw]
        if spec.kind == "confirm":
            return converted[0] if converted else _EMPTY
        return converted if converted or spec.required else _EMPTY
    if spec.kind == "date":
        names = part_names(name)
        parts = {p: form.get(names[p], "")[:MAX_PART] for p in PARTS}
        typed.update({names[p]: parts[p] for p in PARTS})
        iso = to_iso(parts, spec.label)
        return _EMPTY if iso is None else iso
    raw = form.get(name, "")[:MAX_VALUE]
    typed[name] = raw
    if not raw.strip():
        return _EMPTY  # empty: left out, the schema says whether it was required
    if spec.kind == "lines":
        items = spec.prop.get("items") if isinstance(spec.prop.get("items"), dict) else {}
        lines = [line.strip() for line in raw.splitlines() if line.strip()]
        out = []
        for number, line in enumerate(lines, start=1):
            try:
                out.append(_convert(items, line))
            except ValueError as error:
                raise ValueError(f"{spec.label}, line {number}: {error}") from None
        return out
    if spec.options:
        return _choice(spec, raw.strip())
    return _convert(spec.prop, raw)


def _read_items(spec: Spec, form: MultiDict, typed: dict, errors: dict, root: dict) -> object:
    """The items of an array of objects; blank items are dropped and the rest renumbered from 0."""
    items: list[dict] = []
    for index in item_indices(form.keys(), spec.name)[:spec.max_items]:
        item_typed: dict = {}
        item_errors: dict = {}
        item = _read(item_specs(spec, index, root), form, item_typed, item_errors, root)
        if not any(v.strip() if isinstance(v, str) else v for v in item_typed.values()):
            continue
        old, new = f"{spec.name}[{index}]", f"{spec.name}[{len(items)}]"
        typed[new] = ""
        typed.update({new + k[len(old):]: v for k, v in item_typed.items()})
        errors.update({new + k[len(old):]: v for k, v in item_errors.items()})
        items.append(item)
    return items if items or spec.required else _EMPTY


def _choice(spec: Spec, raw: str) -> object:
    for value, _title in spec.choices or []:
        if as_text(value) == raw:
            return value
    raise ValueError("Choose one of the listed options")


def _convert(prop: dict, raw: str) -> object:
    """One submitted string as the schema's type; ValueError with a message when it cannot be."""
    kind = type_of(prop)
    text = raw.strip()
    if kind == "boolean":
        if text in ("yes", "no"):
            return text == "yes"
        raise ValueError("Select yes or no")
    if kind == "integer":
        try:
            return int(text.replace(",", ""))
        except ValueError:
            raise ValueError("Enter a whole number, like 3") from None
    if kind == "number":
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise ValueError("Enter a number, like 3 or 2.5") from None
        if not math.isfinite(number):  # "nan", "inf": not numbers a person means, and not valid JSON
            raise ValueError("Enter a number, like 3 or 2.5")
        return int(number) if number.is_integer() and "." not in text else number
    if kind in ("object", "array"):
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError("Enter the value as JSON") from None
    return raw
