"""Beyond the package's data: provisional weekday guesses, or the operator's table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from services.intake.clock import HolidayTable, WorkCalendar, due_date

TABLE_2027 = """
years = [2027]
[holidays]
"2027-01-01" = "元旦 (test)"
"""


def test_a_deadline_reaching_into_2027_without_a_table_is_provisional_and_weekdays_only(
    calendar: WorkCalendar,
) -> None:
    # Wed 2026-12-30 accepted: Thu 12/31 = 1 (known), then the weekday rule:
    # Fri 2027-01-01 = 2, [weekend], Mon 1/4 = 3, Tue 1/5 = 4, Wed 1/6 = 5
    deadline = due_date(calendar, accepted_on=date(2026, 12, 30), limit_days=5)

    assert deadline.due == date(2027, 1, 6)
    assert deadline.provisional


def test_unknown_dates_are_never_an_error(calendar: WorkCalendar) -> None:
    assert not calendar.is_known(date(2031, 5, 1))
    assert calendar.is_workday(date(2031, 5, 1))  # a Thursday, by the weekday rule
    assert not calendar.is_workday(date(2031, 5, 3))  # a Saturday


def test_a_deadline_inside_the_package_years_is_not_provisional(calendar: WorkCalendar) -> None:
    assert calendar.is_known(date(2004, 1, 1))
    assert calendar.is_known(date(2026, 12, 31))
    assert not due_date(calendar, accepted_on=date(2026, 12, 1), limit_days=20).provisional


def test_a_table_declaring_2027_makes_the_deadline_known_and_skips_its_holiday(
    load_table: Callable[[str], HolidayTable],
) -> None:
    calendar = WorkCalendar(load_table(TABLE_2027))

    deadline = due_date(calendar, accepted_on=date(2026, 12, 30), limit_days=5)

    # Thu 12/31 = 1, [Fri 1/1 元旦, weekend], Mon 1/4 = 2, ... Thu 1/7 = 5
    assert deadline.due == date(2027, 1, 7)
    assert not deadline.provisional


def test_a_table_entry_wins_over_the_package(load_table: Callable[[str], HolidayTable]) -> None:
    calendar = WorkCalendar(load_table('years = [2026]\n[holidays]\n"2026-10-10" = "override"\n'))

    deadline = due_date(calendar, accepted_on=date(2026, 9, 28), limit_days=5)

    # 9/29, 9/30, 10/8, 10/9 = 4; Sat 10/10 now rests, Sun 10/11 too; Mon 10/12 = 5
    assert deadline.due == date(2026, 10, 12)
    assert not deadline.provisional


def test_a_table_workday_can_reopen_a_package_holiday(
    load_table: Callable[[str], HolidayTable],
) -> None:
    calendar = WorkCalendar(load_table('years = [2026]\n[workdays]\n"2026-10-07" = "override"\n'))

    assert calendar.is_workday(date(2026, 10, 7))
    assert not calendar.is_workday(date(2026, 10, 6))  # the rest of the package still applies


def test_the_calendar_version_follows_the_table_contents(
    load_table: Callable[[str], HolidayTable],
) -> None:
    plain = WorkCalendar()
    extended = WorkCalendar(load_table(TABLE_2027))

    assert plain.version == WorkCalendar(HolidayTable.empty()).version
    assert extended.version == WorkCalendar(load_table(TABLE_2027)).version
    assert plain.version != extended.version
