"""A task's JSON Schema (2020-12) as GOV.UK form fields, and the submitted strings back as JSON values.

Only the top-level ``properties`` of a form are rendered, each as one field:

* ``string`` → text input; a textarea when ``maxLength`` is over :data:`TEXTAREA_OVER` or absent
  (free text such as a rationale); ``format: date`` / ``date-time`` → a text input with a hint;
* ``enum`` or ``oneOf`` of ``{const, title}`` → radios (up to :data:`MAX_RADIOS` options) or a select;
* ``boolean`` → Yes/No radios; ``integer`` / ``number`` → a numeric text input;
* ``array`` whose ``items`` are an enum or ``oneOf`` → checkboxes.

The browser sends strings; :func:`read_submission` turns them back into the schema's types (empty
optional fields are left out) so the engine validates what the practitioner meant. Values that cannot
be converted (``"abc"`` for a number) come back as field errors, and what was typed is kept.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

TEXTAREA_OVER = 500
MAX_RADIOS = 8
MAX_VALUE = 100_000  # characters of one submitted value; the engine limits the whole submission too
DATE_HINT = "For example, 2026-11-23"
DATE_TIME_HINT = "For example, 2026-11-23T14:30:00Z"
YES_NO = (("yes", "Yes"), ("no", "No"))


@dataclass
class FormField:
    """One field to render: ``kind`` is text, textarea, number, radios, select or checkboxes."""

    name: str
    kind: str
    label: str
    hint: str = ""
    required: bool = False
    optional: bool = True  # marked "(optional)": neither required nor required under an if/then
    options: list[tuple[str, str]] = field(default_factory=list)
    value: str | list[str] = ""
    error: str = ""

    @property
    def id(self) -> str:
        return self.name


def humanise(key: str) -> str:
    """``decided_by`` → ``Decided by``."""
    text = str(key).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def _choices(prop: dict) -> list[tuple[object, str]] | None:
    if isinstance(prop.get("enum"), list):
        return [(v, humanise(v) if isinstance(v, str) else str(v)) for v in prop["enum"]]
    one_of = prop.get("oneOf")
    if isinstance(one_of, list) and one_of and all(isinstance(o, dict) and "const" in o for o in one_of):
        return [(o["const"], o.get("title") or humanise(str(o["const"]))) for o in one_of]
    return None


def _conditionally_required(schema: dict) -> set[str]:
    """Fields an ``if/then`` (also inside ``allOf``) may require: not marked "(optional)"."""
    names: set[str] = set()
    parts = [schema] + [p for p in schema.get("allOf") or [] if isinstance(p, dict)]
    for part in parts:
        for branch in ("then", "else"):
            sub = part.get(branch)
            if isinstance(sub, dict):
                names.update(n for n in sub.get("required") or [] if isinstance(n, str))
    return names


def _type(prop: dict) -> str:
    kind = prop.get("type", "string")
    if isinstance(kind, list):  # ["string", "null"]: the first real type
        kind = next((k for k in kind if k != "null"), "string")
    return kind


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def initial_values(schema: dict | None, data: dict) -> dict[str, str | list[str]]:
    """The form's starting values from the case data (a task done before, e.g. after a loop)."""
    values: dict[str, str | list[str]] = {}
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if name not in data or not isinstance(prop, dict):
            continue
        value = data[name]
        if _type(prop) == "array" and isinstance(value, list):
            values[name] = [_as_text(v) for v in value]
        else:
            values[name] = _as_text(value)
    return values


