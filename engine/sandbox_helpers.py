"""The names pathway expressions can use: date helpers and a short list of safe builtins.

Sandboxed code imports nothing, so everything it may call is here, as plain names in its
``__builtins__`` (:data:`BUILTINS`). Case data shadows these names, as variables shadow builtins
in Python, so a form field called ``date`` still reads as the field.

Dates in case data often arrive as ISO 8601 text (forms submit JSON), so every date helper takes
a ``date``, a ``datetime`` or an ISO string. The clock is :func:`engine.clock.now`, the one bound
to the running case (a training case may run on its own clock). Times are UTC: ``now()`` is an
aware UTC datetime, ``today()`` its date, and naive datetimes are taken as UTC.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from engine import clock, workdays
from engine import sandbox_guards as g

UTC = _dt.timezone.utc
_MAX_ISO_LENGTH = 64  # longer text is not an ISO date; don't hand it to the parser


def _parse(value: Any) -> _dt.date:
    """A date (date-only text) or an aware datetime (text with a time) from ``value``."""
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, _dt.date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a date or ISO 8601 text, not {type(value).__name__}")
    text = value.strip()
    if len(text) <= _MAX_ISO_LENGTH:
        if len(text) <= 10:
            try:
                return _dt.date.fromisoformat(text)
            except ValueError:
                pass
        try:
            parsed = _dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    shown = text if len(text) <= _MAX_ISO_LENGTH else text[:_MAX_ISO_LENGTH] + "..."
    raise ValueError(f"{shown!r} is not an ISO 8601 date such as 2026-01-31 or 2026-01-31T09:00:00Z")


def parse_date(value: Any) -> _dt.date:
    """The date in ``value`` (ISO text, a date or a datetime; a datetime gives its own date).

    Raises:
        ValueError: the text is not an ISO 8601 date or datetime.
        TypeError: ``value`` is neither text nor a date.
    """
    parsed = _parse(value)
    return parsed.date() if isinstance(parsed, _dt.datetime) else parsed


def parse_datetime(value: Any) -> _dt.datetime:
    """An aware datetime from ``value``; naive values are UTC, a date is its midnight UTC.

    Raises:
        ValueError: the text is not an ISO 8601 date or datetime.
        TypeError: ``value`` is neither text nor a date.
    """
    parsed = _parse(value)
    if isinstance(parsed, _dt.datetime):
        return parsed
    return _dt.datetime.combine(parsed, _dt.time(), UTC)


def iso(value: Any) -> str:
    """ISO 8601 text for a date (``2026-01-31``) or datetime (``2026-01-31T09:00:00+00:00``).

    Aware datetimes keep their offset; naive ones are taken as UTC. ISO text is normalised.

    Raises:
        ValueError: text that is not an ISO 8601 date or datetime.
        TypeError: ``value`` is neither text nor a date.
    """
    return _parse(value).isoformat()


def today() -> _dt.date:
    """Today's date (UTC) on the case's clock."""
    return clock.now().date()


def now() -> _dt.datetime:
    """The current time on the case's clock, an aware UTC datetime."""
    return clock.now()


