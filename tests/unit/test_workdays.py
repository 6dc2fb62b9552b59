"""Working days in England and Wales, checked against real bank holidays.

The expected holidays are cross-checked against the ``holidays`` package itself, so a test fails
if our calendar disagrees with the package's data, not only if the package's data changes.
"""
from __future__ import annotations

import datetime as dt
import functools

import holidays
import pytest

from engine import workdays
from engine.workdays import add_working_days, bank_holidays, is_working_day, working_days_between

D = dt.date


@functools.lru_cache(maxsize=None)
def _package_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def _naive_is_working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _package_holidays(day.year)


def _naive_between(a: dt.date, b: dt.date) -> int:
    """Count day by day, the slow obvious way."""
    sign, (lo, hi) = (1, (a, b)) if a <= b else (-1, (b, a))
    days = (lo + dt.timedelta(days=i) for i in range(1, (hi - lo).days + 1))
    return sign * sum(1 for day in days if _naive_is_working(day))


# -- bank_holidays ----------------------------------------------------------------------------

def test_bank_holidays_2026_match_the_package_and_include_the_boxing_day_substitute():
    days = bank_holidays(2026)
    assert set(days) == {d for d in _package_holidays(2026) if d.year == 2026}
    assert days[D(2026, 4, 3)] == "Good Friday"
    assert days[D(2026, 4, 6)] == "Easter Monday"
    assert days[D(2026, 12, 25)] == "Christmas Day"
    assert days[D(2026, 12, 26)] == "Boxing Day"  # a Saturday...
    assert days[D(2026, 12, 28)] == "Boxing Day (observed)"  # ...so the Monday is the bank holiday
    assert list(days) == sorted(days)


def test_bank_holidays_2027_have_easter_in_march_and_two_christmas_substitutes():
    days = bank_holidays(2027)
    assert set(days) == {d for d in _package_holidays(2027) if d.year == 2027}
    assert days[D(2027, 3, 26)] == "Good Friday"
    assert days[D(2027, 3, 29)] == "Easter Monday"
    assert days[D(2027, 12, 27)] == "Christmas Day (observed)"
    assert days[D(2027, 12, 28)] == "Boxing Day (observed)"


def test_bank_holidays_returns_a_copy_and_caches_the_year():
    first = bank_holidays(2028)
    first.clear()
    assert bank_holidays(2028), "clearing the returned dict must not empty the cached calendar"
    before = workdays._holidays_for.cache_info().hits
    bank_holidays(2028)
    assert workdays._holidays_for.cache_info().hits == before + 1


def test_bank_holidays_rejects_a_non_int_year():
    with pytest.raises(TypeError, match="year must be an int"):
        bank_holidays("2026")  # type: ignore[arg-type]


# -- is_working_day -----------------------------------------------------------------------------

@pytest.mark.parametrize("day, expected", [
    (D(2026, 12, 24), True),    # Thursday
    (D(2026, 12, 25), False),   # Christmas Day, Friday
    (D(2026, 12, 26), False),   # Saturday (Boxing Day)
    (D(2026, 12, 27), False),   # Sunday
    (D(2026, 12, 28), False),   # Boxing Day substitute, Monday
    (D(2026, 12, 29), True),
    (D(2027, 3, 26), False),    # Good Friday 2027
    (D(2027, 3, 29), False),    # Easter Monday 2027
    (D(2027, 3, 30), True),
    (D(2026, 8, 31), False),    # Late Summer Bank Holiday
])
def test_is_working_day(day, expected):
    assert is_working_day(day) is expected
    assert _naive_is_working(day) is expected


def test_is_working_day_judges_a_datetime_by_its_own_date():
    assert is_working_day(dt.datetime(2026, 12, 25, 23, 30, tzinfo=dt.timezone.utc)) is False
    assert is_working_day(dt.datetime(2026, 12, 24, 23, 30)) is True


def test_is_working_day_rejects_text():
    with pytest.raises(TypeError, match="must be a date or a datetime"):
        is_working_day("2026-12-24")  # type: ignore[arg-type]


# -- add_working_days ---------------------------------------------------------------------------