def build_fields(schema: dict | None, values: dict, errors: dict[str, str] | None = None) -> list[FormField]:
    """The fields of ``schema`` with the given (string) values and error messages."""
    errors = errors or {}
    required = set((schema or {}).get("required") or [])
    conditional = _conditionally_required(schema or {})
    fields: list[FormField] = []
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        kind, options, hint = _type(prop), [], prop.get("description", "")
        choices = _choices(prop)
        items_choices = _choices(prop.get("items") or {}) if kind == "array" else None
        if kind == "boolean":
            widget, options = "radios", list(YES_NO)
        elif items_choices is not None:
            widget, options = "checkboxes", [(_as_text(v), t) for v, t in items_choices]
        elif choices is not None:
            options = [(_as_text(v), t) for v, t in choices]
            widget = "radios" if len(options) <= MAX_RADIOS else "select"
        elif kind in ("integer", "number"):
            widget = "number"
        elif kind == "string" and prop.get("format") in ("date", "date-time"):
            widget = "text"
            hint = " ".join(h for h in (hint, DATE_HINT if prop["format"] == "date" else DATE_TIME_HINT) if h)
        elif kind == "string":
            max_length = prop.get("maxLength")
            widget = "text" if isinstance(max_length, int) and max_length <= TEXTAREA_OVER else "textarea"
        else:
            widget = "textarea"  # objects and anything else: JSON typed by hand
            hint = " ".join(h for h in (hint, "Enter the value as JSON.") if h)
        value = values.get(name, [] if widget == "checkboxes" else "")
        if widget == "select" and value == "":
            options = [("", "Choose an option")] + options
        fields.append(FormField(name=name, kind=widget, label=prop.get("title") or humanise(name), hint=hint,
                                required=name in required,
                                optional=name not in required and name not in conditional, options=options, value=value,
                                error=errors.get(name, "")))
    return fields


def _convert(prop: dict, raw: str) -> object:
    """One submitted string as the schema's type; ValueError with a message when it cannot be."""
    kind = _type(prop)
    choices = _choices(prop)
    if choices is not None:
        for value, _title in choices:
            if _as_text(value) == raw:
                return value
        raise ValueError("Choose one of the listed options")
    if kind == "boolean":
        if raw in ("yes", "no"):
            return raw == "yes"
        raise ValueError("Select yes or no")
    if kind == "integer":
        try:
            return int(raw.replace(",", ""))
        except ValueError:
            raise ValueError("Enter a whole number, like 3") from None
    if kind == "number":
        try:
            number = float(raw.replace(",", ""))
        except ValueError:
            raise ValueError("Enter a number, like 3 or 2.5") from None
        return int(number) if number.is_integer() and "." not in raw else number
    if kind in ("object", "array"):
        try:
            return json.loads(raw)
        except ValueError:
            raise ValueError("Enter the value as JSON") from None
    return raw


def read_submission(schema: dict | None, form: MultiDict) -> tuple[dict, dict, dict[str, str]]:
    """The submitted form as ``(data for the engine, values as typed, conversion errors)``."""
    data: dict = {}
    typed: dict[str, str | list[str]] = {}
    errors: dict[str, str] = {}
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        if _type(prop) == "array" and _choices(prop.get("items") or {}) is not None:
            raw_list = [v[:MAX_VALUE] for v in form.getlist(name) if v]
            typed[name] = raw_list
            items = prop.get("items") or {}
            try:
                converted = [_convert(items, v) for v in raw_list]
            except ValueError as error:
                errors[name] = str(error)
                continue
            if converted or name in set(schema.get("required") or []):
                data[name] = converted
            continue
        raw = form.get(name, "")[:MAX_VALUE]
        typed[name] = raw
        text = raw.strip() if _type(prop) != "string" or _choices(prop) is not None else raw
        if not text.strip():
            continue  # empty: left out, the schema says whether it was required
        try:
            data[name] = _convert(prop, text.strip() if _type(prop) != "string" else text)
        except ValueError as error:
            errors[name] = str(error)
    return data, typed, errors


def engine_errors(schema: dict | None, field_errors: dict[str, list[str]], fields_by_name: dict) -> dict[str, str]:
    """The engine's field errors (``"rationale"``, ``"consent.date"``, ``""``) as one message per field.

    A path under a field counts as that field; errors the form has no field for come back under ``""``.
    """
    out: dict[str, str] = {}
    for path, messages in field_errors.items():
        name = path.split(".", 1)[0].split("[", 1)[0]
        message = "; ".join(messages) if messages else "this value is not valid"
        field_ = fields_by_name.get(name)
        if field_ is None:
            out[""] = "; ".join(m for m in (out.get(""), message) if m)
            continue
        if message == "this field is required":
            verb = "Select" if field_.kind in ("radios", "select", "checkboxes") else "Enter"
            message = f"{verb} {field_.label[:1].lower() + field_.label[1:]}"
        else:
            message = f"{field_.label}: {message}"
        out[name] = "; ".join(m for m in (out.get(name), message) if m)
    return out
