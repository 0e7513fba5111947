"""Counting the cohorts: from the counters (now) or from the per-case facts (as of an instant).

Without ``as_of`` the counts come from ``Completion``'s ``daily`` / ``departments`` counters and
the open cases' due dates in ``pending``; with ``as_of`` they are aggregated from ``cases`` over
the events that occurred by then.  Both give what a replay gives; tests hold them equal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from projections.completion import COUNTERS, Completion, fold, utc_text
from projections.viewstore import Cursor
from services.intake.clock import WorkCalendar, china_date, working_days_left

GROUPS = {"department": "department", "window": "window_no", "item": "item_code"}
PROMISES = ("promised", "joint", "forwarded")  # kinds with a promised time limit
# Open at an instant (two parameters: the instant, twice).
STILL_OPEN = (
    "(completed_at IS NULL OR completed_at > ?) AND (withdrawn_at IS NULL OR withdrawn_at > ?)"
)


@dataclass
class Counts:
    """One cohort's counters (see ``projections.completion.COUNTERS``) and its overdue cases."""

    accepted: int = 0
    completed: int = 0
    on_spot: int = 0
    on_time: int = 0
    early: int = 0
    late: int = 0
    used_days: int = 0
    legal_days: int = 0
    rated: int = 0
    satisfied: int = 0
    unsatisfied: int = 0
    overdue_open: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        for name in _NAMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


_NAMES = tuple(f.name for f in fields(Counts))
assert _NAMES[:-1] == COUNTERS
Tally = dict[tuple[str, str], Counts]  # (group key, kind) -> counts


def sum_counts(parts: Iterable[Counts]) -> Counts:
    total = Counts()
    for part in parts:
        total += part
    return total


def by_group(result: Tally) -> dict[str, dict[str, Counts]]:
    grouped: dict[str, dict[str, Counts]] = {}
    for (key, kind), counts in result.items():
        grouped.setdefault(key, {})[kind] = counts
    return grouped


def tally(
    cur: Cursor,
    first: date,
    last: date,
    group_by: str | None,
    calendar: WorkCalendar,
    now: datetime,
    as_of: datetime | None = None,
) -> Tally:
    """Counts per (group key, kind) of the cases accepted from ``first`` to ``last``."""
    column = GROUPS[group_by] if group_by else None
    if as_of is None:
        return _now(cur, first.isoformat(), last.isoformat(), column, calendar, now)
    return _as_of(cur, first.isoformat(), last.isoformat(), column, calendar, as_of)


def _now(
    cur: Cursor, first: str, last: str, column: str | None, calendar: WorkCalendar, now: datetime
) -> Tally:
    by_department = column in (None, "department")
    days, months = ("departments", "department_months") if by_department else ("daily", "monthly")
    opened = "open_departments" if by_department else "open_daily"
    keys = f"{column}, kind" if column else "kind"
    sums = ", ".join(f"SUM({c})" for c in COUNTERS)
    edges, whole = split_months(date.fromisoformat(first), date.fromisoformat(last))
    result: Tally = {}
    if edges:
        where = " OR ".join(["accepted_on BETWEEN ? AND ?"] * len(edges))
        cur.execute(
            f"SELECT {keys}, {sums} FROM {Completion.view(days)} "  # noqa: S608
            f"WHERE {where} GROUP BY {keys}",
            [d.isoformat() for edge in edges for d in edge],
        )
        _collect(cur.fetchall(), column, result)
    if whole:
        cur.execute(
            f"SELECT {keys}, {sums} FROM {Completion.view(months)} "  # noqa: S608
            f"WHERE accepted_month BETWEEN ? AND ? GROUP BY {keys}",
            whole,
        )
        _collect(cur.fetchall(), column, result)
    cur.execute(
        f"SELECT {keys}, SUM(open) FROM {Completion.view(opened)} "  # noqa: S608
        f"WHERE accepted_on BETWEEN ? AND ? AND due_date < ? GROUP BY {keys}",
        (first, last, china_date(now).isoformat()),
    )
    for values in cur.fetchall():
        if int(values[-1]):
            result.setdefault(_key(values, column), Counts()).overdue_open += int(values[-1])
    pending = Completion.view("pending")
    # A paused case's due date moves day by day: fold its clock for today.
    keys = f"p.{column}, p.kind" if column else "p.kind"
    cur.execute(
        f"SELECT {keys}, c.events FROM {pending} p JOIN {Completion.view('cases')} c "  # noqa: S608
        "ON c.case_no = p.case_no WHERE p.accepted_on BETWEEN ? AND ? AND p.paused = 1",
        (first, last),
    )
    _count_moving(result, cur.fetchall(), column, calendar, now)
    return result


