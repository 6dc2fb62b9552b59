"""What a form says about the record it makes: field titles, display values, and consent declarations.

A form is a JSON Schema (see :mod:`engine.forms`); the case page shows what a task recorded through
it, so the form is also where a field's title and its choices' titles come from. A form that records
a consent declares it with the top-level keyword ``x-pathways-consent``, mapping what a consent
record shows (:data:`CONSENT_PARTS`) to the form's own fields, e.g.::

    "x-pathways-consent": {"agreed": "consent_given", "given_by": ["consent_given_by"],
                           "date": "consent_date", "scope": "consent_scope",
                           "withdrawn": "consent_withdrawn", "withdrawn_on": "consent_withdrawn_on"}

JSON Schema ignores keywords it does not know, so submissions validate as before; the pathway
validator checks the declaration (:func:`consent_declaration_problems`). No Python here names a field.
"""
from __future__ import annotations

import datetime as dt

from .views import long_date

CONSENT_KEYWORD = "x-pathways-consent"
# What a consent record shows, in order; "agreed" is required. Each names one field or a list of fields.
CONSENT_PARTS = ("agreed", "given_by", "date", "scope", "withdrawn", "withdrawn_on", "notes")
MAX_TEXT = 20_000  # characters of one displayed value (a case page is not a document store)


def humanise(name: str) -> str:
    """``decided_by`` → ``Decided by`` (the title of a field or choice whose form gives none)."""
    text = str(name).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def properties(schema: dict | None) -> dict:
    props = (schema or {}).get("properties") if isinstance(schema, dict) else None
    return props if isinstance(props, dict) else {}


def field_title(prop: dict | None, name: str) -> str:
    title = prop.get("title") if isinstance(prop, dict) else None
    return title.strip() if isinstance(title, str) and title.strip() else humanise(name)


def _choice_titles(prop: dict) -> dict | None:
    """Value → title for an ``enum`` (titles made from the values) or a ``oneOf`` of ``{const, title}``."""
    one_of = prop.get("oneOf")
    if isinstance(one_of, list) and one_of and all(isinstance(o, dict) and "const" in o for o in one_of):
        return {_key(o["const"]): (o.get("title") or _plain(o["const"])) for o in one_of}
    if isinstance(prop.get("enum"), list):
        return {_key(v): _plain(v) for v in prop["enum"]}
    return None


def _key(value) -> tuple:
    # True == 1 in Python: keep booleans and numbers apart when looking a value up among the choices.
    return (type(value).__name__, value if isinstance(value, (str, int, float, bool, type(None))) else repr(value))


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return humanise(value)
    return str(value)


def display_items(prop: dict | None, value) -> tuple[str, ...]:
    """A recorded value as the lines a person reads: choices by their titles, Yes/No, dates in words.

    A list gives one line per item; anything else one line (none for a value not recorded).
    """
    prop = prop if isinstance(prop, dict) else {}
    if value is None:
        return ()
    if isinstance(value, list):
        if not value:
            return ("None",)  # recorded as nothing (no box ticked), which is not "not recorded"
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        return tuple(line for v in value for line in display_items(items, v))
    choices = _choice_titles(prop)
    if choices is not None and _key(value) in choices:
        return (str(choices[_key(value)])[:MAX_TEXT],)
    if isinstance(value, dict):
        props = properties(prop)
        parts = [f"{field_title(props.get(k), k)}: {', '.join(display_items(props.get(k), v))}"
                 for k, v in value.items() if v is not None]
        return ("; ".join(parts)[:MAX_TEXT],) if parts else ()
    if isinstance(value, bool):
        return ("Yes" if value else "No",)
    if isinstance(value, str) and prop.get("format") == "date":
        return (_date_words(value),)
    return (str(value)[:MAX_TEXT],)


def _date_words(value: str) -> str:
    """``2026-11-23`` → ``23 November 2026`` (the GOV.UK style); anything else is shown as it is."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value[:MAX_TEXT]
    return long_date(day)


def consent_parts(schema: dict | None) -> dict[str, tuple[str, ...]] | None:
    """The form's consent declaration as part → field names, or None if the form records no consent.

    A malformed declaration is treated as none (publication refuses it: see
    :func:`consent_declaration_problems`).
    """
    declared = schema.get(CONSENT_KEYWORD) if isinstance(schema, dict) else None
    if declared is None or consent_declaration_problems(schema):
        return None
    return {part: _names(declared[part]) for part in CONSENT_PARTS if part in declared}


def _names(value) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def consent_declaration_problems(schema: dict) -> list[str]:
    """What is wrong with the form's ``x-pathways-consent`` declaration ([] when none or when sound)."""
    if not isinstance(schema, dict) or CONSENT_KEYWORD not in schema:
        return []
    declared = schema[CONSENT_KEYWORD]
    shape = (f"{CONSENT_KEYWORD} must map what a consent record shows ({', '.join(CONSENT_PARTS)}) to this "
             "form's field names, for example {\"agreed\": \"consent_given\", \"date\": \"consent_date\"}")
    if not isinstance(declared, dict) or not declared:
        return [shape]
    problems = []
    unknown = sorted(str(k) for k in declared if k not in CONSENT_PARTS)
    if unknown:
        problems.append(f"{CONSENT_KEYWORD}: unknown part {', '.join(map(repr, unknown))}; the parts are "
                        f"{', '.join(CONSENT_PARTS)}")
    if "agreed" not in declared:
        problems.append(f"{CONSENT_KEYWORD} needs \"agreed\": the field that says whether consent was given")
    fields = properties(schema)
    for part in CONSENT_PARTS:
        if part not in declared:
            continue
        value = declared[part]
        if not (isinstance(value, str) or (isinstance(value, list) and value
                                           and all(isinstance(v, str) for v in value))):
            problems.append(f"{CONSENT_KEYWORD}: {part!r} must be a field name or a list of field names")
            continue
        missing = [name for name in _names(value) if name not in fields]
        if missing:
            problems.append(f"{CONSENT_KEYWORD}: {part!r} names {', '.join(map(repr, missing))}, which "
                            f"{'is not a field' if len(missing) == 1 else 'are not fields'} of this form")
    return problems
