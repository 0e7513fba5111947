"""The envelope every posted event shares: id, type, case, time and actor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from events.fields import CaseNo, Code, Instant

# Terminal clocks drift; beyond this a "future" event is a wrong clock or a typed-in date.
FUTURE_TOLERANCE = timedelta(minutes=5)


def _type_is_required(schema: JsonDict, cls: type[object]) -> None:
    # `type` has a default so that services can build events without repeating it, but a terminal
    # must always send it: the published schema says so.
    required = schema.setdefault("required", [])
    if isinstance(required, list) and "type" not in required:
        required.insert(0, "type")


def now_from(info: ValidationInfo) -> datetime:
    """Return the "now" passed in the validation context, or the real clock."""
    context = info.context
    now = context.get("now") if isinstance(context, dict) else None
    return now if isinstance(now, datetime) else datetime.now(UTC)


class Envelope(BaseModel):
    """Fields common to every event; subclasses fix `type` and add their own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_type_is_required)

    event_id: UUID
    type: str
    occurred_at: Instant
    staff_id: Code | None = Field(default=None, description="Who did it, if a person did.")

    @field_validator("occurred_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime, info: ValidationInfo) -> datetime:
        if value - now_from(info) > FUTURE_TOLERANCE:
            raise PydanticCustomError(
                "future_event", "more than 5 minutes in the future (check the terminal's clock)"
            )
        return value


class CaseEnvelope(Envelope):
    """Envelope of an event about one case (all but remittance.made)."""

    case_no: CaseNo
