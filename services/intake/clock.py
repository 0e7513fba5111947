"""The working-day clock: statutory deadlines in China's working days (行政许可法 art. 82)."""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

# Re-exported: callers build a WorkCalendar from a table without knowing the split.
from services.intake.holidays import HolidayTable as HolidayTable
from services.intake.holidays import HolidayTableError as HolidayTableError

CHINA = ZoneInfo("Asia/Shanghai")
_DAY = timedelta(days=1)
_PACKAGE_VERSION = str(getattr(chinese_calendar, "__version__", "unknown"))


def china_date(instant: datetime) -> date:
    """The calendar date in China (Asia/Shanghai) of an aware instant."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: the offset decides the China date")
    return instant.astimezone(CHINA).date()


@dataclass(frozen=True, slots=True)
class DayReckoning:
    """A computed day; provisional when it relied on the weekday rule past known calendar data."""

    day: date
    provisional: bool


@dataclass(frozen=True, slots=True)
class CountReckoning:
    """A computed number of working days; provisional as for DayReckoning."""

    days: int
    provisional: bool


@dataclass(frozen=True, slots=True)
class _Year:
    first: int  # ordinal of 1 January
    known: bool
    workday: tuple[bool, ...]
    # before[i] = working days among the year's first i days; turns counting into subtraction.
    before: tuple[int, ...]


def _package_covers(year: int) -> bool:
    # Ask the package itself rather than hard-coding its last year: a new release extends it.
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """China's working days: the operator's table, then `chinese_calendar`, then Mon–Fri."""

    __slots__ = ("_years", "table", "version")

    def __init__(self, table: HolidayTable | None = None) -> None:
        self.table = table if table is not None else HolidayTable.empty()
        # Computed once per year on demand; projections ask millions of times.
        self._years: dict[int, _Year] = {}
        digest = hashlib.sha256()
        for line in (f"chinesecalendar {_PACKAGE_VERSION}", *self.table.fingerprint_lines()):
            digest.update(line.encode() + b"\n")
        self.version = f"{_PACKAGE_VERSION}+{digest.hexdigest()[:12]}"

    def is_known(self, day: date) -> bool:
        """Whether official or operator data covers the day (else the weekday rule guesses)."""
        return self._year(day.year).known

    def is_workday(self, day: date) -> bool:
        """Whether government offices work on the day."""
        year = self._year(day.year)
        return year.workday[day.toordinal() - year.first]

    def add_working_days(self, start: date, n: int) -> DayReckoning:
        """The n-th working day strictly after start (start itself when n is 0)."""
        if n < 0:
            raise ValueError(f"cannot add {n} working days")
        if n == 0:
            return DayReckoning(start, provisional=False)
        provisional = False
        cursor = start + _DAY
        remaining = n
        while True:
            year = self._year(cursor.year)
            provisional = provisional or not year.known
            offset = cursor.toordinal() - year.first
            available = year.before[-1] - year.before[offset]
            if available >= remaining:
                reached = bisect_left(year.before, year.before[offset] + remaining)
                return DayReckoning(date.fromordinal(year.first + reached - 1), provisional)
            remaining -= available
            cursor = date(cursor.year + 1, 1, 1)

    def working_days_between(self, first: date, last: date) -> CountReckoning:
        """Working days in [first, last], both included; 0 when last is before first."""
        days = 0
        provisional = False
        for number in range(first.year, last.year + 1):
            year = self._year(number)
            provisional = provisional or not year.known
            low = max(first.toordinal() - year.first, 0)
            high = min(last.toordinal() - year.first + 1, len(year.workday))
            days += year.before[high] - year.before[low]
        return CountReckoning(days, provisional)

    def _year(self, number: int) -> _Year:
        cached = self._years.get(number)
        if cached is not None:
            return cached
        in_package = _package_covers(number)
        first = date(number, 1, 1).toordinal()
        length = date(number, 12, 31).toordinal() - first + 1
        workday = tuple(
            self._decide(date.fromordinal(first + i), in_package) for i in range(length)
        )
        before = [0]
        for works in workday:
            before.append(before[-1] + works)
        year = _Year(first, in_package or number in self.table.years, workday, tuple(before))
        self._years[number] = year
        return year

    def _decide(self, day: date, in_package: bool) -> bool:
        if day in self.table.holidays:
            return False
        if day in self.table.workdays:
            return True
        if in_package:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5


@dataclass(frozen=True, slots=True)
class Pause:
    """A stop of the clock, China dates both included; last None while it lasts."""

    first: date
    last: date | None = None

    def __post_init__(self) -> None:
        if self.last is not None and self.last < self.first:
            raise ValueError(f"pause ends {self.last} before it starts {self.first}")


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a case is due; paused while an open pause keeps moving it."""

    due: date
    provisional: bool
    paused: bool


