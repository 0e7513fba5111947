"""Applicants' ID numbers and phones are masked in every response and encrypted at rest."""

from __future__ import annotations

import json

import psycopg

from hall.settings import Settings
from tests.conftest import PG_URL
from tests.contract.examples import RESIDENT_ID
from tests.support import ADMIN, Desk, event

PHONE = "13987654321"


def test_no_response_shows_a_raw_id_number_or_phone(desk: Desk) -> None:
    applicant = {
        "kind": "person",
        "name": "李四",
        "id_type": "resident_id",
        "id_number": RESIDENT_ID,
        "phone": PHONE,
    }
    desk.record(event("case.accepted", "2026-000300", applicant=applicant))

    bodies = [
        desk.client.get("/v1/cases/2026-000300", headers=ADMIN).text,
        desk.client.get("/v1/cases/2026-000300/history", headers=ADMIN).text,
        desk.client.get("/v1/audit/events", headers=desk.as_("AUDITOR")).text,
    ]

    for body in bodies:
        assert RESIDENT_ID not in body and PHONE not in body
    case = json.loads(bodies[0])
    assert case["applicant"]["id_number"] == RESIDENT_ID[:6] + "*" * 8 + RESIDENT_ID[-4:]
    assert case["applicant"]["phone"] == "139****4321"


def test_the_stored_events_hold_no_raw_id_number_or_phone(desk: Desk, settings: Settings) -> None:
    applicant = {
        "kind": "person",
        "name": "李四",
        "id_type": "resident_id",
        "id_number": RESIDENT_ID,
        "phone": PHONE,
    }
    desk.record(event("case.accepted", "2026-000301", applicant=applicant))

    if settings.database_url is None:
        raw = (settings.data_dir / "intake.sqlite").read_bytes()
        stored_name = "李四".encode()
    else:
        with psycopg.connect(PG_URL) as conn:
            rows = conn.execute(
                f'SELECT state FROM "{settings.database_schema}".intake_events'
            ).fetchall()
            keys = conn.execute(
                f'SELECT * FROM "{settings.database_schema}".intake_event_keys'
            ).fetchall()
        raw = b"".join(bytes(r[0]) for r in rows) + repr(keys).encode()
        stored_name = "李四".encode()

    assert len(raw) > 0
    assert RESIDENT_ID.encode() not in raw and PHONE.encode() not in raw
    assert stored_name not in raw  # the whole event is encrypted, not just the two fields


def test_the_generated_cipher_key_is_readable_only_by_its_owner(
    desk: Desk, settings: Settings
) -> None:
    key = settings.data_dir / "cipher.key"

    assert key.exists()
    assert key.stat().st_mode & 0o777 == 0o600
