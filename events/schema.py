"""The contract as a JSON Schema document, for terminal vendors and contract tests."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from events.parsing import MAX_BATCH
from events.registry import AnyEvent

SCHEMA_VERSION = "1.1.0"
SCHEMA_ID = f"https://hall.example/schema/events/{SCHEMA_VERSION}"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def export_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a POST /v1/events body: one event or a batch."""
    events = TypeAdapter(AnyEvent).json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = events.pop("$defs")
    defs["Event"] = {
        "description": "One event; `type` selects which fields it carries.",
        **events,
    }
    defs["EventBatch"] = {
        "description": "Events of one service (case or money), in the order they happened.",
        "type": "object",
        "properties": {
            "events": {
                "type": "array",
                "items": {"$ref": "#/$defs/Event"},
                "minItems": 1,
                "maxItems": MAX_BATCH,
            }
        },
        "required": ["events"],
        "additionalProperties": False,
    }
    return {
        "$schema": _DIALECT,
        "$id": SCHEMA_ID,
        "title": "Hall events: what a terminal may post",
        "x-schema-version": SCHEMA_VERSION,
        "oneOf": [{"$ref": "#/$defs/Event"}, {"$ref": "#/$defs/EventBatch"}],
        "$defs": defs,
    }
