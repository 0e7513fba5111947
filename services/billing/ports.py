"""What billing needs from outside, as outbound ports.

In one process the runtime passes adapters that read intake directly; in the distributed layout
an adapter fed from intake's Kafka topic will stand behind the same protocols.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Protocol


class CaseDirectory(Protocol):
    """Billing's view of the cases intake keeps."""

    def department_of(self, case_no: str) -> str | None:
        """The department owning the case (its item's), or None when no such case exists."""

    def departments_of(self, case_nos: Collection[str]) -> dict[str, str | None]:
        """``department_of`` for several cases at once (a group commit's assessments)."""


class Workdays(Protocol):
    """The hall's working-day calendar (China's holidays and 调休 swapped workdays)."""

    def is_workday(self, day: date) -> bool:
        """Whether government offices work on the day."""


class WeekdaysOnly:
    """A stand-in calendar: Monday to Friday (for callers that pass none)."""

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5
