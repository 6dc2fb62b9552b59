"""Checks of what a pathway's manifest (``pathway.yaml``) declares: its summary and its letters.

The manifest's ``summary`` names the fields the case page shows first (the child, the referrer...).
A name that no form of the pathway declares would show as "Not recorded" on every case for ever, so
it is refused. Letters are checked by :mod:`engine.validation_letters`. Every manifest in the files is
checked, parsed once: publication has one (``pathway.yaml``); ``pathways check`` may have several
(``processes/front_door/pathway.yaml``...), each with the BPMN files of its own folder, and the forms
among the checked files (the summary check is skipped when none were given to check).
"""
from __future__ import annotations

import json
import posixpath
import re

from engine.bundles import MANIFEST, parse_manifest
from engine.errors import PathwayInvalidError
from engine.validation_common import Doc, Problems
from engine.validation_forms import is_form_file
from engine.validation_letters import check_letters


def check_manifests(files: dict[str, bytes], docs: list[Doc], known_roles: set[str] | None,
                    problems: Problems) -> None:
    """Each manifest's summary fields are fields of the forms; its letters are sound (see the module)."""
    declared = _declared_fields(files)
    for manifest_path in sorted(p for p in files if p == MANIFEST or p.endswith("/" + MANIFEST)):
        try:
            manifest = parse_manifest(files[manifest_path], manifest_path)
        except PathwayInvalidError as exc:
            problems.extend(exc.problems)
            continue
        if declared is not None:
            _check_summary(manifest, manifest_path, files[manifest_path], declared, problems)
        check_letters(manifest, manifest_path, files, known_roles, _lanes(docs, manifest_path), problems)


def _declared_fields(files: dict[str, bytes]) -> set[str] | None:
    """Every field of the forms among ``files`` (None: no form was given)."""
    declared: set[str] = set()
    forms = [path for path in files if is_form_file(path)]
    for path in forms:
        try:
            schema = json.loads(files[path].decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            continue  # the form's own check reports it
        props = schema.get("properties") if isinstance(schema, dict) else None
        declared.update(props if isinstance(props, dict) else ())
    return declared if forms else None


def _lanes(docs: list[Doc], manifest_path: str) -> set[str]:
    """The lane names of the BPMN files in the manifest's folder (and below it)."""
    folder = posixpath.dirname(manifest_path)
    lanes: set[str] = set()
    for doc in docs:
        if doc.kind == "bpmn" and (not folder or doc.path.startswith(folder + "/")):
            lanes.update(name for name in doc.xpath("//bpmn:lane/@name") if name)
    return lanes


def _check_summary(manifest, manifest_path: str, content: bytes, declared: set[str], problems: Problems) -> None:
    text = content.decode("utf-8", "replace")
    for heading, names in manifest.summary:
        for name in names:
            if name not in declared:
                problems.add(manifest_path, None, f"summary {heading!r}: no form of this pathway has a field "
                             f"{name!r} (summary fields must be fields of the pathway's forms)", element_id="",
                             line=_line_of(text, name))


def _line_of(text: str, name: str) -> int | None:
    """Best effort: the first line after ``summary:`` naming the field."""
    start = re.search(r"^summary\s*:", text, re.M)
    match = re.compile(rf"\b{re.escape(name)}\b").search(text, start.end() if start else 0)
    return text.count("\n", 0, match.start()) + 1 if match else None
