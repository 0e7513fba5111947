"""A case's clock, folded from its events in the contract's shape (domain.md, "Time").

The case view, the completion statistics, the alert board and supervision all need the same due
date, so the fold lives here once.  Its state is plain data (``to_dict``/``from_dict``) so that a
projection can keep it in a table between batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.intake.clock import Deadline, Pause, WorkCalendar, china_date, due_date

NOTICE_DAYS = 5  # 行政许可法 art. 32: a 补正 notice later than this means accepted on receipt
PAUSE_STARTS = {"case.procedure_started": "procedure", "case.suspended": "suspension"}
PAUSE_ENDS = {"case.procedure_ended": "procedure", "case.resumed": "suspension"}
STATUS_AFTER = {
    "case.received": "received",
    "case.accepted": "accepted",
    "case.refused": "refused",
    "case.withdrawn": "withdrawn",
    "case.completed": "completed",
    "case.delivered": "delivered",
}
CLOSED = frozenset({"refused", "withdrawn"})
# Every contract type that changes a clock; the rest (transfers, signatures, ratings) leave it be.
CLOCK_TYPES = frozenset(
    {*STATUS_AFTER, *PAUSE_STARTS, *PAUSE_ENDS}
    | {"case.supplement_requested", "case.supplement_received", "case.extended"}
)
DATES = (  # the clock's date fields, ISO text in its plain form
    "received_on",
    "accepted_on",
    "first_notice_on",
    "completed_on",
    "restarted_on",
    "supplement_since",
)


@dataclass
class CaseClock:
    """What the due date depends on, and the case's status."""

    status: str = "received"
    limit_days: int = 0
    pause_on_supplement: bool = False
    received_on: date | None = None
    accepted_on: date | None = None
    first_notice_on: date | None = None
    completed_on: date | None = None
    restarted_on: date | None = None
    supplement_since: date | None = None
    extension_days: int = 0
    pauses: list[tuple[date, date]] = field(default_factory=list)
    open_pauses: dict[str, date] = field(default_factory=dict)

    def apply(self, type_: str, body: Mapping[str, Any]) -> None:
        """Advance the clock by one event (contract type and fields)."""
        day = china_date(body["occurred_at"])
        self.status = STATUS_AFTER.get(type_, self.status)
        if type_ in {"case.received", "case.accepted"}:
            terms = body["item"]
            self.limit_days = int(terms.get("promised_limit_days", 0))
            self.pause_on_supplement = terms.get("supplement_policy") == "pause"
            self.received_on = self.received_on or day
            if type_ == "case.accepted":
                self.accepted_on = day
        elif type_ == "case.supplement_requested":
            if self.accepted_on is None:
                self.first_notice_on = self.first_notice_on or day
            else:
                self.supplement_since = day
        elif type_ == "case.supplement_received" and self.supplement_since is not None:
            if self.pause_on_supplement:
                self.pauses.append((self.supplement_since, day))
            else:
                self.restarted_on = day
            self.supplement_since = None
        elif type_ in PAUSE_STARTS:
            self.open_pauses[PAUSE_STARTS[type_]] = day
        elif type_ in PAUSE_ENDS:
            first = self.open_pauses.pop(PAUSE_ENDS[type_], None)
            if first is not None:
                self.pauses.append((first, day))
        elif type_ == "case.extended":
            self.extension_days += int(body["extra_days"])
        elif type_ == "case.completed":
            self.completed_on = day

    def signature(self) -> tuple[Any, ...]:
        """Everything the due date and the status depend on, hashable: clocks with the same
        signature give the same answers (many cases share one: accepted the same day for the
        same item, never paused)."""
        return (
            self.status,
            self.limit_days,
            self.pause_on_supplement,
            *(getattr(self, key) for key in DATES),
            self.extension_days,
            tuple(self.pauses),
            tuple(sorted(self.open_pauses.items())),
        )

    @property
    def paused(self) -> bool:
        return bool(self.open_pauses) or self.supplement_since is not None

    def start(self, calendar: WorkCalendar) -> date | None:
        """The day the clock started: acceptance, or receipt when the 补正 notice came late."""
        start = self.accepted_on
        if start is None or self.received_on is None or self.received_on >= start:
            return start
        notice_by = calendar.add_working_days(self.received_on, NOTICE_DAYS).day
        late = self.first_notice_on is None or self.first_notice_on > notice_by
        return self.received_on if late and start > notice_by else start

    def deadline(self, calendar: WorkCalendar, today: date) -> Deadline | None:
        """The due date (None before acceptance or for a refused/withdrawn case)."""
        start = self.start(calendar)
        if start is None or self.status in CLOSED:
            return None
        pauses = [Pause(first, last) for first, last in self.pauses]
        pauses += [Pause(first, None) for first in self.open_pauses.values()]
        if self.supplement_since is not None and self.pause_on_supplement:
            pauses.append(Pause(self.supplement_since, None))
        return due_date(
            calendar,
            accepted_on=start,
            limit_days=self.limit_days,
            pauses=pauses,
            restarted_on=self.restarted_on,
            extension_days=self.extension_days,
            today=self.completed_on or today,
        )

    def to_dict(self) -> dict[str, Any]:
        # By hand, not dataclasses.asdict: this runs once per case per projection batch, and
        # asdict's deep copies were a tenth of a rebuild.
        data: dict[str, Any] = {
            "status": self.status,
            "limit_days": self.limit_days,
            "pause_on_supplement": self.pause_on_supplement,
            "extension_days": self.extension_days,
        }
        for key in DATES:
            value = getattr(self, key)
            data[key] = value.isoformat() if value is not None else None
        data["pauses"] = [[a.isoformat(), b.isoformat()] for a, b in self.pauses]
        data["open_pauses"] = {k: v.isoformat() for k, v in self.open_pauses.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseClock:
        clock = cls(**{k: v for k, v in data.items() if k not in {"pauses", "open_pauses"}})
        for key in DATES:
            value = getattr(clock, key)
            setattr(clock, key, date.fromisoformat(value) if value else None)
        clock.pauses = [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in data["pauses"]]
        clock.open_pauses = {k: date.fromisoformat(v) for k, v in data["open_pauses"].items()}
        return clock
