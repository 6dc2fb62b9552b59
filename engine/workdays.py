"""Working days in England and Wales: Monday to Friday, less the bank holidays.

Statutory children's-services timescales are counted in working days ("an assessment within 45
working days of the referral"). The bank holidays come from the ``holidays`` package
(``holidays.country_holidays("GB", subdiv="ENG")``), which includes the substitute days ("Boxing
Day (observed)") that move a holiday falling at a weekend onto the next weekday.

Design:

* One year's calendar is built the first time a date in that year is asked about and kept for
  the life of the process (:func:`_holidays_for` is cached): bank holidays are fixed in law well
  ahead, and building a year costs about a millisecond.
* Counting conventions, chosen to match how practitioners count a timescale:

  - the start day is day 0, so 1 working day after a Monday is the Tuesday;
  - a start on a weekend or bank holiday is treated as if it were on the next working day (a
    referral arriving on a Saturday is dealt with on the Monday), so 1 working day after a
    Saturday is the Tuesday; counting backwards, a weekend start is first moved to the previous
    working day;
  - :func:`working_days_between` counts the working days *after* ``a`` up to and including ``b``,
    which makes it the inverse of :func:`add_working_days` for a start on a working day.

* A ``datetime`` is judged by its own calendar date (in whatever zone it carries) and keeps its time
  of day and zone: :func:`add_working_days` moves only the date.
* The arguments are bounded (:data:`MAX_WORKING_DAYS`, :data:`MAX_SPAN_YEARS`) because these
  functions are offered to pathway expressions, which run under a time limit that Python code
  outside the sandbox does not obey.
"""
from __future__ import annotations

import datetime as _dt
import functools
from typing import TypeVar

import holidays
# Imported now, not on the first lookup: the country module takes about 0.15 s to load, which would
# otherwise be spent inside the first pathway expression's time limit.
import holidays.countries.united_kingdom  # noqa: F401

#: The most working days :func:`add_working_days` will step (about 40 years).
MAX_WORKING_DAYS = 10_000
#: The widest span of years :func:`working_days_between` will count across.
MAX_SPAN_YEARS = 100

_D = TypeVar("_D", _dt.date, _dt.datetime)


@functools.lru_cache(maxsize=None)
def _holidays_for(year: int) -> dict[_dt.date, str]:
    # Built with years=year only, so the result never grows behind our back (the holidays package
    # expands its objects lazily when asked about other years).
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return {day: name for day, name in sorted(calendar.items()) if day.year == year}


def bank_holidays(year: int) -> dict[_dt.date, str]:
    """The bank holidays of England and Wales in ``year``, in date order.

    Substitute days appear with the package's names, e.g. ``"Boxing Day (observed)"``, next to
    the holiday itself (which may fall on a weekend).

    Args:
        year: A calendar year, e.g. 2026.

    Returns:
        A new dict mapping each holiday's date to its name.

    Raises:
        TypeError: ``year`` is not an int.
    """
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, not {type(year).__name__}")
    return dict(_holidays_for(year))


def _as_date(value: _dt.date, what: str = "the date") -> _dt.date:
    # datetime is a subclass of date: take its own calendar date.
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    raise TypeError(f"{what} must be a date or a datetime, not {type(value).__name__}")


def _is_working(day: _dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays_for(day.year)


def is_working_day(d: _dt.date) -> bool:
    """Whether ``d`` is a working day: Monday to Friday and not a bank holiday.

    Args:
        d: A date, or a datetime (judged by its own calendar date).

    Returns:
        True on a working day.

    Raises:
        TypeError: ``d`` is not a date or datetime.
    """
    return _is_working(_as_date(d))


def add_working_days(start: _D, n: int) -> _D:
    """The date ``n`` working days after (``n`` < 0: before) ``start``.

    The start day is day 0: a Monday plus 1 is the Tuesday. A start on a weekend or bank holiday
    counts from the next working day (the previous one when ``n`` is negative), so Saturday plus 1
    is the Tuesday and Saturday plus 0 is the Monday.

    Args:
        start: A date, or a datetime whose time of day and zone are kept.
        n: How many working days to move; at most :data:`MAX_WORKING_DAYS` either way.

    Returns:
        A date when given a date, a datetime when given a datetime.

    Raises:
        TypeError: ``start`` is not a date/datetime or ``n`` is not an int.
        ValueError: ``n`` is too large, or the result is outside the years a date can hold.
    """
    day = _as_date(start, "the start date")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"the number of working days must be an int, not {type(n).__name__}")
    if abs(n) > MAX_WORKING_DAYS:
        raise ValueError(f"the number of working days must be between -{MAX_WORKING_DAYS} and "
                         f"{MAX_WORKING_DAYS}, not {n}")
    step = _dt.timedelta(days=1 if n >= 0 else -1)
    try:
        while not _is_working(day):  # move a weekend or holiday start onto day 0
            day += step
        for _ in range(abs(n)):
            day += step
            while not _is_working(day):
                day += step
    except OverflowError:
        raise ValueError("the result is outside the range of dates") from None
    if isinstance(start, _dt.datetime):
        return start.replace(year=day.year, month=day.month, day=day.day)
    return day


def _weekdays_up_to(day: _dt.date) -> int:
    # Mondays to Fridays from 0001-01-01 (a Monday, ordinal 1) up to and including ``day``.
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def working_days_between(a: _dt.date, b: _dt.date) -> int:
    """How many working days come after ``a`` up to and including ``b``.

    Friday to the next Monday is 1; a date to itself is 0. When ``b`` is before ``a`` the answer is
    minus the count from ``b`` to ``a``, so ``working_days_between(a, b) == -working_days_between(b, a)``.
    For ``a`` on a working day, ``add_working_days(a, working_days_between(a, b)) == b`` whenever ``b``
    is a working day too.

    Args:
        a: The start: a date, or a datetime (judged by its calendar date).
        b: The end: a date, or a datetime.

    Returns:
        The signed number of working days.

    Raises:
        TypeError: ``a`` or ``b`` is not a date or datetime.
        ValueError: the dates are more than :data:`MAX_SPAN_YEARS` years apart.
    """
    first, last = _as_date(a, "the first date"), _as_date(b, "the second date")
    if last < first:
        return -working_days_between(last, first)
    if last.year - first.year > MAX_SPAN_YEARS:
        raise ValueError(f"the dates are more than {MAX_SPAN_YEARS} years apart")
    count = _weekdays_up_to(last) - _weekdays_up_to(first)
    for year in range(first.year, last.year + 1):
        count -= sum(1 for day in _holidays_for(year) if first < day <= last and day.weekday() < 5)
    return count
