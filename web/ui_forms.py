"""A task's JSON Schema (2020-12) and UI schema as GOV.UK form fields, and the submitted strings back as JSON.

Default widgets, by the property's schema:

* ``string`` → text input; a textarea when ``maxLength`` is over 500 or absent (free text such as a
  rationale); ``format: date`` → the GOV.UK date input (day, month, year); ``format: date-time`` →
  a text input with an example in the hint;
* ``enum`` or ``oneOf`` of ``{const, title}`` → radios (up to 8 options) or a select;
* ``boolean`` → Yes/No radios; ``integer`` / ``number`` → a numeric text input;
  a lone ``const`` (``"const": true``: "I confirm...") → one checkbox;
* ``array`` whose ``items`` are an enum or ``oneOf`` → checkboxes; of strings or numbers → a textarea,
  one item per line; of objects → one fieldset per item with an "Add another" button (no JavaScript:
  the button posts the form and the page comes back with one more item; an item left blank is dropped);
* ``object`` with ``properties`` → a fieldset with a legend, its fields named ``parent.child``;
* anything else → a textarea holding JSON. ``default`` values fill empty forms; local ``$ref`` s resolve.

The UI schema (the task's ``formUiSchemaFilename``; RJSF's keys, the subset GOV.UK needs) nests like
the data: ``{"ui:order": [...], "field": {...}, "parent": {"child": {...}}, "list": {"items": {...}}}``.

* ``ui:order``: field names in display order; ``"*"`` stands for every field not listed (fields
  not listed without a ``"*"`` come last);
* ``ui:widget``: ``text``, ``textarea``, ``radio``, ``select``, ``checkboxes``, ``hidden`` (the value
  travels in a hidden input), ``date`` (the GOV.UK date input for a string; ``text`` turns a
  ``format: date`` back into a plain text input). A widget that does not fit the type is ignored;
* ``ui:title``, ``ui:description``: replace the schema's ``title`` (the label) and ``description`` (hint);
* ``ui:help``: more hint text, after the description;
* ``ui:autocomplete``: the input's ``autocomplete`` (``name``, ``email``, ``tel``...: WCAG 1.3.5);
* ``ui:options``: ``rows`` (a textarea's height, 1-40); ``width`` (a GOV.UK input width: ``2``, ``3``,
  ``4``, ``5``, ``10``, ``20``, ``30``, or ``full``, ``three-quarters``, ``two-thirds``, ``one-half``,
  ``one-third``, ``one-quarter``); ``inline`` (radios side by side; two options are by default);
  ``itemTitle`` (an array of objects' item name: "Action" gives "Action 1", "Add another action");
  ``confirmLabel`` (the text beside a ``const`` checkbox).

Unknown keys and bad values are ignored, never an error on the page.

Input names (what a browser posts; what a draft keeps): a field's path with ``.`` between object levels
and ``[n]`` for array items (``decision``, ``referrer.name``, ``actions[0].by_when``); a date's day input is
named like the field, its month and year inputs add ``-month`` and ``-year``. Ids are the names made safe
for HTML and CSS selectors (``referrer-name``, ``actions-0-by_when``; see :func:`safe_id`).

The browser sends strings; :func:`read_submission` turns them back into the schema's types (empty
optional fields are left out) so the engine validates what the practitioner meant. Values that cannot
be converted (``"abc"`` for a number, 31 February) come back as field errors, and what was typed is kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from web.ui_forms_dates import PARTS, part_names, problem
from web.ui_forms_schema import Spec, humanise, item_indices, item_specs, specs, with_reveals
from web.ui_forms_values import MAX_VALUE, initial_values, read_submission

__all__ = ["ADD", "add_item", "build_fields", "DatePart", "engine_errors", "error_summary", "field_of", "FormField",
           "humanise", "initial_values", "MAX_VALUE", "read_submission", "safe_id", "YES_NO"]

YES_NO = (("yes", "Yes"), ("no", "No"))  # a boolean's options as the radios carry them
ADD = "add:"         # the "Add another" button's value prefix: add:<the array's input name>
LIMITS = frozenset({"minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"})
# The engine's messages (jsonschema's) that have a GOV.UK wording, by what they are about.
ENGINE_MESSAGES = ((re.compile(r".* (is too short|should be non-empty)$", re.S), "short"),
                   (re.compile(r".* is too long$", re.S), "long"),
                   (re.compile(r".* is less than the minimum of .*$", re.S), "minimum"),
                   (re.compile(r".* is greater than the maximum of .*$", re.S), "maximum"),
                   (re.compile(r".* is not a 'date'$", re.S), "date"),
                   (re.compile(r".* was expected$", re.S), "const"))


@dataclass
class DatePart:
    """One input of a GOV.UK date input."""

    name: str
    id: str
    label: str
    value: str
    error: bool
    width: str


@dataclass
class FormField:
    """One field to render (the ``form_field`` macro of web/templates/govuk.html).

    ``kind``: text, textarea, number, radios, select, checkboxes, confirm (one checkbox), date, hidden,
    lines (a textarea, one item per line), json, fieldset (``children``: its fields) or repeat
    (``children``: one fieldset per item; ``add_value``: the "Add another" button's value). The
    ``children`` of radios are the fields revealed under one of its options (``reveal_for``).
    """

    name: str
    kind: str
    label: str
    hint: str = ""
    required: bool = False
    optional: bool = True
    options: list[tuple[str, str]] = field(default_factory=list)
    value: str | list[str] = ""
    error: str = ""
    id: str = ""
    rows: int = 5
    width: str = ""
    inline: bool | None = None
    autocomplete: str = ""
    depth: int = 0
    parts: list[DatePart] = field(default_factory=list)
    children: list["FormField"] = field(default_factory=list)
    add_label: str = ""
    add_value: str = ""
    reveal_for: str | None = None  # shown under this option of the radios it belongs to (in their children)
    limits: dict = field(default_factory=dict)  # the schema's minLength, maxItems, minimum...: for messages

    def __post_init__(self):
        if not self.id:
            self.id = safe_id(self.name)

    @property
    def link(self) -> str:
        """Where the error summary's link for this field lands: its first input (with a problem)."""
        if self.kind == "date" and self.parts:
            return next((p.id for p in self.parts if p.error), self.parts[0].id)
        if self.kind in ("fieldset", "repeat") and self.children:
            return self.children[0].link
        return self.id


def safe_id(name: str) -> str:
    """An input name as an id usable in HTML and CSS selectors: ``actions[0].by`` → ``actions-0-by``."""
    text = re.sub(r"[^A-Za-z0-9_-]+", "-", str(name)).strip("-")
    return text if text[:1].isalpha() else f"field-{text}"


class _Ids:
    """Hands out unique ids within one form (two names could make the same safe id)."""

    def __init__(self):
        self.used: set[str] = set()

    def take(self, stem: str, *suffixes: str) -> str:
        candidate, n = stem, 1
        while any(candidate + s in self.used for s in ("", *suffixes)):
            n += 1
            candidate = f"{stem}-{n}"
        self.used.update(candidate + s for s in ("", *suffixes))
        return candidate


# -- rendering ---------------------------------------------------------------------------------------

def build_fields(schema: dict | None, values: dict, errors: dict[str, str] | None = None,
                 ui: dict | None = None) -> list[FormField]:
    """The fields of ``schema`` (laid out by ``ui``) with the given typed values and error messages."""
    root, ids = schema if isinstance(schema, dict) else {}, _Ids()
    return [_field(s, values or {}, errors or {}, root, ids) for s in specs(schema, ui)]


def _field(spec: Spec, values: dict, errors: dict, root: dict, ids: _Ids) -> FormField:
    f = FormField(name=spec.name, kind=spec.kind, label=spec.label, hint=spec.hint, required=spec.required,
                  optional=spec.optional, options=list(spec.options), error=errors.get(spec.name, ""),
                  id=ids.take(safe_id(spec.name), *_suffixes(spec)),
                  rows=spec.rows, width=spec.width, inline=spec.inline, autocomplete=spec.autocomplete,
                  depth=spec.depth, reveal_for=spec.reveal_for,
                  limits={k: v for k, v in spec.prop.items() if k in LIMITS})
    f.children = [_field(c, values, errors, root, ids) for c in spec.reveals]
    if spec.kind in ("checkboxes", "confirm"):
        value = values.get(spec.name, [])
        f.value = [value] if isinstance(value, str) else [str(v) for v in value or []]
    elif spec.kind == "date":
        names = part_names(spec.name)
        typed = {p: _one(values.get(names[p], "")) for p in PARTS}
        found = problem(typed)
        bad = set(found[1]) if found and f.error else (set(PARTS) if f.error else set())
        f.parts = [DatePart(names[p], f.id if p == "day" else f"{f.id}-{p}", p.capitalize(), typed[p], p in bad,
                            "govuk-input--width-4" if p == "year" else "govuk-input--width-2") for p in PARTS]
    elif spec.kind == "fieldset":
        f.children = [_field(c, values, errors, root, ids) for c in spec.children]
    elif spec.kind == "repeat":
        indices = item_indices(values, spec.name) or [0]
        for n, index in enumerate(indices[:spec.max_items], start=1):
            item = FormField(name=f"{spec.name}[{index}]", kind="fieldset", label=f"{spec.item_title} {n}",
                             optional=False, error=errors.get(f"{spec.name}[{index}]", ""), depth=spec.depth + 1)
            item.id = ids.take(item.id)
            item.children = [_field(c, values, errors, root, ids) for c in item_specs(spec, index, root)]
            f.children.append(item)
        if len(indices) < spec.max_items:
            f.add_label = f"Add another {spec.item_title[:1].lower() + spec.item_title[1:]}"
            f.add_value = ADD + spec.name
    else:
        f.value = _one(values.get(spec.name, ""))
        if spec.kind == "select" and f.value == "":
            f.options = [("", "Choose an option")] + f.options
    return f


def _suffixes(spec: Spec) -> tuple[str, ...]:
    """The ids a field's inputs take after its own: a date's month and year, options after the first."""
    if spec.kind == "date":
        return ("-month", "-year")
    if spec.kind in ("radios", "checkboxes"):
        return tuple(f"-{n}" for n in range(2, len(spec.options) + 1))
    return ()


def _one(value: object) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def error_summary(fields: list[FormField], general: str = "") -> list[tuple[str, str]]:
    """The error summary's (link target id, message) pairs, in page order; ``general`` (a form-wide
    problem) first, linked to the first field."""
    found: list[tuple[str, str]] = []

    def walk(f: FormField) -> None:
        if f.error:
            found.append((f.link, f.error))
        for child in f.children:
            walk(child)

    for f in fields:
        walk(f)
    if general:
        found.insert(0, (fields[0].link if fields else "main-content", general))
    return found


def add_item(schema: dict | None, typed: dict, name: str, ui: dict | None = None) -> bool:
    """Add an empty item to the array of objects ``name`` in ``typed`` (the "Add another" button).

    Returns False, changing nothing, when ``name`` is not such an array of the form or it is full.
    """
    root = schema if isinstance(schema, dict) else {}
    spec = _find(specs(schema, ui), name, root)
    if spec is None or spec.kind != "repeat":
        return False
    indices = item_indices(typed, name) or [0]
    if len(indices) >= spec.max_items:
        return False
    for index in {*indices, max(indices) + 1}:
        typed.setdefault(f"{name}[{index}]", "")  # a marker: this item is shown even while blank
    return True


def _find(spec_list: list[Spec], name: str, root: dict) -> Spec | None:
    for spec in with_reveals(spec_list):
        if spec.name == name:
            return spec
        if spec.kind == "fieldset" and name.startswith(spec.name + "."):
            return _find(spec.children, name, root)
        if spec.kind == "repeat" and name.startswith(spec.name + "["):
            for index in item_indices([name], spec.name):
                return _find(item_specs(spec, index, root), name, root)
    return None


def field_of(schema: dict | None, input_name: str, ui: dict | None = None) -> str | None:
    """The top-level property a posted input belongs to (``child.x`` → ``child``), or None."""
    for spec in with_reveals(specs(schema, ui)):
        name = spec.name
        if (input_name == name or input_name.startswith((name + ".", name + "["))
                or (spec.kind == "date" and input_name in (f"{name}-month", f"{name}-year"))):
            return spec.key
    return None


# -- the engine's errors -----------------------------------------------------------------------------

def engine_errors(schema: dict | None, field_errors: dict[str, list[str]], fields_by_name: dict) -> dict[str, str]:
    """The engine's field errors (``"rationale"``, ``"referrer.name"``, ``"actions[0].by"``, ``""``) as one
    message per field, keyed by the field's input name.

    ``fields_by_name`` holds the form's fields (top level; their nested fields are searched too). A path
    under a field counts as that field (the rest of the path is named in the message); errors the form
    has no field for come back under ``""``.
    """
    flat: dict[str, FormField] = {}

    def walk(f: FormField) -> None:
        flat[f.name] = f
        for child in f.children:
            walk(child)

    for f in fields_by_name.values():
        walk(f)
    by_length = sorted(flat, key=len, reverse=True)
    out: dict[str, str] = {}
    for path, messages in field_errors.items():
        message = "; ".join(messages) if messages else "this value is not valid"
        name = path if path in flat else next(
            (n for n in by_length if path.startswith(n) and path[len(n):len(n) + 1] in (".", "[")), None)
        if name is None:
            out[""] = "; ".join(m for m in (out.get(""), message) if m)
            continue
        f, rest = flat[name], path[len(name):]
        if message == "this field is required" and not rest:
            message = _required(f)
        elif not rest and all(_worded(f, m) for m in messages):
            message = "; ".join(_worded(f, m) for m in messages)
        else:
            where = re.sub(r"\[(\d+)\]", lambda m: f" item {int(m.group(1)) + 1}", rest).replace(".", " ").strip()
            message = f"{f.label}{', ' + where if where else ''}: {message}"
        out[name] = "; ".join(m for m in (out.get(name), message) if m)
    return out


def _required(f: FormField) -> str:
    lower = f.label[:1].lower() + f.label[1:]
    if f.kind == "confirm":
        return f"Select the box to confirm: {f.label}"
    if f.kind in ("radios", "select", "checkboxes"):
        return f"Select {lower}"
    return f"Enter {lower}"


def _worded(f: FormField, message: str) -> str:
    """The engine's message about the field's own value in GOV.UK's words ("... must be 10 characters or
    more"), or "" when there is none for it."""
    about = next((what for pattern, what in ENGINE_MESSAGES if pattern.match(message)), "")
    limits, many = f.limits, f.kind in ("checkboxes", "repeat", "lines", "json")
    verb = "select" if f.kind == "checkboxes" else "add"
    if about == "short" and many:
        fewest = limits.get("minItems", 1)
        return _required(f) if fewest == 1 else f"{f.label}: {verb} at least {fewest}"
    if about == "long" and many and "maxItems" in limits:
        return f"{f.label}: {verb} no more than {limits['maxItems']}"
    if about == "short" and "minLength" in limits:
        return f"{f.label} must be {limits['minLength']} characters or more"
    if about == "long" and "maxLength" in limits:
        return f"{f.label} must be {limits['maxLength']} characters or less"
    if about in ("minimum", "maximum") and about in limits:
        return f"{f.label} must be {limits[about]} or {'more' if about == 'minimum' else 'less'}"
    if about == "date":
        return f"{f.label} must be a real date"
    if about == "const" and f.kind == "confirm":
        return _required(f)
    return ""
