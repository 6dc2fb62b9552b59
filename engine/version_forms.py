"""A pathway version's forms as the pages read them: a task's form, a field's title, a value for people.

Used by the case records (:mod:`engine.records`) and by the task views (:mod:`engine.queries`: the
fields a task shows "for this decision"). No workflow is deserialized: the version's parsed spec is
cached per version, and each form's text is parsed once.
"""
from __future__ import annotations

import functools
import json

from . import store, versions
from .form_records import display_items, field_title, properties
from .runtime import Runtime
from .stepping import properties as task_properties
from .views import FieldView

FORM_PROPERTY = "formJsonSchemaFilename"


class VersionForms:
    """The version's tasks and forms, looked up by element id and by field name (read once per call)."""

    def __init__(self, session, rt: Runtime, version_id: int):
        self.session, self.rt, self.version_id = session, rt, version_id
        spec, subs = store.version_spec(session, rt, version_id)
        self.specs = [s for s in (spec, *subs.values()) if s is not None]
        self.start = next((t for t in spec.task_specs.values() if type(t).__name__ == "StartEvent"), None)

    def task(self, element_id: str):
        """The task spec of ``element_id`` ("" is the start event, as the ``case_started`` event records it)."""
        if not element_id:
            return self.start
        return next((s.task_specs[element_id] for s in self.specs if element_id in s.task_specs), None)

    def schema(self, task_spec) -> dict | None:
        name = task_properties(task_spec).get(FORM_PROPERTY) if task_spec is not None else None
        text = versions.file_text(self.session, self.version_id, name, self.rt) if name else None
        return _parsed(text) if text else None

    @functools.cached_property
    def field_props(self) -> dict[str, dict]:
        """Field name → its schema in the first form declaring it (the start form first)."""
        found: dict[str, dict] = {}
        tasks = [self.start] + [t for s in self.specs for t in s.task_specs.values()]
        for task_spec in tasks:
            for name, prop in properties(self.schema(task_spec)).items():
                found.setdefault(name, prop)
        return found

    def field(self, name: str, value) -> FieldView:
        """``value`` of the field ``name`` as a person reads it, titled by the first form declaring it."""
        return field_view(name, self.field_props.get(name), value)


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> dict:
    # Keyed by the form's text, which a published version never changes: parse each form once.
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def field_view(name: str, prop: dict | None, value) -> FieldView:
    fmt = prop.get("format") if isinstance(prop, dict) and isinstance(prop.get("format"), str) else ""
    return FieldView(name=name, title=field_title(prop, name), value=value, items=display_items(prop, value),
                     format=fmt)
