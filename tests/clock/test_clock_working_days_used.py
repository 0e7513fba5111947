"""Working days spent on a case, and how far it stands from its due date."""

from __future__ import annotations

from datetime import date

from services.intake.clock import (
    Deadline,
    Pause,
    WorkCalendar,
    is_overdue,
    working_days_left,
    working_days_used,
)

ACCEPTED = date(2026, 9, 28)
DUE_SATURDAY = Deadline(due=date(2026, 10, 10), provisional=False, paused=False)


def test_a_case_completed_on_its_due_date_used_its_whole_limit(calendar: WorkCalendar) -> None:
    used = working_days_used(calendar, accepted_on=ACCEPTED, completed_on=date(2026, 10, 10))

    assert (used.days, used.provisional) == (5, False)


def test_a_case_completed_on_the_acceptance_day_used_nothing(calendar: WorkCalendar) -> None:
    assert working_days_used(calendar, accepted_on=ACCEPTED, completed_on=ACCEPTED).days == 0


def test_paused_working_days_are_not_counted_as_used(calendar: WorkCalendar) -> None:
    review = Pause(date(2026, 10, 8), date(2026, 10, 9))

    used = working_days_used(
        calendar, accepted_on=ACCEPTED, completed_on=date(2026, 10, 10), pauses=[review]
    )

    assert used.days == 3  # 9/29, 9/30, 10/10


def test_a_pause_still_open_at_completion_counts_up_to_completion(calendar: WorkCalendar) -> None:
    # span 9/29..10/12 has 6 working days; the pause from 10/8 covers 10/8, 10/9, 10/10, 10/12
    used = working_days_used(
        calendar,
        accepted_on=ACCEPTED,
        completed_on=date(2026, 10, 12),
        pauses=[Pause(date(2026, 10, 8))],
    )

    assert used.days == 2


def test_after_a_restart_only_days_after_the_restart_are_used(calendar: WorkCalendar) -> None:
    used = working_days_used(
        calendar,
        accepted_on=ACCEPTED,
        completed_on=date(2026, 10, 13),
        restarted_on=date(2026, 10, 9),
    )

    assert used.days == 3  # Sat 10/10 (调休), Mon 10/12, Tue 10/13


def test_a_case_is_not_overdue_on_its_due_date_but_is_the_day_after() -> None:
    assert not is_overdue(DUE_SATURDAY, date(2026, 10, 10))
    assert is_overdue(DUE_SATURDAY, date(2026, 10, 11))


def test_working_days_left_count_down_to_zero_on_the_due_date(calendar: WorkCalendar) -> None:
    assert working_days_left(calendar, DUE_SATURDAY, date(2026, 9, 30)) == 3  # 10/8, 10/9, 10/10
    assert working_days_left(calendar, DUE_SATURDAY, date(2026, 10, 10)) == 0


def test_an_overdue_case_has_negative_working_days_left(calendar: WorkCalendar) -> None:
    assert working_days_left(calendar, DUE_SATURDAY, date(2026, 10, 13)) == -2  # Mon, Tue


def test_a_case_overdue_only_over_a_rest_day_is_still_one_day_overdue(
    calendar: WorkCalendar,
) -> None:
    # Sun 10/11 is no working day, yet the case is late: the sign must agree with is_overdue
    assert working_days_left(calendar, DUE_SATURDAY, date(2026, 10, 11)) == -1
