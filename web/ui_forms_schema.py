"""What each property of a form becomes (the JSON Schema and its UI schema read together).

:func:`specs` walks an object schema in display order and returns one :class:`Spec` per field: its
input name, its kind of widget, label, hint, options and presentation hints. :mod:`web.ui_forms`
renders specs with values and reads submissions back through them, so rendering and reading always
agree on names and kinds. The UI schema keys understood here are documented in :mod:`web.ui_forms`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from web.ui_forms_dates import HINT as DATE_HINT

TEXTAREA_OVER = 500
MAX_RADIOS = 8
MAX_DEPTH = 6  # nested objects deeper than this are typed as JSON
DATE_TIME_HINT = "For example, 2026-11-23T14:30:00Z"
JSON_HINT = "Enter the value as JSON."
LINES_HINT = "Put each one on a new line."
REPEAT_HINT = "To remove one, clear its fields."
BOOLEAN_CHOICES = ((True, "Yes"), (False, "No"))
WIDGETS = frozenset({"text", "textarea", "radio", "select", "checkboxes", "hidden", "date"})
INPUT_WIDTHS = {"2", "3", "4", "5", "10", "20", "30"}
FLUID_WIDTHS = {"full", "three-quarters", "two-thirds", "one-half", "one-third", "one-quarter"}
AUTOCOMPLETE = re.compile(r"^[a-z][a-z0-9 -]{0,60}$")


@dataclass
class Spec:
    """One field of a form, before values: what to render and how to read it back."""

    key: str                 # the property's name in its object
    name: str                # the input's name: "field", "parent.child", "items[0].child"
    kind: str                # text textarea number radios select checkboxes confirm date hidden lines json
                             # fieldset (an object) repeat (an array of objects)
    prop: dict               # the property's schema ($ref resolved)
    label: str
    hint: str = ""
    required: bool = False
    optional: bool = True    # shown "(optional)": neither required nor required under an if/then
    options: list[tuple[str, str]] = field(default_factory=list)
    choices: list[tuple[object, str]] | None = None  # the values behind the options
    rows: int = 5
    width: str = ""          # a GOV.UK width class
    inline: bool | None = None
    autocomplete: str = ""
    depth: int = 0
    ui: dict = field(default_factory=dict)
    children: list["Spec"] = field(default_factory=list)  # fieldset: its fields
    item_title: str = ""     # repeat: "Action" for "Action 1", "Add another action"
    max_items: int = 50
    reveals: list["Spec"] = field(default_factory=list)  # radios: fields revealed under one of the options
    reveal_for: str | None = None  # a revealed field: the option (as the radio's value) it appears under


def humanise(key: str) -> str:
    """``decided_by`` → ``Decided by``."""
    text = str(key).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def as_text(value: object) -> str:
    """A JSON value as the text an input holds (booleans as yes/no, objects and lists as JSON)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def type_of(prop: dict) -> str:
    kind = prop.get("type")
    if kind is None and "const" in prop:
        kind = {bool: "boolean", int: "integer", float: "number"}.get(type(prop["const"]), "string")
    if isinstance(kind, list):  # ["string", "null"]: the first real type
        kind = next((k for k in kind if k != "null"), "string")
    return kind if isinstance(kind, str) else "string"


def choices_of(prop: dict) -> list[tuple[object, str]] | None:
    if isinstance(prop.get("enum"), list):
        return [(v, humanise(v) if isinstance(v, str) else str(v)) for v in prop["enum"]]
    one_of = prop.get("oneOf")
    if isinstance(one_of, list) and one_of and all(isinstance(o, dict) and "const" in o for o in one_of):
        return [(o["const"], o.get("title") or humanise(str(o["const"]))) for o in one_of]
    return None


def resolve(prop: object, root: dict, depth: int = 0) -> dict:
    """``prop`` with a local ``$ref`` (``#/$defs/address``) replaced by what it points at (siblings kept)."""
    if not isinstance(prop, dict):
        return {}
    ref = prop.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/") or depth > MAX_DEPTH:
        return prop
    target: object = root
    for part in ref[2:].split("/"):
        target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
    merged = {**resolve(target, root, depth + 1), **{k: v for k, v in prop.items() if k != "$ref"}}
    return merged


def ui_of(ui: object, key: str) -> dict:
    sub = ui.get(key) if isinstance(ui, dict) else None
    return sub if isinstance(sub, dict) else {}


def ordered(props: dict, ui: dict) -> list[str]:
    """Property names in display order: ``ui:order`` (``"*"`` = the rest in schema order), then the rest."""
    names = [n for n, p in props.items() if isinstance(p, dict)]
    order = ui.get("ui:order") if isinstance(ui, dict) else None
    if not isinstance(order, list):
        return names
    listed: list[str] = []
    for name in order:
        if isinstance(name, str) and (name in names or name == "*") and name not in listed:
            listed.append(name)
    rest = [n for n in names if n not in listed]
    if "*" in listed:
        at = listed.index("*")
        return listed[:at] + rest + listed[at + 1:]
    return listed + rest