def _number(value: Any, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    return value


def add_days(d: Any, n: int) -> _dt.date:
    """``d`` plus ``n`` calendar days (negative: before); text gives a date or an aware datetime.

    Raises:
        ValueError: bad ISO text. TypeError: not a date or not a number.
        OverflowError: the result is outside the range of dates.
    """
    return _parse(d) + _dt.timedelta(days=_number(n, "the number of days"))


def add_hours(dt: Any, n: float) -> _dt.datetime:
    """``dt`` (a datetime, a date meaning its midnight UTC, or ISO text) plus ``n`` hours, aware.

    Raises:
        ValueError: bad ISO text. TypeError: not a date or not a number.
        OverflowError: the result is outside the range of dates.
    """
    return parse_datetime(dt) + _dt.timedelta(hours=_number(n, "the number of hours"))


def add_working_days(d: Any, n: int) -> _dt.date:
    """:func:`engine.workdays.add_working_days` accepting ISO text as well.

    Raises:
        ValueError: bad ISO text or ``n`` too large. TypeError: wrong types.
    """
    return workdays.add_working_days(_parse(d), n)


def working_days_between(a: Any, b: Any) -> int:
    """:func:`engine.workdays.working_days_between` accepting ISO text as well.

    Raises:
        ValueError: bad ISO text or dates too far apart. TypeError: wrong types.
    """
    return workdays.working_days_between(_parse(a), _parse(b))


def is_working_day(d: Any) -> bool:
    """:func:`engine.workdays.is_working_day` accepting ISO text as well.

    Raises:
        ValueError: bad ISO text. TypeError: not a date.
    """
    return workdays.is_working_day(_parse(d))


def age_on(dob: Any, on: Any) -> int:
    """Whole years from the date of birth ``dob`` to the date ``on``.

    Someone born on 29 February turns a year older on 1 March in other years.

    Raises:
        ValueError: bad ISO text, or ``dob`` is after ``on``. TypeError: not a date.
    """
    born, day = parse_date(dob), parse_date(on)
    if born > day:
        raise ValueError(f"the date of birth {born.isoformat()} is after {day.isoformat()}")
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age(dob: Any) -> int:
    """Whole years from the date of birth ``dob`` to :func:`today`.

    Raises:
        ValueError: bad ISO text, or ``dob`` is in the future. TypeError: not a date.
    """
    return age_on(dob, today())


_DATE_UNITS = (("years", "Y"), ("months", "M"), ("days", "D"))
_TIME_UNITS = (("hours", "H"), ("minutes", "M"), ("seconds", "S"))
_UNITS = {"years", "months", "weeks", "days", "hours", "minutes", "seconds"}


def duration(**parts: int | float) -> str:
    """An ISO 8601 duration for a timer: ``duration(hours=2) == "PT2H"``, ``duration(days=3) == "P3D"``.

    Takes years, months, weeks (written as days, so they combine with the others), days, hours,
    minutes and seconds. Only the smallest unit given may have a fraction, as SpiffWorkflow's
    parser requires. No parts, or all zero, gives ``"PT0S"``.

    Raises:
        TypeError: an unknown unit, or a value that is not a number.
        ValueError: a negative value, or a fraction in a unit other than the smallest.
    """
    unknown = sorted(set(parts) - _UNITS)
    if unknown:
        raise TypeError(f"duration() does not take {unknown[0]!r}; use years, months, weeks, days, hours, "
                        "minutes or seconds")
    values = {unit: _number(value, unit) for unit, value in parts.items()}
    if any(value < 0 for value in values.values()):
        raise ValueError("duration() parts must not be negative")
    values["days"] = values.get("days", 0) + 7 * values.pop("weeks", 0)
    ordered = [(unit, letter, values.get(unit, 0)) for unit, letter in _DATE_UNITS + _TIME_UNITS]
    present = [entry for entry in ordered if entry[2]]
    for unit, _, value in present[:-1]:
        if value != int(value):
            raise ValueError(f"only the smallest unit may have a fraction, not {unit}")

    def text(value: int | float) -> str:
        if value == int(value):
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")

    date_part = "".join(text(v) + letter for unit, letter, v in ordered[:3] if v)
    time_part = "".join(text(v) + letter for unit, letter, v in ordered[3:] if v)
    if not date_part and not time_part:
        return "PT0S"
    return "P" + date_part + (("T" + time_part) if time_part else "")


#: The pathway helpers, by the names expressions call them.
HELPERS: dict[str, Any] = {
    "date": _dt.date, "datetime": _dt.datetime, "timedelta": _dt.timedelta,
    "today": today, "now": now, "parse_date": parse_date, "parse_datetime": parse_datetime, "iso": iso,
    "add_days": add_days, "add_hours": add_hours, "add_working_days": add_working_days,
    "working_days_between": working_days_between, "is_working_day": is_working_day,
    "age": age, "age_on": age_on, "duration": duration,
}

#: Builtins, some replaced by bounded versions (see :mod:`engine.sandbox_guards`).
SAFE_BUILTINS: dict[str, Any] = {
    "len": len, "min": g.safe_min, "max": g.safe_max, "sum": g.safe_sum, "any": any, "all": all,
    "sorted": g.safe_sorted, "reversed": reversed, "abs": abs, "round": g.safe_round, "divmod": divmod,
    "int": int, "float": float, "bool": bool, "repr": g.safe_repr, "isinstance": isinstance,
    "enumerate": enumerate, "zip": zip, "range": g.safe_range, "iter": g.safe_iter, "next": next,
    "chr": chr, "ord": ord, "None": None, "True": True, "False": False,
    **{kind.__name__: g.guarded_type(kind) for kind in (str, list, dict, tuple, set, frozenset)},
}

#: Builtins withheld at run time with an explanation (names data may still use as fields).
WITHHELD = ("type", "object", "input", "help", "dir", "id", "hash", "format", "bytes", "bytearray", "pow",
            "issubclass", "callable", "classmethod", "staticmethod", "property", "ascii", "__build_class__")

#: What sandboxed code sees as ``__builtins__``.
BUILTINS: dict[str, Any] = {
    **{name: g.unavailable(name) for name in WITHHELD},
    **SAFE_BUILTINS,
    **HELPERS,
    "__import__": g.refuse_import,
}
