"""Due dates: working days after acceptance, moved by pauses, restarts and extensions."""

from __future__ import annotations

from datetime import date

import pytest

from services.intake.clock import Deadline, Pause, WorkCalendar, due_date

ACCEPTED = date(2026, 9, 28)  # Monday before National Day 2026


def test_five_working_days_from_monday_before_national_day_fall_on_the_swapped_saturday(
    calendar: WorkCalendar,
) -> None:
    # 9/29, 9/30, [10/1–10/7 holiday], 10/8, 10/9, 10/10 (调休 Saturday)
    deadline = due_date(calendar, accepted_on=ACCEPTED, limit_days=5)

    assert deadline == Deadline(due=date(2026, 10, 10), provisional=False, paused=False)


def test_an_expert_review_moves_the_due_date_by_its_working_days(calendar: WorkCalendar) -> None:
    review = Pause(date(2026, 10, 8), date(2026, 10, 9))

    deadline = due_date(calendar, accepted_on=ACCEPTED, limit_days=5, pauses=[review])

    # two paused working days after Sat 10/10: Sun 10/11 rests, Mon 10/12, Tue 10/13
    assert deadline == Deadline(due=date(2026, 10, 13), provisional=False, paused=False)


def test_spring_festival_is_skipped_and_its_swapped_saturday_counted(
    calendar: WorkCalendar,
) -> None:
    # Fri 2/13 accepted: Sat 2/14 (调休) = 1, [2/15–2/23 春节], Tue 2/24 = 2, Wed 2/25 = 3
    deadline = due_date(calendar, accepted_on=date(2026, 2, 13), limit_days=3)

    assert deadline.due == date(2026, 2, 25)


def test_a_swapped_saturday_can_be_the_due_date(calendar: WorkCalendar) -> None:
    deadline = due_date(calendar, accepted_on=date(2026, 2, 27), limit_days=1)

    assert deadline.due == date(2026, 2, 28)


def test_an_ordinary_weekend_is_skipped(calendar: WorkCalendar) -> None:
    # Thu 3/5 accepted: Fri 3/6 = 1, [weekend], Mon 3/9 = 2, Tue 3/10 = 3
    deadline = due_date(calendar, accepted_on=date(2026, 3, 5), limit_days=3)

    assert deadline.due == date(2026, 3, 10)


def test_a_zero_limit_is_due_on_the_acceptance_day(calendar: WorkCalendar) -> None:
    assert due_date(calendar, accepted_on=ACCEPTED, limit_days=0).due == ACCEPTED


def test_a_restart_after_supplement_counts_the_full_limit_again(calendar: WorkCalendar) -> None:
    # materials arrive Fri 10/9: Sat 10/10 (调休) = 1, Mon 10/12 = 2, ... Thu 10/15 = 5
    deadline = due_date(
        calendar, accepted_on=ACCEPTED, limit_days=5, restarted_on=date(2026, 10, 9)
    )

    assert deadline.due == date(2026, 10, 15)


def test_a_pause_that_ended_before_the_restart_no_longer_matters(calendar: WorkCalendar) -> None:
    early = Pause(date(2026, 9, 29), date(2026, 9, 30))

    deadline = due_date(
        calendar,
        accepted_on=ACCEPTED,
        limit_days=5,
        pauses=[early],
        restarted_on=date(2026, 10, 9),
    )

    assert deadline.due == date(2026, 10, 15)


def test_an_open_pause_counts_up_to_today_and_says_the_case_is_paused(
    calendar: WorkCalendar,
) -> None:
    review = Pause(date(2026, 10, 8))

    deadline = due_date(
        calendar, accepted_on=ACCEPTED, limit_days=5, pauses=[review], today=date(2026, 10, 9)
    )

    assert deadline == Deadline(due=date(2026, 10, 13), provisional=False, paused=True)


def test_an_open_pause_without_today_is_refused(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="today"):
        due_date(calendar, accepted_on=ACCEPTED, limit_days=5, pauses=[Pause(date(2026, 10, 8))])


def test_overlapping_pauses_stop_the_clock_once(calendar: WorkCalendar) -> None:
    pauses = [
        Pause(date(2026, 10, 8), date(2026, 10, 9)),
        Pause(date(2026, 10, 9), date(2026, 10, 9)),
    ]

    deadline = due_date(calendar, accepted_on=ACCEPTED, limit_days=5, pauses=pauses)

    assert deadline.due == date(2026, 10, 13)


def test_an_extension_adds_its_working_days_after_the_pauses(calendar: WorkCalendar) -> None:
    review = Pause(date(2026, 10, 8), date(2026, 10, 9))

    deadline = due_date(
        calendar, accepted_on=ACCEPTED, limit_days=5, pauses=[review], extension_days=3
    )

    # Tue 10/13 after the pause, then Wed 10/14, Thu 10/15, Fri 10/16
    assert deadline.due == date(2026, 10, 16)


def test_a_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Pause(date(2026, 10, 9), date(2026, 10, 8))


def test_a_restart_before_acceptance_is_refused(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="restart"):
        due_date(calendar, accepted_on=ACCEPTED, limit_days=5, restarted_on=date(2026, 9, 1))
