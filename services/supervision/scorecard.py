"""The quarterly scorecard per window and department: on-time rate, findings, ratings.

Cases count in the quarter they were accepted in (cohort by acceptance date); completion and
timeliness are counted as they become known.  Ratings count in the quarter they were given,
findings in the quarter they were raised.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.errors import DomainError
from services.nameids import name_uuid
from services.supervision.domainmodel import SUPERVISION

QUARTER = re.compile(r"^([1-9]\d{3})Q([1-4])$")


class BadQuarter(DomainError):
    code = "bad_quarter"


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_days(quarter: str) -> tuple[date, date]:
    """The first and last date of a quarter such as ``2026Q4``."""
    found = QUARTER.match(quarter)
    if found is None:
        raise BadQuarter(f"a quarter looks like 2026Q4, not {quarter!r}")
    year, number = int(found[1]), int(found[2])
    if number == 4:
        return date(year, 10, 1), date(year, 12, 31)
    following = date(year, 3 * number + 1, 1)
    return date(year, 3 * number - 2, 1), date.fromordinal(following.toordinal() - 1)


@lru_cache(maxsize=65536)
def scorecard_id(quarter: str) -> UUID:
    return name_uuid(SUPERVISION, f"scorecard|{quarter}")


class Scorecard(Aggregate):
    """One quarter's tallies, per department and per window."""

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(quarter: str, **_: Any) -> UUID:
        return scorecard_id(quarter)

    @event("Opened")
    def __init__(self, quarter: str) -> None:
        self.quarter = quarter
        self.rows: dict[str, dict[str, int]] = {}
        self.window_departments: dict[str, str] = {}

    @event("Counted")
    def count(self, measure: str, department: str | None, window_no: str | None) -> None:
        """One more of ``measure`` (accepted, completed, on_time, rating:N, finding:RULE)."""
        self._add(measure, department, window_no, 1)

    @event("Tallied")
    def tally(self, counts: list[Any]) -> None:
        """Several counts at once, ``[measure, department, window_no, n]`` each: what one
        supervision run counted (one event a run, not one a count: 0.8 per followed event)."""
        for measure, department, window_no, n in counts:
            self._add(measure, department, window_no, n)

    def _add(self, measure: str, department: str | None, window_no: str | None, n: int) -> None:
        keys = [f"department|{department or '-'}"]
        if window_no:
            keys.append(f"window|{window_no}")
            if department:
                self.window_departments[window_no] = department
        for key in keys:
            row = self.rows.setdefault(key, {})
            row[measure] = row.get(measure, 0) + n


def report(quarter: str, card: Scorecard | None) -> dict[str, Any]:
    """The scorecard as JSON: rows per department and per window."""
    first, last = quarter_days(quarter)
    rows = card.rows if card is not None else {}
    departments, windows = [], []
    for key in sorted(rows):
        kind, _, code = key.partition("|")
        row = _row(rows[key])
        if kind == "department":
            departments.append({"department": code, **row})
        else:
            department = card.window_departments.get(code) if card else None
            windows.append({"window_no": code, "department": department, **row})
    return {
        "quarter": quarter,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "departments": departments,
        "windows": windows,
    }


def _row(counts: dict[str, int]) -> dict[str, Any]:
    ratings = {n: counts.get(f"rating:{n}", 0) for n in range(1, 6)}
    rated = sum(ratings.values())
    satisfied = ratings[3] + ratings[4] + ratings[5]
    findings = {k.partition(":")[2]: v for k, v in counts.items() if k.startswith("finding:")}
    return {
        "accepted": counts.get("accepted", 0),
        "completed": counts.get("completed", 0),
        "on_time": counts.get("on_time", 0),
        "on_time_rate": percent(counts.get("on_time", 0), counts.get("completed", 0)),
        "findings": {"total": sum(findings.values()), "by_rule": dict(sorted(findings.items()))},
        "ratings": {
            "count": rated,
            "by_level": {str(n): c for n, c in ratings.items()},
            "satisfied": satisfied,
            "poor": ratings[1] + ratings[2],
            "satisfaction_rate": percent(satisfied, rated),
            "average": None
            if rated == 0
            else str(
                (Decimal(sum(n * c for n, c in ratings.items())) / rated).quantize(
                    Decimal("0.01"), ROUND_HALF_UP
                )
            ),
        },
    }


def percent(part: int, whole: int) -> str | None:
    """A rate with two decimals, half-up, never shown as 100.00 when below 100%."""
    if whole == 0:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if value == 100 and part < whole:
        value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_DOWN)
    return f"{value:.2f}"
