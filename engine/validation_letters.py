"""Checks of the letters a pathway's manifest declares (``letters:``, see :mod:`engine.letter_specs`).

Every template file a letter names must be in the bundle, be UTF-8 text and pass
:func:`engine.letter_templates.check_template`; ``available_when`` must compile in the expression
sandbox; the roles must be known. Template paths are relative to the manifest's folder, so the
same check serves publication (bundle paths such as ``pathway.yaml``) and ``pathways check``
(paths as typed, such as ``processes/front_door/pathway.yaml``).
"""
from __future__ import annotations

import posixpath

from engine.letter_templates import check_template
from engine.validation_common import Problems
from engine.validation_expr import compile_problems, shown


def check_letters(manifest, manifest_path: str, files: dict[str, bytes], known_roles: set[str] | None,
                  lanes: set[str] | None, problems: Problems) -> None:
    """Check the letters of one parsed manifest: templates, ``available_when``, and roles that are known
    and (when the pathway's lanes are known) lanes of the pathway, since only its readers may produce it."""
    folder = posixpath.dirname(manifest_path)
    for letter in manifest.letters:
        for path in letter.paths:
            _check_template_file(files, posixpath.join(folder, path) if folder else path, letter.key,
                                 manifest_path, problems)
        if letter.available_when:
            for message in compile_problems(letter.available_when, "eval"):
                problems.add(manifest_path, None, f"available_when {shown(letter.available_when)}: {message}",
                             element_id=letter.key)
        unknown = sorted(set(letter.roles) - known_roles) if known_roles is not None else []
        if unknown:
            problems.add(manifest_path, None, f"roles {', '.join(map(repr, unknown))} are not in roles.yaml",
                         element_id=letter.key)
        outside = sorted(set(letter.roles) - lanes - set(unknown)) if lanes else []
        if outside:
            problems.add(manifest_path, None, f"roles {', '.join(map(repr, outside))} are not lanes of this "
                         "pathway: they cannot read its cases, so could never produce the letter",
                         element_id=letter.key)


def _check_template_file(files: dict[str, bytes], path: str, key: str, manifest_path: str,
                         problems: Problems) -> None:
    if path not in files:
        problems.add(manifest_path, None, f"template {path!r} is not in the pathway folder", element_id=key)
        return
    try:
        source = files[path].decode("utf-8")
    except UnicodeDecodeError:
        problems.add(path, None, "the template is not UTF-8 text", element_id=key, line=1)
        return
    for line, message in check_template(source):
        problems.add(path, None, message, element_id=key, line=line)
