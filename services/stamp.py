"""Who did something, where and when: carried by every domain event that a terminal posts."""

from __future__ import annotations

from dataclasses import dataclass, fields
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
        # Shallow on purpose: dataclasses.asdict deep-copies, and this runs for every event.
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> Stamp:
        return Stamp(**data)
