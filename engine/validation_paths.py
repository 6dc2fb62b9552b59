"""Reading pathway files from disk for ``pathways check PATH...``: collecting, grouping, roles.

Paths are reported as the user typed them. Nothing named inside a diagram is ever opened as a
path: forms are looked up by plain file name inside known ``forms/`` folders only.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from engine.errors import ConfigurationError, Problem
from engine.validation_common import find_in_bundle
from engine.validation_forms import MAX_FORM_BYTES
from engine.xmlsafe import MAX_XML_BYTES

# pathway.yaml and .txt: a manifest's letters and their templates (engine/validation_letters.py).
CHECKED_SUFFIXES = (".bpmn", ".dmn", ".schema.json", ".uischema.json", "pathway.yaml", ".txt")
MANIFEST = "pathway.yaml"
ROLES_FILE = "roles.yaml"
MAX_ROLES_BYTES = 256_000
_SKIPPED_DIRS = {"__pycache__", "node_modules", "venv"}


@dataclass
class Group:
    """Files checked together as one bundle; problems are reported only for ``reported`` files."""

    files: dict[str, bytes] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    forms_dirs: list[tuple[Path, str]] = field(default_factory=list)
    relative: bool = True
    read: set[Path] = field(default_factory=set)


def collect(paths: list[str], names_of: Callable[[dict[str, bytes]], set[str]]) -> tuple[list[Group], list[Problem]]:
    """Read the files under ``paths`` and group them into bundles.

    Args:
        paths: Files or folders as the user typed them.
        names_of: Gives the form file names a bundle's diagrams refer to (``validation.form_names``).

    Returns:
        The groups and the problems met on the way (missing paths, unreadable or oversized files).
    """
    problems: list[Problem] = []
    groups: dict[Path, Group] = {}
    seen: set[Path] = set()
    for arg in paths:
        path = Path(arg)
        if not path.exists():
            problems.append(Problem(arg, None, "", "no such file or folder"))
            continue
        found = _walk(path, arg) if path.is_dir() else ([(path.resolve(), arg)] if _checked(path.name) else [])
        if not found:
            problems.append(Problem(arg, None, "", "no .bpmn, .dmn, .schema.json, .uischema.json, pathway.yaml or .txt files here"))
        forms_dir = _forms_dir(path, arg)
        for real, display in found:
            if real in seen:
                continue
            seen.add(real)
            root = _pathway_root(real)
            group = groups.setdefault(root or real.parent, Group(relative=not Path(arg).is_absolute()))
            if forms_dir and forms_dir not in group.forms_dirs:
                group.forms_dirs.append(forms_dir)
            if _read_into(group, real, display, problems):
                group.reported.add(display)
    for root, group in groups.items():
        if (root / MANIFEST).is_file():
            _add_context(group, root)
        _add_forms(group, names_of, problems)
    return list(groups.values()), problems


def _checked(name: str) -> bool:
    return name.endswith(CHECKED_SUFFIXES)


def _walk(folder: Path, display: str) -> list[tuple[Path, str]]:
    found = []
    # os.walk does not follow symlinked folders, so a link loop cannot trap the walk.
    for current, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        for name in sorted(names):
            if _checked(name):
                real = Path(current, name)
                found.append((real.resolve(), os.path.join(display, os.path.relpath(real, folder))))
    return found


def _pathway_root(real: Path) -> Path | None:
    for folder in real.parents:
        if (folder / MANIFEST).is_file():
            return folder
    return None


def _display(real: Path, relative: bool) -> str:
    if not relative:
        return str(real)
    try:
        return os.path.relpath(real)
    except ValueError:  # another drive on Windows
        return str(real)


def _read_into(group: Group, real: Path, display: str, problems: list[Problem]) -> bool:
    limit = MAX_FORM_BYTES if display.endswith(".json") else MAX_XML_BYTES
    try:
        info = real.stat()
        if not stat.S_ISREG(info.st_mode):  # a pipe or device would block or never end
            problems.append(Problem(display, None, "", "not a regular file"))
            return False
        size = info.st_size
        if size > limit:
            problems.append(Problem(display, None, "", f"the file is {size:,} bytes; the limit is {limit:,} bytes"))
            return False
        with open(real, "rb") as handle:
            group.files[display] = handle.read(limit + 1)
        group.read.add(real)
    except OSError as exc:
        problems.append(Problem(display, None, "", f"cannot read the file: {exc.strerror or exc}"))
        return False
    return True


def _add_context(group: Group, root: Path) -> None:
    """Add the pathway folder's other files so cross-file references resolve; they are not reported."""
    for real, _ in _walk(root, str(root)):
        if real not in group.read:
            _read_into(group, real, _display(real, group.relative), [])


def _forms_dir(path: Path, arg: str) -> tuple[Path, str] | None:
    """The nearest ``forms/`` folder beside ``path`` or one of its ancestors."""
    start = path.resolve() if path.is_dir() else path.resolve().parent
    for folder in (start, *start.parents):
        candidate = folder / "forms"
        if candidate.is_dir():
            return candidate, _display(candidate, not Path(arg).is_absolute())
    return None


def _add_forms(group: Group, names_of: Callable[[dict[str, bytes]], set[str]], problems: list[Problem]) -> None:
    for name in sorted(names_of(group.files)):
        found = find_in_bundle(group.files, name)
        if found is not None:
            group.reported.add(found)  # a form the diagrams use is reported even if it came as context
            continue
        if not _plain(name):
            continue
        for folder, display in group.forms_dirs:
            candidate = folder / name
            if candidate.parent == folder and candidate.is_file():
                shown = os.path.join(display, name)
                if _read_into(group, candidate, shown, problems):
                    group.reported.add(shown)
                break


def _plain(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


def find_roles_file(paths: list[str]) -> tuple[Path, str] | None:
    """The nearest ``roles.yaml`` in a given folder (or a given file's folder) or their parents."""
    for arg in paths:
        path = Path(arg)
        if not path.exists():
            continue
        start = path.resolve() if path.is_dir() else path.resolve().parent
        for folder in (start, *start.parents):
            candidate = folder / ROLES_FILE
            if candidate.is_file():
                return candidate, _display(candidate, not path.is_absolute())
    return None


def read_roles(path: Path, display: str) -> tuple[set[str] | None, list[Problem]]:
    """``load_roles`` for the CLI: a broken roles file is a problem, and roles are then not checked."""
    try:
        return load_roles(path), []
    except ConfigurationError as exc:
        return None, [Problem(display, None, "", str(exc))]


def load_roles(path: str | Path) -> set[str]:
    """Read role names from a ``roles.yaml``: ``roles: [{name: "Duty Social Worker", description: ...}]``.

    Raises:
        ConfigurationError: The file is missing, too large, not YAML, or not in that format.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ROLES_BYTES:
            raise ConfigurationError(f"{path}: roles file larger than {MAX_ROLES_BYTES:,} bytes")
        data = yaml.safe_load(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read roles file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path}: roles file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: roles file is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    entries = data.get("roles") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigurationError(f"{path}: roles file must have a 'roles:' list of {{name:, description:}} entries")
    roles = set()
    for number, entry in enumerate(entries, 1):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"{path}: role number {number} has no name")
        roles.add(name)
    return roles
