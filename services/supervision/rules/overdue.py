"""Overdue promised cases (超期): warning, yellow card and red card, exactly as the alert board
grades them (``projections.alert_board.level_of``), and when the grade will next change.

- ``warning``: at most 1 working day left, or at least 90% of the working days used;
- ``yellow``: overdue;
- ``red``: overdue by at least M working days (``red_after_days``).

The thresholds are ``Thresholds``' (``warning_days_left``, ``warning_share``, ``red_after_days``),
set from the same settings as the alert board's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

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
from services.supervision.rules.base import (
    HIGH,
    LOW,
    MEDIUM,
    Context,
    Flag,
    Judgement,
    Thresholds,
    midnight,
)

SEVERITY = {"warning": LOW, "yellow": MEDIUM, "red": HIGH}
MEMO_SIZE = 50_000  # distinct (clock, day) answers kept; a busy hall has a few thousand a day


@dataclass(frozen=True, slots=True)
class Standing:
    """A case's grade on one China date, its due date, and the first date the grade changes."""

    level: str | None
    due: date | None
    changes: date | None


def grade(clock: CaseClock, calendar: WorkCalendar, today: date, t: Thresholds) -> str | None:
    """The alert board's level of a case on a China date (None: no level, or not open)."""
    return standing(clock, calendar, today, t).level


def standing(clock: CaseClock, calendar: WorkCalendar, today: date, t: Thresholds) -> Standing:
    """The case's standing on ``today``, computed once per distinct clock and day.

    Supervision judges a case again on every event it gets, fees and ratings included, and
    the day-by-day search for the next change was most of a judgement; the answer depends
    only on the clock's signature, the day, the calendar and the thresholds.
    """
    key = (clock.signature(), today, calendar, t)
    found = _memo.get(key)
    if found is None:
        if len(_memo) >= MEMO_SIZE:
            _memo.clear()
        found = _memo[key] = _stand(clock, calendar, today, t)
    return found


_memo: dict[tuple[Any, ...], Standing] = {}


def _stand(clock: CaseClock, calendar: WorkCalendar, today: date, t: Thresholds) -> Standing:
    try:
        deadline = clock.deadline(calendar, today)
    except ValueError:  # contradictory back-filled dates: no level rather than a crash
        return Standing(None, None, None)
    if deadline is None or clock.status != "accepted":
        return Standing(None, None, None)
    now = _grade(clock, calendar, deadline, today, t)
    return Standing(now, deadline.due, _next_change(clock, calendar, deadline, today, now, t))


def _grade(
    clock: CaseClock, calendar: WorkCalendar, deadline: Deadline, today: date, t: Thresholds
) -> str | None:
    left = working_days_left(calendar, deadline, today)
    if left < 0:
        return "red" if -left >= t.red_after_days else "yellow"
    if left <= t.warning_days_left:
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
    return "warning" if used >= t.warning_share * limit else None


def _next_change(
    clock: CaseClock,
    calendar: WorkCalendar,
    deadline: Deadline,
    today: date,
    now: str | None,
    t: Thresholds,
) -> date | None:
    """The first China date after ``today`` whose grade differs (None: never, without events).

    While a pause is open each working day moves the due date by one, so the grade stands
    still; otherwise the due date is fixed and only the days left and used change.
    """
    if deadline.paused or now == "red":
        return None
    day = today
    for _ in range(max((deadline.due - today).days, 0) + 3 * t.red_after_days + 30):
        day += timedelta(days=1)
        if _grade(clock, calendar, deadline, day, t) != now:
            return day
    return None


def overdue(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """A card for each open promised case past its warning line."""
    accepted = facts.first("case.accepted")
    if accepted is None or facts.kind not in ctx.thresholds.overdue_kinds:
        return
    now = standing(facts.clock, ctx.calendar, china_date(out.at), ctx.thresholds)
    if now.level is not None:
        out.flag(
            Flag(
                "overdue",
                "case",
                facts.case_no,
                SEVERITY[now.level],
                (accepted.id,),
                slot=now.level,
                department=facts.department,
                window_no=facts.window_no,
                detail=(("level", now.level), ("due_date", now.due.isoformat() if now.due else "")),
            )
        )
    if now.changes is not None:
        out.wake(midnight(now.changes))


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
