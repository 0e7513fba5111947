"""Who did something, where and when: carried by every domain event that a terminal posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Transcoding


@dataclass(frozen=True)
class Stamp:
    """The envelope of a posted event, as the domain keeps it."""

    event_id: UUID
    occurred_at: datetime
    recorded_at: datetime
    terminal_id: str
    staff_id: str | None = None
    case_no: str | None = None


class StampAsDict(Transcoding):
    """Stores a :class:`Stamp` inside the library's JSON."""

    type = Stamp
    name = "stamp"

    def encode(self, obj: Stamp) -> dict[str, Any]:
        # Plain text inside: a UUID or datetime left to the transcoder costs another trip
        # through its Python hook on the way in and out, and every stored event has a stamp
        # (billing stores two or three events a payment).
        return {
            "event_id": obj.event_id.hex,
            "occurred_at": obj.occurred_at.isoformat(),
            "recorded_at": obj.recorded_at.isoformat(),
            "terminal_id": obj.terminal_id,
            "staff_id": obj.staff_id,
            "case_no": obj.case_no,
        }

    def decode(self, data: dict[str, Any]) -> Stamp:
        # Stamps stored until December 2026 hold the transcoder's own UUID and datetime values,
        # which it has decoded already by the time it calls this.
        return Stamp(
            _uuid(data["event_id"]),
            _instant(data["occurred_at"]),
            _instant(data["recorded_at"]),
            data["terminal_id"],
            data.get("staff_id"),
            data.get("case_no"),
        )


def _uuid(value: str | UUID) -> UUID:
    return UUID(value) if isinstance(value, str) else value


def _instant(value: str | datetime) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value