@pytest.mark.parametrize("start, n, expected", [
    (D(2026, 3, 2), 0, D(2026, 3, 2)),        # the referral day itself is day 0
    (D(2026, 3, 2), 1, D(2026, 3, 3)),        # Monday + 1 = Tuesday
    (D(2026, 3, 6), 1, D(2026, 3, 9)),        # Friday + 1 = Monday
    (D(2026, 3, 7), 0, D(2026, 3, 9)),        # a Saturday start counts from Monday
    (D(2026, 3, 7), 1, D(2026, 3, 10)),       # Saturday + 1 = Tuesday
    (D(2026, 12, 24), 1, D(2026, 12, 29)),    # over Christmas, a weekend and the Boxing Day substitute
    (D(2026, 12, 29), -1, D(2026, 12, 24)),
    (D(2026, 12, 27), -1, D(2026, 12, 23)),   # backwards from a Sunday: day 0 is Thursday 24th
    (D(2027, 3, 25), 1, D(2027, 3, 30)),      # over Good Friday and Easter Monday 2027
    (D(2026, 4, 2), 1, D(2026, 4, 7)),        # over Easter 2026
    (D(2027, 12, 24), 1, D(2027, 12, 29)),    # Christmas 2027: two substitute days
])
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


def test_45_working_days_from_a_referral_on_monday_2_march_2026():
    # Nine weeks would be Monday 4 May, but Good Friday, Easter Monday and the May Day bank
    # holiday (4 May) each push it one working day on: Thursday 7 May.
    result = add_working_days(D(2026, 3, 2), 45)
    assert result == D(2026, 5, 7)
    assert _naive_between(D(2026, 3, 2), result) == 45


def test_add_working_days_keeps_the_time_and_zone_of_a_datetime():
    start = dt.datetime(2026, 12, 24, 16, 45, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    result = add_working_days(start, 1)
    assert result == dt.datetime(2026, 12, 29, 16, 45, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert isinstance(result, dt.datetime)
    assert isinstance(add_working_days(D(2026, 12, 24), 1), dt.date)


def test_add_working_days_refuses_bad_arguments():
    with pytest.raises(TypeError, match="must be an int"):
        add_working_days(D(2026, 1, 5), 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a date"):
        add_working_days("2026-01-05", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="between"):
        add_working_days(D(2026, 1, 5), workdays.MAX_WORKING_DAYS + 1)
    with pytest.raises(ValueError, match="outside the range of dates"):
        add_working_days(D(9999, 12, 30), 5)


def test_add_working_days_agrees_with_a_day_by_day_count_over_two_years():
    start = D(2026, 1, 1)
    for offset in range(0, 730, 3):
        day = start + dt.timedelta(days=offset)
        for n in (1, 5, 20, -7):
            result = add_working_days(day, n)
            assert _naive_is_working(result)
            if _naive_is_working(day):
                assert _naive_between(day, result) == n, (day, n, result)


# -- working_days_between -----------------------------------------------------------------------

@pytest.mark.parametrize("a, b, expected", [
    (D(2026, 3, 2), D(2026, 3, 2), 0),
    (D(2026, 3, 2), D(2026, 3, 3), 1),
    (D(2026, 3, 6), D(2026, 3, 9), 1),        # Friday -> Monday
    (D(2026, 3, 3), D(2026, 3, 2), -1),
    (D(2026, 12, 24), D(2026, 12, 29), 1),
    (D(2026, 12, 25), D(2026, 12, 28), 0),    # nothing but holidays and a weekend in between
    # 2026 has 261 weekdays; after 1 January leaves 260, less the 7 other bank holidays on weekdays.
    (D(2026, 1, 1), D(2026, 12, 31), 253),
])
def test_working_days_between(a, b, expected):
    assert working_days_between(a, b) == expected
    assert _naive_between(a, b) == expected
    assert working_days_between(b, a) == -expected


def test_working_days_between_is_the_inverse_of_add_working_days():
    for a in (D(2026, 3, 2), D(2026, 12, 24), D(2027, 3, 25)):
        for n in range(-30, 31):
            assert working_days_between(a, add_working_days(a, n)) == n


def test_working_days_between_matches_a_day_by_day_count():
    base = D(2026, 11, 20)
    for i in range(0, 60, 2):
        for j in range(0, 60, 5):
            a, b = base + dt.timedelta(days=i), base + dt.timedelta(days=j)
            assert working_days_between(a, b) == _naive_between(a, b), (a, b)


def test_working_days_between_refuses_huge_spans_and_text():
    with pytest.raises(ValueError, match="years apart"):
        working_days_between(D(1900, 1, 1), D(2100, 1, 1))
    with pytest.raises(TypeError):
        working_days_between("2026-01-01", D(2026, 1, 2))  # type: ignore[arg-type]
