"""A stamp stored in either of its forms decodes to the same stamp."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, UUIDAsHex

from services.stamp import Stamp, StampAsDict

CHINA = timezone(timedelta(hours=8))
STAMP = Stamp(
    UUID("9b2f3c4d-1e2f-4a5b-8c6d-7e8f9a0b1c2d"),
    datetime(2026, 3, 2, 9, 15, tzinfo=CHINA),
    datetime(2026, 3, 2, 1, 15, 0, 123456, tzinfo=UTC),
    "W-12",
    "S-083",
    "2026-000123",
)


def transcoder() -> JSONTranscoder:
    found = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), StampAsDict()):
        found.register(transcoding)
    return found


def test_a_stamp_round_trips_with_its_offsets() -> None:
    decoded = transcoder().decode(transcoder().encode({"stamp": STAMP}))["stamp"]
    assert decoded == STAMP
    assert decoded.occurred_at.utcoffset() == timedelta(hours=8)


def test_the_stamp_holds_plain_text_inside() -> None:
    stored = json.loads(transcoder().encode({"stamp": STAMP}))["stamp"]["_data_"]
    assert stored["event_id"] == STAMP.event_id.hex
    assert stored["occurred_at"] == "2026-03-02T09:15:00+08:00"


def test_a_stamp_stored_in_the_earlier_nested_form_still_decodes() -> None:
    earlier = {
        "stamp": {
            "_type_": "stamp",
            "_data_": {
                "event_id": {"_type_": "uuid_hex", "_data_": STAMP.event_id.hex},
                "occurred_at": {"_type_": "datetime_iso", "_data_": "2026-03-02T09:15:00+08:00"},
                "recorded_at": {
                    "_type_": "datetime_iso",
                    "_data_": "2026-03-02T01:15:00.123456+00:00",
                },
                "terminal_id": "W-12",
                "staff_id": "S-083",
                "case_no": "2026-000123",
            },
        }
    }
    assert transcoder().decode(json.dumps(earlier).encode())["stamp"] == STAMP