def conditionally_required(schema: dict) -> set[str]:
    """Fields an ``if/then`` (also inside ``allOf``) may require: not marked "(optional)"."""
    names: set[str] = set()
    parts = [schema] + [p for p in schema.get("allOf") or [] if isinstance(p, dict)]
    for part in parts:
        for branch in ("then", "else"):
            sub = part.get(branch)
            if isinstance(sub, dict):
                names.update(n for n in sub.get("required") or [] if isinstance(n, str))
    return names


def _options(ui: dict) -> dict:
    found = ui.get("ui:options")
    return found if isinstance(found, dict) else {}


def _width(value: object) -> str:
    text = str(value).strip().lower().removeprefix("width-") if value is not None else ""
    if text in INPUT_WIDTHS:
        return f"govuk-input--width-{text}"
    if text in FLUID_WIDTHS:
        return f"govuk-!-width-{text}"
    return ""


def _text(value: object, fallback: str) -> str:
    return value if isinstance(value, str) and value.strip() else fallback


def _kind(prop: dict, ui: dict, depth: int) -> str:
    """The widget for a property: the UI schema's ``ui:widget`` where it fits the type, else the default."""
    widget = ui.get("ui:widget") if ui.get("ui:widget") in WIDGETS else None
    kind, items = type_of(prop), prop.get("items") if isinstance(prop.get("items"), dict) else {}
    choices = choices_of(prop)
    if widget == "hidden":
        return "hidden"
    if kind == "object" and isinstance(prop.get("properties"), dict) and depth < MAX_DEPTH:
        return "fieldset"
    if kind == "array":
        if choices_of(items) is not None:
            return "checkboxes"
        if type_of(items) == "object" and isinstance(items.get("properties"), dict) and depth < MAX_DEPTH:
            return "repeat"
        if type_of(items) in ("string", "integer", "number") and not items.get("format") == "date":
            return "lines"
        return "json"
    if "const" in prop and choices is None:
        return "confirm"
    if kind == "boolean" or choices is not None:
        if widget in ("radio", "select"):
            return "radios" if widget == "radio" else "select"
        count = 2 if kind == "boolean" else len(choices or [])
        return "radios" if count <= MAX_RADIOS else "select"
    if kind in ("integer", "number"):
        return "number"
    if kind == "string":
        if widget == "date" or (prop.get("format") == "date" and widget != "text"):
            return "date"
        if widget in ("text", "textarea"):
            return widget
        if prop.get("format") == "date-time":
            return "text"
        max_length = prop.get("maxLength")
        return "text" if isinstance(max_length, int) and max_length <= TEXTAREA_OVER else "textarea"
    return "json"


def spec_of(key: str, prop: dict, ui: dict, root: dict, *, prefix: str, required: bool, optional: bool,
            depth: int) -> Spec:
    prop = resolve(prop, root)
    kind, options_ui = _kind(prop, ui, depth), _options(ui)
    label = _text(ui.get("ui:title"), prop.get("title") or humanise(key))
    hints = [_text(ui.get("ui:description"), prop.get("description") or "")]
    if kind == "date":
        hints.append(DATE_HINT)
    elif kind == "text" and prop.get("format") == "date-time":
        hints.append(DATE_TIME_HINT)
    elif kind == "lines":
        hints.append(LINES_HINT)
    elif kind == "json":
        hints.append(JSON_HINT)
    elif kind == "repeat":
        hints.append(REPEAT_HINT)
    hints.append(_text(ui.get("ui:help"), ""))
    spec = Spec(key=key, name=f"{prefix}{key}", kind=kind, prop=prop, label=label,
                hint=" ".join(h.strip() for h in hints if h and h.strip()), required=required, optional=optional,
                depth=depth, ui=ui)
    rows = options_ui.get("rows")
    spec.rows = rows if isinstance(rows, int) and not isinstance(rows, bool) and 1 <= rows <= 40 else 5
    spec.width = _width(options_ui.get("width")) or ("govuk-input--width-10" if kind == "number" else "")
    spec.inline = options_ui.get("inline") if isinstance(options_ui.get("inline"), bool) else None
    auto = ui.get("ui:autocomplete")
    spec.autocomplete = auto if isinstance(auto, str) and AUTOCOMPLETE.match(auto) else ""
    if kind == "checkboxes":
        spec.choices = choices_of(prop.get("items") or {})
    elif kind in ("radios", "select"):
        spec.choices = choices_of(prop) if choices_of(prop) is not None else list(BOOLEAN_CHOICES)
    elif kind == "confirm":
        spec.choices = [(prop["const"], _text(options_ui.get("confirmLabel"), label))]
    if spec.choices is not None:
        spec.options = [(as_text(v), t) for v, t in spec.choices]
    if kind == "fieldset":
        spec.children = specs(prop, ui, root, prefix=f"{spec.name}.", depth=depth + 1)
    elif kind == "repeat":
        items = resolve(prop.get("items"), root)
        spec.item_title = _text(options_ui.get("itemTitle"), items.get("title") or "Item")
        limit = prop.get("maxItems")
        spec.max_items = limit if isinstance(limit, int) and 0 < limit <= 200 else 50
    return spec


