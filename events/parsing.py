"""Parsing posted JSON into contract models, and the canonical form used for idempotency."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from pydantic import ValidationError

from events.envelope import Envelope
from events.errors import ContractError, contract_error
from events.registry import OWNERS, TYPES, AnyEvent

MAX_BATCH = 500


def parse_event(raw: object, *, now: datetime | None = None) -> AnyEvent:
    """Validate one posted event; raise ContractError naming the first problem."""
    if now is not None and now.tzinfo is None:
        raise ValueError("now must carry a UTC offset")
    if not isinstance(raw, dict):
        raise ContractError("not_an_object", "an event must be a JSON object")
    # Looking the type up first gives a clear unknown_type instead of a union error, and error
    # locations without the union's tag in front.
    kind = raw.get("type")
    model = TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        shown = repr(kind)[:60] if "type" in raw else "missing"
        raise ContractError("unknown_type", f"type: unknown event type ({shown})", "type")
    try:
        event = model.model_validate(raw, context={"now": now or datetime.now(UTC)})
    except ValidationError as exc:
        raise contract_error(exc) from None
    return cast("AnyEvent", event)


def _in_batch(error: ContractError, index: int, raw: object) -> ContractError:
    error.event_index = index
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    error.event_id = event_id if isinstance(event_id, str) else None
    return error


def parse_batch(raw: object, *, now: datetime | None = None) -> list[AnyEvent]:
    """Validate a POST /v1/events body: one event, or {"events": [...]} of one owning service."""
    if not (isinstance(raw, dict) and "events" in raw and "type" not in raw):
        try:
            return [parse_event(raw, now=now)]
        except ContractError as error:
            raise _in_batch(error, 0, raw) from None
    items = raw["events"]
    if set(raw) != {"events"} or not isinstance(items, list):
        raise ContractError("invalid_batch", 'a batch is {"events": [...]} and nothing else')
    if not 1 <= len(items) <= MAX_BATCH:
        raise ContractError("invalid_batch", f"a batch holds 1 to {MAX_BATCH} events", "events")
    events: list[AnyEvent] = []
    for index, item in enumerate(items):
        try:
            event = parse_event(item, now=now)
        except ContractError as error:
            raise _in_batch(error, index, item) from None
        # A batch is atomic, and atomicity only holds within one service's store.
        if events and OWNERS[event.type] != OWNERS[events[0].type]:
            raise _in_batch(
                ContractError("mixed_batch", "a batch holds either case events or money events"),
                index,
                item,
            )
        events.append(event)
    return events


def _canonical_data(event: Envelope) -> dict[str, Any]:
    # Fields equal to their defaults are left out, so that adding an optional field in a minor
    # version does not change the digest of events recorded before it; `type` has a default only
    # for convenience and must always count.
    data = event.model_dump(mode="json", context={"canonical": True}, exclude_defaults=True)
    data["type"] = event.type
    return data


def canonical_bytes(event: Envelope) -> bytes:
    """The event in one stable form, as UTF-8: normalised values, sorted keys, no whitespace."""
    return sorted_compact(_canonical_data(event))


def sorted_compact(data: dict[str, Any]) -> bytes:
    """JSON with sorted keys and no whitespace, as UTF-8."""
    # Byte for byte json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    # the form every stored digest was taken on, for the values a JSON-mode dump holds (strings,
    # integers, booleans, nulls; the contract has no floats); tests/contract/test_digest.py
    # compares the two.  orjson writes it ten times faster, and every posted event needs one.
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def canonical_json(event: Envelope) -> str:
    """Serialise an event in one stable form: normalised values, sorted keys, no whitespace."""
    return canonical_bytes(event).decode("utf-8")


def content_digest(event: Envelope) -> str:
    """Return the sha256 hex digest of the canonical form: equal for the same logical event."""
    return hashlib.sha256(canonical_bytes(event)).hexdigest()