def due_date(
    calendar: WorkCalendar,
    *,
    accepted_on: date,
    limit_days: int,
    pauses: Sequence[Pause] = (),
    restarted_on: date | None = None,
    extension_days: int = 0,
    today: date | None = None,
) -> Deadline:
    """The statutory due date: limit, then paused working days, then the extension."""
    if limit_days < 0 or extension_days < 0:
        raise ValueError(f"negative limit {limit_days} or extension {extension_days}")
    if today is None and any(pause.last is None for pause in pauses):
        raise ValueError("an open pause needs today to count its working days")
    start = _clock_start(accepted_on, restarted_on)
    base = calendar.add_working_days(start, limit_days)
    paused = _paused_working_days(calendar, pauses, start=start, until=today)
    moved = calendar.add_working_days(base.day, paused.days)
    extended = calendar.add_working_days(moved.day, extension_days)
    return Deadline(
        due=extended.day,
        provisional=any(r.provisional for r in (base, paused, moved, extended)),
        paused=any(pause.last is None for pause in pauses),
    )


def working_days_used(
    calendar: WorkCalendar,
    *,
    accepted_on: date,
    completed_on: date,
    pauses: Sequence[Pause] = (),
    restarted_on: date | None = None,
) -> CountReckoning:
    """Working days the office spent: after the clock start through completion, pauses excluded."""
    start = _clock_start(accepted_on, restarted_on)
    span = calendar.working_days_between(start + _DAY, completed_on)
    paused = _paused_working_days(calendar, pauses, start=start, until=completed_on, cap=True)
    return CountReckoning(
        max(span.days - paused.days, 0), provisional=span.provisional or paused.provisional
    )


def is_overdue(deadline: Deadline, on: date) -> bool:
    """Whether the due date has passed on the given China date."""
    return on > deadline.due


def working_days_left(calendar: WorkCalendar, deadline: Deadline, on: date) -> int:
    """Working days left after `on` through the due date; negative: working days overdue."""
    if on <= deadline.due:
        return calendar.working_days_between(on + _DAY, deadline.due).days
    # A case overdue only over a weekend is still overdue: never report 0 past the due date.
    return -max(calendar.working_days_between(deadline.due + _DAY, on).days, 1)


def _clock_start(accepted_on: date, restarted_on: date | None) -> date:
    if restarted_on is None:
        return accepted_on
    if restarted_on < accepted_on:
        raise ValueError(f"restart {restarted_on} before acceptance {accepted_on}")
    return restarted_on


def _paused_working_days(
    calendar: WorkCalendar,
    pauses: Sequence[Pause],
    *,
    start: date,
    until: date | None,
    cap: bool = False,
) -> CountReckoning:
    # Only days after the clock start were ever on the clock, so a pause before a restart
    # (or on the acceptance day) moves nothing; overlapping pauses stop the clock once.
    spans: list[tuple[date, date]] = []
    for pause in pauses:
        first = max(pause.first, start + _DAY)
        last = pause.last if pause.last is not None else until
        assert last is not None  # due_date rejects an open pause without today
        if cap and until is not None:
            last = min(last, until)
        if first <= last:
            spans.append((first, last))
    merged: list[tuple[date, date]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + _DAY:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    counts = [calendar.working_days_between(first, last) for first, last in merged]
    return CountReckoning(sum(c.days for c in counts), any(c.provisional for c in counts))
