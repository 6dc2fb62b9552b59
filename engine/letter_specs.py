"""The ``letters:`` part of a pathway manifest: the letters a pathway offers and how each is written.

A letter is pathway knowledge, so it is declared beside the pathway and versioned with it::

    letters:
      - key: referrer_outcome             # lower-case name, unique in the pathway
        title: Outcome letter to the referrer
        description: Shown where the letter is offered (what it is, when it can be produced).
        choose_by: response               # the case field whose value picks the template...
        templates:                        # ...value -> template file in the pathway folder
          single_assessment: letters/single_assessment.txt
        default: letters/outcome.txt      # when no value matches (or there is no choose_by)
        available_when: "letter_to and referrer_advised_how != 'not_possible'"
        roles: [Duty Social Worker]       # who may produce it; default: every role of the pathway's lanes
        sender: [Rutland County Council, Children's Duty and Assessment Team]   # the letterhead
        footer: ["In an emergency ..."]   # printed at the foot of every letter

``available_when`` is a sandbox expression over the case data (like a gateway condition); while it
is false, or names a field the case does not have yet, the letter is not offered. Template files end
in ``.txt`` (so they are part of the versioned bundle) and are written in the restricted template
language of :mod:`engine.letter_templates`. The validator (:mod:`engine.validation_letters`) checks
that the files exist and compile, and that the expression compiles in the sandbox.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .errors import PathwayInvalidError

TEMPLATE_SUFFIX = ".txt"
MAX_LETTERS = 20
MAX_TEMPLATES = 100
MAX_LINES = 12
MAX_LINE_CHARS = 200
_KEY = re.compile(r"^[a-z][a-z0-9_]{1,60}$")
_PATH = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$")
_FIELDS = {"key", "title", "description", "choose_by", "templates", "default", "available_when", "roles",
           "sender", "footer"}


@dataclass(frozen=True)
class LetterSpec:
    """One letter a pathway offers, as its manifest declares it."""

    key: str
    title: str
    description: str = ""
    choose_by: str | None = None
    templates: tuple[tuple[str, str], ...] = ()  # (value of choose_by, template path), in manifest order
    default: str | None = None
    available_when: str | None = None
    roles: tuple[str, ...] = ()
    sender: tuple[str, ...] = ()
    footer: tuple[str, ...] = ()

    def template_for(self, data: dict) -> tuple[str | None, str | None]:
        """``(template path, the value that chose it)`` for a case's data; the path is None if none fits.

        The value of ``choose_by`` is matched as text: ``true``/``false`` for booleans, digits for numbers.
        """
        value = as_choice(data.get(self.choose_by)) if self.choose_by else None
        if value is not None:
            for choice, path in self.templates:
                if choice == value:
                    return path, value
        return self.default, value

    @property
    def paths(self) -> tuple[str, ...]:
        """Every template file the letter may use (each once)."""
        found = [path for _, path in self.templates] + ([self.default] if self.default else [])
        return tuple(dict.fromkeys(found))


def as_choice(value) -> str | None:
    """A case value as the text a ``templates:`` key is compared with (None: it cannot choose)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def parse_letters(value, bad: Callable[[str], PathwayInvalidError]) -> tuple[LetterSpec, ...]:
    """The manifest's ``letters:`` list.

    Args:
        value: What YAML gave for ``letters`` (None when absent).
        bad: Makes the manifest's error from a message (see :func:`engine.bundles.parse_manifest`).

    Raises:
        PathwayInvalidError: the list or one of its letters is malformed (from ``bad``).
    """
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise bad("letters must be a list of letters, each a mapping with key, title and templates")
    if len(value) > MAX_LETTERS:
        raise bad(f"a pathway may declare at most {MAX_LETTERS} letters")
    letters = tuple(_letter(item, number, bad) for number, item in enumerate(value, 1))
    keys = [letter.key for letter in letters]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise bad(f"letter keys must be unique: {', '.join(twice)}")
    return letters


def _letter(item: dict, number: int, bad) -> LetterSpec:
    key = item.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise bad(f"letter {number}: key must be lower-case letters, digits and underscores")
    where = f"letter {key!r}"
    unknown = sorted(str(k) for k in item if k not in _FIELDS)
    if unknown:
        raise bad(f"{where}: unknown field(s) {', '.join(unknown)}; a letter has {', '.join(sorted(_FIELDS))}")
    title = item.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 300:
        raise bad(f"{where}: title must be text of at most 300 characters")
    choose_by = item.get("choose_by")
    if choose_by is not None and not (isinstance(choose_by, str) and choose_by.isidentifier()
                                      and not choose_by.startswith("_")):
        raise bad(f"{where}: choose_by must be the name of a case field")
    templates = item.get("templates") or {}
    if not isinstance(templates, dict) or len(templates) > MAX_TEMPLATES:
        raise bad(f"{where}: templates must map values of {choose_by or 'choose_by'} to template files "
                  f"(at most {MAX_TEMPLATES})")
    if templates and choose_by is None:
        raise bad(f"{where}: templates are chosen by a case field: add choose_by")
    for choice in templates:
        if not isinstance(choice, str):
            # YAML reads an unquoted yes, true or 12 as a boolean or number: say how to write it.
            raise bad(f"{where}: template choice {choice!r} must be text; put it in quotes")
    default = item.get("default")
    paths = [*templates.values(), *([default] if default is not None else [])]
    for path in paths:
        if not isinstance(path, str) or not _PATH.match(path) or ".." in path.split("/") \
                or not path.endswith(TEMPLATE_SUFFIX):
            raise bad(f"{where}: template {path!r} must be a path inside the pathway folder ending in "
                      f"{TEMPLATE_SUFFIX}, such as letters/outcome{TEMPLATE_SUFFIX}")
    if not paths:
        raise bad(f"{where}: give templates (with choose_by) or a default template")
    available_when = item.get("available_when")
    if available_when is not None and (not isinstance(available_when, str) or not available_when.strip()):
        raise bad(f"{where}: available_when must be an expression (text)")
    return LetterSpec(key=key, title=title.strip(), description=_text(item, "description", where, bad),
                      choose_by=choose_by, templates=tuple(templates.items()), default=default,
                      available_when=available_when, roles=_lines(item, "roles", where, bad),
                      sender=_lines(item, "sender", where, bad), footer=_lines(item, "footer", where, bad))


def _text(item: dict, name: str, where: str, bad) -> str:
    value = item.get(name) or ""
    if not isinstance(value, str) or len(value) > 2000:
        raise bad(f"{where}: {name} must be text of at most 2000 characters")
    return " ".join(value.split())


def _lines(item: dict, name: str, where: str, bad) -> tuple[str, ...]:
    value = item.get(name) or []
    if (not isinstance(value, list) or len(value) > MAX_LINES
            or not all(isinstance(line, str) and line.strip() and len(line) <= MAX_LINE_CHARS for line in value)):
        raise bad(f"{where}: {name} must be a list of at most {MAX_LINES} lines of text, each at most "
                  f"{MAX_LINE_CHARS} characters")
    return tuple(line.strip() for line in value)
