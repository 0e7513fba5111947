"""Properties that hold for any acceptance date and limit."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
from hypothesis import given
from hypothesis import strategies as st

from services.intake.clock import Pause, WorkCalendar, due_date

CALENDAR = WorkCalendar()  # module-level: hypothesis reruns a test body, not its fixtures
ACCEPTANCE = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))
LIMIT = st.integers(min_value=0, max_value=60)


@given(accepted_on=ACCEPTANCE, limit=LIMIT)
def test_the_due_date_is_exactly_limit_working_days_after_acceptance(
    accepted_on: date, limit: int
) -> None:
    due = due_date(CALENDAR, accepted_on=accepted_on, limit_days=limit).due

    counted = CALENDAR.working_days_between(accepted_on + timedelta(days=1), due)
    assert counted.days == limit
    if limit > 0:
        assert CALENDAR.is_workday(due)


@given(
    accepted_on=ACCEPTANCE,
    limit=LIMIT,
    offset=st.integers(min_value=-5, max_value=90),
    length=st.integers(min_value=0, max_value=30),
)
def test_a_pause_never_makes_the_due_date_earlier(
    accepted_on: date, limit: int, offset: int, length: int
) -> None:
    first = accepted_on + timedelta(days=offset)
    pause = Pause(first, first + timedelta(days=length))

    plain = due_date(CALENDAR, accepted_on=accepted_on, limit_days=limit)
    paused = due_date(CALENDAR, accepted_on=accepted_on, limit_days=limit, pauses=[pause])

    assert paused.due >= plain.due


def test_without_a_table_every_package_day_agrees_with_the_package() -> None:
    day = date(2004, 1, 1)
    while CALENDAR.is_known(day):
        assert CALENDAR.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    assert day.year > 2025  # the package covered at least 2004–2025
