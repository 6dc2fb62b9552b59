"""Dates the GOV.UK way: three inputs (day, month, year) to and from an ISO date (``2026-11-23``).

Names and ids (see :func:`part_names`): the day input is named and identified as the field itself
(so the error summary's link lands on the first input), the month and year inputs add ``-month`` and
``-year``. The messages follow the GOV.UK Design System's date input pattern: "<Label> must include a
month", "<Label> must be a real date"; month names and abbreviations ("Nov", "November") are accepted
as the pattern recommends, and what was typed is always kept.
"""
from __future__ import annotations

import datetime as dt
import re

PARTS = ("day", "month", "year")
HINT = "For example, 27 3 2007"
MONTHS = {name: n for n, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def part_names(name: str) -> dict[str, str]:
    """The input names (also the ids' stems) of a date field's day, month and year inputs."""
    return {"day": name, "month": f"{name}-month", "year": f"{name}-year"}


def split_iso(value: object) -> dict[str, str]:
    """An ISO date (or datetime) as the three typed parts; anything else is kept whole in the day input."""
    text = "" if value is None else str(value)
    match = ISO_DATE.match(text[:10]) if len(text) >= 10 else ISO_DATE.match(text)
    if match is None:
        return {"day": text, "month": "", "year": ""}
    year, month, day = match.groups()
    return {"day": str(int(day)), "month": str(int(month)), "year": year}


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 4 else None


def _month(text: str) -> int | None:
    number = _number(text)
    if number is not None:
        return number
    return MONTHS.get(text.lower().rstrip("."))


def problem(parts: dict[str, str]) -> tuple[str, tuple[str, ...]] | None:
    """What is wrong with the typed parts, as (message with a ``{label}`` slot, the parts to highlight), or None.

    All three empty is not a problem here: whether the date is required is the form's business.
    """
    typed = {p: (parts.get(p) or "").strip() for p in PARTS}
    if not any(typed.values()):
        return None
    missing = tuple(p for p in PARTS if not typed[p])
    if missing:
        return "{label} must include a " + " and ".join(missing), missing
    day, month, year = _number(typed["day"]), _month(typed["month"]), _number(typed["year"])
    if year is not None and len(typed["year"]) != 4:
        return "{label}: year must include 4 numbers", ("year",)
    if day is None or month is None or year is None:
        bad = tuple(p for p, v in (("day", day), ("month", month), ("year", year)) if v is None)
        return "{label} must be a real date", bad
    try:
        dt.date(year, month, day)
    except ValueError:
        return "{label} must be a real date", PARTS
    return None


def to_iso(parts: dict[str, str], label: str) -> str | None:
    """The typed parts as an ISO date; None when all are empty.

    Raises:
        ValueError: the GOV.UK message ("<Label> must include a month", "<Label> must be a real date").
    """
    found = problem(parts)
    if found is not None:
        raise ValueError(found[0].format(label=label))
    typed = {p: (parts.get(p) or "").strip() for p in PARTS}
    if not any(typed.values()):
        return None
    return dt.date(int(typed["year"]), _month(typed["month"]), int(typed["day"])).isoformat()
