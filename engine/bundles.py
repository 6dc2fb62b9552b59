"""Pathway bundles: the files that make one version of a pathway, read from disk or from storage.

On disk a pathway is a folder of ``processes/`` holding ``pathway.yaml`` (its manifest), its BPMN and
DMN files, its scenarios and its letter templates (``*.txt``); the forms its tasks name are taken
from the top-level ``forms/`` folder. A bundle's identity is the SHA-256 of its files, so loading an unchanged pathway again
makes no new version.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import PathwayInvalidError, Problem
from .letter_specs import LetterSpec, parse_letters

MANIFEST = "pathway.yaml"
MAX_FILE_BYTES = 2_000_000
MAX_BUNDLE_FILES = 200
_KEY = re.compile(r"^[a-z][a-z0-9_]{1,60}$")
_AUTOCOMPLETE = re.compile(r"^[a-z][a-z0-9 -]{0,60}$")  # HTML autocomplete tokens ("name", "tel", "email")
_BUNDLE_SUFFIXES = (".bpmn", ".dmn", ".yaml", ".yml", ".json", ".txt")  # .txt: letter templates


@dataclass(frozen=True)
class Manifest:
    key: str
    name: str
    process_id: str
    settings: dict = field(default_factory=dict)
    title: str | None = None  # sandbox expression giving a case's title from its data
    description: str = ""
    # The pathway may be started by the public (no sign-in) through the online referral form:
    # :meth:`engine.Engine.start_public_case` refuses pathways without it.
    public_start: bool = False
    # start_fields: what the start pages fill in themselves (so no Python names a form field):
    # ``now`` lists fields given the current time; ``public`` fields the public form sets, unseen.
    start_now: tuple[str, ...] = ()
    start_public: dict = field(default_factory=dict)
    # ``public_autocomplete``: on the public form, the fields about the person filling it in, with
    # their HTML autocomplete purpose (WCAG 1.3.5), e.g. {referrer_name: name}.
    start_autocomplete: dict = field(default_factory=dict)
    # summary: what the case page shows first (the child, the referrer...): ``(heading, (field, ...))``
    # pairs, each field named in one of the version's forms (checked at publication).
    summary: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # letters: the letters the pathway offers, each from a template per value of a case field
    # (see engine/letter_specs.py; the templates are checked at publication).
    letters: tuple[LetterSpec, ...] = ()


@dataclass(frozen=True)
class Bundle:
    manifest: Manifest
    files: dict[str, bytes]

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0" + hashlib.sha256(self.files[path]).hexdigest().encode() + b"\n")
        return digest.hexdigest()


def parse_manifest(content: bytes, file: str = MANIFEST) -> Manifest:
    """Read a ``pathway.yaml``.

    Raises:
        PathwayInvalidError: not YAML, not a mapping, or a required field is missing or malformed.
    """
    def bad(message: str, line: int | None = None) -> PathwayInvalidError:
        return PathwayInvalidError([Problem(file, line, "", message)])

    if len(content) > 64_000:
        raise bad("the manifest is larger than 64 KB")
    try:
        data = yaml.safe_load(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad("the manifest is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise bad(f"not valid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise bad("the manifest must be a mapping with key, name and process")
    missing = [k for k in ("key", "name", "process") if not isinstance(data.get(k), str) or not data.get(k)]
    if missing:
        raise bad(f"the manifest needs text values for: {', '.join(missing)}")
    if not _KEY.match(data["key"]):
        raise bad(f"key {data['key']!r} must be lower-case letters, digits and underscores")
    settings = data.get("settings") or {}
    if not isinstance(settings, dict) or not all(isinstance(k, str) and k.isidentifier() for k in settings):
        raise bad("settings must be a mapping whose keys are plain names")
    for name, value in settings.items():
        if isinstance(value, dict) and "value" in value:
            settings[name] = value["value"]  # a setting may be documented as {value:, source:, note:}
        if not isinstance(settings[name], (str, int, float, bool, list, type(None))):
            raise bad(f"setting {name!r} must be a number, text, true/false or a list")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise bad("title must be an expression (text)")
    public_start = data.get("public_start", False)
    if not isinstance(public_start, bool):
        raise bad("public_start must be true or false")
    start_fields = data.get("start_fields") or {}
    now_fields = start_fields.get("now", []) if isinstance(start_fields, dict) else None
    public_values = start_fields.get("public", {}) if isinstance(start_fields, dict) else None
    if (not isinstance(now_fields, list) or not all(isinstance(f, str) and f.isidentifier() for f in now_fields)
            or not isinstance(public_values, dict)
            or not all(isinstance(k, str) and k.isidentifier() and isinstance(v, (str, int, float, bool))
                       for k, v in public_values.items())):
        raise bad("start_fields must be {now: [field names], public: {field name: value}}")
    autocomplete = start_fields.get("public_autocomplete", {}) if isinstance(start_fields, dict) else None
    if not isinstance(autocomplete, dict) or not all(
            isinstance(k, str) and k.isidentifier() and isinstance(v, str) and _AUTOCOMPLETE.match(v)
            for k, v in autocomplete.items()):
        raise bad("start_fields.public_autocomplete must be {field name: an HTML autocomplete token such as "
                  "name, email or tel}")
    summary = _summary(data.get("summary") or [], bad)
    return Manifest(key=data["key"], name=data["name"], process_id=data["process"], settings=settings,
                    title=title, description=str(data.get("description") or ""), public_start=public_start,
                    start_now=tuple(now_fields), start_public=dict(public_values),
                    start_autocomplete=dict(autocomplete), summary=summary,
                    letters=parse_letters(data.get("letters"), bad))


def _summary(sections, bad) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``summary: [{heading: Child, fields: [child_name, ...]}, ...]`` as ``((heading, fields), ...)``.

    Raises:
        PathwayInvalidError (made by ``bad``): not a list of such mappings, or a field is not a plain name.
    """
    shape = "summary must be a list of {heading: text, fields: [field names]}"
    if not isinstance(sections, list):
        raise bad(shape)
    parsed = []
    for n, section in enumerate(sections, start=1):
        if not isinstance(section, dict) or set(section) - {"heading", "fields"}:
            raise bad(f"{shape} (section {n})")
        heading, names = section.get("heading"), section.get("fields")
        if not isinstance(heading, str) or not heading.strip():
            raise bad(f"summary section {n} needs a heading (text)")
        if (not isinstance(names, list) or not names
                or not all(isinstance(f, str) and f.isidentifier() for f in names)):
            raise bad(f"summary section {heading!r} needs fields: a list of field names")
        parsed.append((heading.strip(), tuple(names)))
    return tuple(parsed)


