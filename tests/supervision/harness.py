"""Supervision over a test hall, driven step by step on a test clock.

The hall stamps ``recorded_at`` from the test clock too (``services.ingest`` reads the time
through its module-level ``datetime``), so a story can say when each event was recorded and
when supervision looks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid4

from hall.followers import billing_log, intake_log
from hall.runtime import Hall
from hall.settings import Settings
from hall.stores import store_env
from projections.sources import Message, Sources
from services.supervision.application import Supervision
from services.supervision.follower import Follower
from services.supervision.rules import Thresholds
from tests.support import Desk, event

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


class StoryClock:
    """The time of the story: terminals' stamps and supervision's ticks both read it."""

    def __init__(self, start: str) -> None:
        self.now = datetime.fromisoformat(start)

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: str) -> StoryClock:
        self.now = datetime.fromisoformat(when)
        return self

    def iso(self) -> str:
        return self.now.isoformat()


class MemoryLog:
    """A stream of messages made by hand (event types the contract does not carry yet)."""

    def __init__(self, stream: str, clock: StoryClock) -> None:
        self.streams = (stream,)
        self.clock = clock
        self.messages: list[Message] = []

    def add(self, type_: str, **body: Any) -> Message:
        body = {"event_id": str(uuid4()), "occurred_at": self.clock.now, **body, "type": type_}
        message = Message(self.streams[0], len(self.messages) + 1, type_, body, self.clock.now)
        self.messages.append(message)
        return message

    def read(self, stream: str, after: int, limit: int) -> list[Message]:
        return [m for m in self.messages if m.position > after][:limit]


def hall_sources(hall: Hall, *extra: Any) -> Sources:
    logs: list[Any] = [intake_log(hall.intake)]
    billing = getattr(hall, "billing", None)
    if billing is not None:
        logs.append(billing_log(billing))
    return Sources(*logs, *extra)


def open_supervision(
    settings: Settings, hall: Hall | None = None, thresholds: Thresholds | None = None
) -> Supervision:
    calendar = hall.intake.calendar if hall is not None else None
    return Supervision(store_env(settings, "supervision"), calendar=calendar, thresholds=thresholds)


class Watch:
    """A supervision application and its follower, on the story's clock."""

    def __init__(self, app: Supervision, sources: Sources, clock: StoryClock) -> None:
        self.app, self.sources, self.clock = app, sources, clock
        self.follower = Follower(app, sources, clock=clock, settle=timedelta(0), batch=50)

    def run(self, until: str | None = None) -> Watch:
        """Supervision catches up, then time passes (to ``until``, if given)."""
        if until is not None:
            self.clock.set(until)
        self.follower.catch_up()
        return self

    def flags(self, rule: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        return self.app.flags(*YEAR, rule=rule, **filters)

    def open(self, rule: str | None = None) -> list[dict[str, Any]]:
        return [f for f in self.flags(rule) if f["status"] != "closed"]

    def subjects(self, rule: str, *, open_only: bool = True) -> list[str]:
        found = self.open(rule) if open_only else self.flags(rule)
        return sorted(f"{f['subject']['id']}{_slot(f)}" for f in found)


def _slot(flag: Mapping[str, Any]) -> str:
    slot = flag["detail"].get("slot")
    return f"/{slot}" if slot else ""


class Teller:
    """Posts a story's events, each occurring and recorded at the clock's time unless told."""

    def __init__(self, desk: Desk, clock: StoryClock) -> None:
        self.desk, self.clock = desk, clock

    def at(self, when: str) -> Teller:
        self.clock.set(when)
        return self

    def event(self, kind: str, case_no: str, **fields: Any) -> dict[str, Any]:
        return event(kind, case_no, **{"occurred_at": self.clock.iso(), **fields})

    def post(self, *events: dict[str, Any], by: str = "W-12") -> list[dict[str, Any]]:
        return self.desk.record(*events, by=by)

    def tell(self, kind: str, case_no: str, by: str = "W-12", **fields: Any) -> None:
        self.post(self.event(kind, case_no, **fields), by=by)

    def accept(self, case_no: str, item: str = "LAND-REG", **fields: Any) -> None:
        civil = item.startswith("CIVIL")
        window = "3" if civil else "12"
        body = {"item_code": item, "window_no": window, **fields}
        self.tell("case.accepted", case_no, by=f"W-{window}", **body)

    def money(self, kind: str, case_no: str, **fields: Any) -> dict[str, Any]:
        body = self.event(kind, case_no, **fields)
        self.post(body, by="CASHIER")
        return body


def finding_ids(flags: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted(f["id"] for f in flags)