def specs(schema: dict | None, ui: dict | None, root: dict | None = None, *, prefix: str = "",
          depth: int = 0) -> list[Spec]:
    """The fields of an object schema, in display order (``ui:order``), with names under ``prefix``."""
    schema = schema if isinstance(schema, dict) else {}
    root = root if isinstance(root, dict) else schema
    ui = ui if isinstance(ui, dict) else {}
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = {n for n in schema.get("required") or [] if isinstance(n, str)}
    conditional = conditionally_required(schema)
    found = [spec_of(key, props[key], ui_of(ui, key), root, prefix=prefix, required=key in required,
                     optional=key not in required and key not in conditional, depth=depth)
             for key in ordered(props, ui)]
    return _reveal(schema, found)


def with_reveals(spec_list: list[Spec]) -> list[Spec]:
    """The specs with the fields each radio reveals right after it: every field of the object, in order."""
    return [s for spec in spec_list for s in (spec, *spec.reveals)]


def _rules(schema: dict) -> tuple[list[tuple[str, object, list[str]]], set[str]]:
    """The ``if {X: {const: v}} then {required: [...]}`` rules of an object, and every field an ``if`` tests."""
    rules, tested = [], set()
    for part in [schema] + [p for p in schema.get("allOf") or [] if isinstance(p, dict)]:
        cond, then = part.get("if"), part.get("then")
        if not isinstance(cond, dict):
            continue
        tests = cond.get("properties") if isinstance(cond.get("properties"), dict) else {}
        tested.update(tests)
        if (not isinstance(then, dict) or set(then) != {"required"} or len(tests) != 1
                or set(cond) - {"properties", "required"}):
            continue
        (key, test), = tests.items()
        names = [n for n in then.get("required") or [] if isinstance(n, str)]
        if isinstance(test, dict) and set(test) == {"const"} and names:
            rules.append((key, test["const"], names))
    return rules, tested


def _reveal(schema: dict, found: list[Spec]) -> list[Spec]:
    """Move the fields a radio's option requires (and nothing else does) under that option.

    GOV.UK's conditional reveal: ``"if": {"properties": {"agreement": {"const": "given"}}}, "then":
    {"required": ["given_by"]}`` shows "given by" under the "Given" radio (hidden by JavaScript until it is
    chosen; shown in place without JavaScript). A field is moved only when exactly one such rule requires
    it, no ``if`` tests it and the form does not always require it; ``"ui:options": {"reveal": false}`` on
    the radio field keeps its fields where they are.
    """
    rules, tested = _rules(schema)
    if not rules:
        return found
    by_key = {s.key: s for s in found}
    counts: dict[str, int] = {}
    for _key, _value, names in rules:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    for key, value, names in rules:
        parent = by_key.get(key)
        if (parent is None or parent.kind != "radios" or parent.reveal_for is not None
                or _options(parent.ui).get("reveal") is False
                or as_text(value) not in [option for option, _text in parent.options]):
            continue
        for name in names:
            child = by_key.get(name)
            if (child is None or child is parent or counts[name] != 1 or name in tested or child.required
                    or child.reveal_for is not None or child.reveals):
                continue
            child.reveal_for, child.depth = as_text(value), child.depth + 1
            parent.reveals.append(child)
    position = {id(s): n for n, s in enumerate(found)}
    for spec in found:
        spec.reveals.sort(key=lambda s: position[id(s)])
    return [s for s in found if s.reveal_for is None]


def item_specs(spec: Spec, index: int, root: dict) -> list[Spec]:
    """The fields of item ``index`` of a repeat (an array of objects)."""
    items = resolve(spec.prop.get("items"), root)
    return specs(items, ui_of(spec.ui, "items"), root, prefix=f"{spec.name}[{index}].", depth=spec.depth + 1)


def item_indices(keys, name: str) -> list[int]:
    """The item numbers of the array ``name`` among input names (``name[3].x`` → 3), in order."""
    pattern = re.compile(re.escape(name) + r"\[(\d{1,4})\](?:$|[.\[-])")
    found = {int(m.group(1)) for k in keys if isinstance(k, str) and (m := pattern.match(k))}
    return sorted(found)
