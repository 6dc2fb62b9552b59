"""Checking submitted data against a task's JSON Schema form, with per-field messages."""
from __future__ import annotations

import json
from functools import lru_cache

from jsonschema import Draft202012Validator, FormatChecker

from .errors import FormValidationError

MAX_SUBMISSION_BYTES = 200_000


@lru_cache(maxsize=512)
def _validator(schema_text: str) -> Draft202012Validator:
    # Keyed by the schema's text: a form belongs to an immutable version, so this never goes stale.
    return Draft202012Validator(json.loads(schema_text), format_checker=FormatChecker())


def validate_submission(schema_text: str, data: object) -> dict:
    """Validate ``data`` against the form; return the data to merge into the case.

    Only fields the form declares are accepted: a form is the contract of what a task may change,
    so a submission cannot overwrite other case data (``settings``, another task's decision).

    Raises:
        FormValidationError: with ``field_errors`` for every failing field.
    """
    if not isinstance(data, dict):
        raise FormValidationError({"": ["the submission must be a JSON object of field values"]})
    if len(json.dumps(data, default=str)) > MAX_SUBMISSION_BYTES:
        raise FormValidationError({"": [f"the submission is larger than {MAX_SUBMISSION_BYTES} bytes"]})
    validator = _validator(schema_text)
    declared = validator.schema.get("properties", {})
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in declared:
            errors.setdefault(key, []).append("this form has no such field")
    for error in validator.iter_errors(data):
        for path, message in _describe(error):
            if message not in errors.setdefault(path, []):
                errors[path].append(message)
    if errors:
        raise FormValidationError(errors)
    return {k: v for k, v in data.items() if k in declared}


def _describe(error) -> list[tuple[str, str]]:
    path = _path(error.absolute_path)
    if error.validator == "required":
        missing = [p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance]
        return [(_join(path, name), "this field is required") for name in missing] or [(path, error.message)]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        return [(_join(path, k), "this form has no such field") for k in extra]
    if error.validator == "enum":
        return [(path, "choose one of the listed options")]
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Show the most specific reason (e.g. "rationale is required when the decision differs").
        best = sorted(error.context, key=lambda e: -len(e.absolute_path))[0]
        return _describe(best)
    return [(path, error.message)]


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
