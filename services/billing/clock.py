"""China dates and the remittance deadline (截留/坐支 are caught against it).

Billing keeps its own small clock so its domain imports nothing from intake's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.billing.ports import Workdays

CHINA = ZoneInfo("Asia/Shanghai")


def china_date(instant: datetime) -> date:
    """The calendar date in China of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no date in China")
    return instant.astimezone(CHINA).date()


@dataclass(frozen=True)
class DeadlineRule:
    """Remit by the N-th working day after payment, at a time of day (China time).

    The default is the contract's: the next working day, 16:00.  With 0 days a payment must be
    remitted the same day by that time.
    """

    working_days: int = 1
    at: time = time(16, 0)

    def __post_init__(self) -> None:
        if not 0 <= self.working_days <= 60:
            raise ValueError(f"remittance deadline of {self.working_days} working days")

    def due(self, paid_at: datetime, calendar: Workdays) -> datetime:
        """When a payment made at ``paid_at`` must have been remitted."""
        day = china_date(paid_at)
        remaining = self.working_days
        while remaining:
            day += timedelta(days=1)
            if calendar.is_workday(day):
                remaining -= 1
        return datetime.combine(day, self.at, tzinfo=CHINA)

    def describe(self) -> dict[str, object]:
        return {"working_days": self.working_days, "at": self.at.strftime("%H:%M")}