def split_months(first: date, last: date) -> tuple[list[tuple[date, date]], tuple[str, str] | None]:
    """The days at either end of a period, and the whole months ("YYYY-MM") between them."""
    start = first if first.day == 1 else _next_month(first)
    whole_month = _next_month(last) - timedelta(days=1) == last
    end = last if whole_month else last.replace(day=1) - timedelta(days=1)
    if start > end:
        return [(first, last)], None
    before, after = (first, start - timedelta(days=1)), (end + timedelta(days=1), last)
    edges = [(a, b) for a, b in (before, after) if a <= b]
    return edges, (start.strftime("%Y-%m"), end.strftime("%Y-%m"))


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _as_of(
    cur: Cursor, first: str, last: str, column: str | None, calendar: WorkCalendar, at: datetime
) -> Tally:
    keys = f"{column}, kind" if column else "kind"
    stamp, day = utc_text(at), china_date(at).isoformat()
    done = "completed_at <= ?"
    sums = [
        "COUNT(*)",
        f"SUM(CASE WHEN {done} THEN 1 ELSE 0 END)",
        *(f"SUM(CASE WHEN {done} THEN {c} ELSE 0 END)"
          for c in ("on_spot", "on_time", "early", "1 - on_time", "used_days", "legal_days")),
        "SUM(CASE WHEN rated_at <= ? THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN rated_at <= ? AND rating >= 3 THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN rated_at <= ? AND rating <= 2 THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN moving = 0 AND due_date < ? AND {STILL_OPEN} THEN 1 ELSE 0 END)",
    ]  # fmt: skip
    cases = Completion.view("cases")
    cur.execute(
        f"SELECT {keys}, {', '.join(sums)} FROM {cases} "  # noqa: S608
        f"WHERE accepted_on BETWEEN ? AND ? AND accepted_at <= ? GROUP BY {keys}",
        (*[stamp] * 10, day, stamp, stamp, first, last, stamp),
    )
    result = _collect(cur.fetchall(), column)
    # A due date that moved (pauses, extensions, 补正) is folded from the events by then.
    cur.execute(
        f"SELECT {keys}, events FROM {cases} WHERE accepted_on BETWEEN ? AND ? "  # noqa: S608
        f"AND accepted_at <= ? AND moving = 1 AND {STILL_OPEN}",
        (first, last, stamp, stamp, stamp),
    )
    _count_moving(result, cur.fetchall(), column, calendar, at)
    return result


def _key(values: tuple[Any, ...], column: str | None) -> tuple[str, str]:
    return (str(values[0]), str(values[1])) if column else ("", str(values[0]))


def _collect(
    rows: Iterable[tuple[Any, ...]], column: str | None, result: Tally | None = None
) -> Tally:
    width = 2 if column else 1
    result = {} if result is None else result
    for values in rows:
        counts = Counts(*(int(v or 0) for v in values[width:]))
        result.setdefault(_key(values, column), Counts()).__iadd__(counts)
    return result


def _count_moving(
    result: Tally,
    rows: Iterable[tuple[Any, ...]],
    column: str | None,
    calendar: WorkCalendar,
    at: datetime,
) -> None:
    for values in rows:
        if overdue_at(json.loads(values[-1]), at, calendar) is not None:
            result.setdefault(_key(values, column), Counts()).overdue_open += 1


def overdue_at(events: list[list[Any]], at: datetime, calendar: WorkCalendar) -> int | None:
    """Working days an open case is overdue at ``at`` (None: not open then, or not overdue)."""
    standing = standing_at(events, at, calendar)
    return None if standing is None else standing[1]


def standing_at(
    events: list[list[Any]], at: datetime, calendar: WorkCalendar
) -> tuple[date, int] | None:
    """An open case's due date and working days overdue at ``at`` (None unless overdue then)."""
    clock = fold(events, at)
    today = china_date(at)
    deadline = clock.deadline(calendar, today)
    if clock.status != "accepted" or deadline is None or today <= deadline.due:
        return None
    return deadline.due, -working_days_left(calendar, deadline, today)


LISTED = ("case_no", "department", "window_no", "item_code", "kind", "accepted_on",
          "completed_at", "due_date", "events")  # fmt: skip


def overdue_cases(
    cur: Cursor, first: date, last: date, at: datetime, calendar: WorkCalendar
) -> list[dict[str, Any]]:
    """The cohort's cases with a promise that were overdue at ``at``: open past due, or
    completed late; most working days overdue first."""
    stamp, day = utc_text(at), china_date(at)
    kinds = ", ".join("?" * len(PROMISES))
    cur.execute(
        f"SELECT {', '.join(LISTED)} FROM {Completion.view('cases')} "  # noqa: S608
        f"WHERE accepted_on BETWEEN ? AND ? AND accepted_at <= ? AND kind IN ({kinds}) "
        "AND ((completed_at <= ? AND on_time = 0) "
        f"OR ({STILL_OPEN} AND (moving = 1 OR due_date < ?)))",
        (first.isoformat(), last.isoformat(), stamp, *PROMISES, stamp, stamp, stamp,
         day.isoformat()),
    )  # fmt: skip
    found = []
    for values in cur.fetchall():
        row = dict(zip(LISTED, values, strict=True))
        events = row.pop("events")
        if row["completed_at"] is not None and row["completed_at"] <= stamp:
            done = china_date(datetime.fromisoformat(row["completed_at"]))
            due = date.fromisoformat(row["due_date"])
            late = calendar.working_days_between(due + timedelta(days=1), done).days
            row |= {"status": "completed_late", "working_days_overdue": max(late, 1)}
        else:
            standing = standing_at(json.loads(events), at, calendar)
            if standing is None:
                continue
            row |= {"due_date": standing[0].isoformat(), "status": "open",
                    "working_days_overdue": standing[1]}  # fmt: skip
        found.append(row)
    return sorted(found, key=lambda r: (-r["working_days_overdue"], r["case_no"]))
