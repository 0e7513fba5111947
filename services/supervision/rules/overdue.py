"""Overdue promised cases (超期): warning, yellow card and red card, exactly as the alert board
grades them (``projections.alert_board.level_of``), and when the grade will next change.

- ``warning``: at most 1 working day left, or at least 90% of the working days used;
- ``yellow``: overdue;
- ``red``: overdue by at least M working days (``red_after_days``).
"""

from __future__ import annotations

from datetime import date, timedelta

from services.intake.clock import (
    Deadline,
    Pause,
    WorkCalendar,
    china_date,
    working_days_left,
    working_days_used,
)
from services.intake.deadline import CaseClock
from services.supervision.casefacts import CaseFacts
from services.supervision.rules.base import HIGH, LOW, MEDIUM, Context, Flag, Judgement, midnight

SEVERITY = {"warning": LOW, "yellow": MEDIUM, "red": HIGH}


def grade(clock: CaseClock, calendar: WorkCalendar, today: date, red_after: int) -> str | None:
    """The alert board's level of a case on a China date (None: no level, or not open)."""
    try:
        deadline = clock.deadline(calendar, today)
    except ValueError:  # contradictory back-filled dates: no level rather than a crash
        return None
    if deadline is None or clock.status != "accepted":
        return None
    return _grade(clock, calendar, deadline, today, red_after)


def _grade(
    clock: CaseClock, calendar: WorkCalendar, deadline: Deadline, today: date, red_after: int
) -> str | None:
    left = working_days_left(calendar, deadline, today)
    if left < 0:
        return "red" if -left >= red_after else "yellow"
    if left <= 1:
        return "warning"
    limit = clock.limit_days + clock.extension_days
    start = clock.start(calendar)
    if limit <= 0 or start is None:
        return None
    pauses = [Pause(a, b) for a, b in clock.pauses]
    pauses += [Pause(a, today) for a in clock.open_pauses.values() if a <= today]
    used = working_days_used(
        calendar,
        accepted_on=start,
        completed_on=today,
        pauses=pauses,
        restarted_on=clock.restarted_on,
    ).days
    return "warning" if used >= 0.9 * limit else None


def next_change(
    clock: CaseClock, calendar: WorkCalendar, today: date, red_after: int
) -> date | None:
    """The first China date after ``today`` whose grade differs (None: never, without events).

    While a pause is open each working day moves the due date by one, so the grade stands
    still; otherwise the due date is fixed and only the days left and used change.
    """
    try:
        deadline = clock.deadline(calendar, today)
    except ValueError:
        return None
    if deadline is None or deadline.paused or clock.status != "accepted":
        return None
    now = _grade(clock, calendar, deadline, today, red_after)
    if now == "red":
        return None
    day = today
    for _ in range(max((deadline.due - today).days, 0) + 3 * red_after + 30):
        day += timedelta(days=1)
        if _grade(clock, calendar, deadline, day, red_after) != now:
            return day
    return None


def overdue(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """A card for each open promised case past its warning line."""
    accepted = facts.first("case.accepted")
    if accepted is None or facts.kind not in ctx.thresholds.overdue_kinds:
        return
    red_after = ctx.thresholds.red_after_days
    today = china_date(out.at)
    level = grade(facts.clock, ctx.calendar, today, red_after)
    if level is not None:
        deadline = facts.clock.deadline(ctx.calendar, today)
        due = deadline.due.isoformat() if deadline else ""
        out.flag(
            Flag(
                "overdue",
                "case",
                facts.case_no,
                SEVERITY[level],
                (accepted.id,),
                slot=level,
                department=facts.department,
                window_no=facts.window_no,
                detail=(("level", level), ("due_date", due)),
            )
        )
    changes = next_change(facts.clock, ctx.calendar, today, red_after)
    if changes is not None:
        out.wake(midnight(changes))


def on_time(facts: CaseFacts, calendar: WorkCalendar) -> bool | None:
    """Whether a completed case was completed in time (immediate: the day it was accepted)."""
    accepted, completed = facts.first("case.accepted"), facts.first("case.completed")
    if accepted is None or completed is None:
        return None
    if facts.kind == "immediate":
        return completed.day == accepted.day
    try:
        deadline = facts.clock.deadline(calendar, completed.day)
    except ValueError:
        return None
    return None if deadline is None else completed.day <= deadline.due