def read_folder(folder: Path, forms_dir: Path | None) -> Bundle:
    """Read the pathway in ``folder``; forms named by its tasks come from ``forms_dir``.

    Raises:
        PathwayInvalidError: no manifest, a file too large, too many files, a named form missing.
    """
    from .validation import form_names  # the validator owns BPMN parsing

    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise PathwayInvalidError([Problem(str(manifest_path), None, "", "pathway folder has no pathway.yaml")])
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in _BUNDLE_SUFFIXES:
            files[path.relative_to(folder).as_posix()] = _read_limited(path)
    if len(files) > MAX_BUNDLE_FILES:
        raise PathwayInvalidError([Problem(str(folder), None, "", f"more than {MAX_BUNDLE_FILES} files")])
    manifest = parse_manifest(files[MANIFEST], str(manifest_path))
    problems = []
    for name in sorted(form_names(files)):
        for candidate in ([forms_dir / name] if forms_dir else []):
            if candidate.is_file():
                files[f"forms/{name}"] = _read_limited(candidate)
                ui = candidate.with_name(name.replace(".schema.json", ".uischema.json"))
                if ui != candidate and ui.is_file():
                    files[f"forms/{ui.name}"] = _read_limited(ui)
                break
        else:
            if not any(p.endswith("/" + name) or p == name for p in files):
                problems.append(Problem(str(folder), None, "", f"form {name!r} not found in {forms_dir}"))
    if problems:
        raise PathwayInvalidError(problems)
    return Bundle(manifest, files)


def from_files(files: dict[str, bytes]) -> Bundle:
    """A bundle from stored files (they include the manifest)."""
    if MANIFEST not in files:
        raise PathwayInvalidError([Problem(MANIFEST, None, "", "the bundle has no pathway.yaml")])
    return Bundle(parse_manifest(files[MANIFEST]), dict(files))


def discover(processes_dir: Path) -> list[Path]:
    """The pathway folders under ``processes_dir`` (each has a ``pathway.yaml``)."""
    return sorted(p.parent for p in processes_dir.glob(f"*/{MANIFEST}"))


def _read_limited(path: Path) -> bytes:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise PathwayInvalidError([Problem(str(path), None, "", f"file larger than {MAX_FILE_BYTES} bytes")])
    return path.read_bytes()
