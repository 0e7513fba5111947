"""Billing learns the departments of a group's assessed cases in one read of intake."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.runtime import Hall, IntakeCaseDirectory
from hall.settings import Settings
from tests.billing.money import accepted_case, assessed, fresh
from tests.support import Desk, event


def test_departments_of_cases_no_cache_holds_come_from_one_read(settings: Settings) -> None:
    # Given cases accepted in two departments and one only received, then a restart
    hall = Hall.start(settings, follow=False)
    with TestClient(create_app(hall=hall)) as client:
        desk = Desk(client).with_catalogue()
        land, civil = accepted_case(desk), accepted_case(desk, civil=True)
        received = fresh("2026")
        desk.record(event("case.received", received))
        cashier = desk.as_("CASHIER")
    hall.close()
    again = Hall.start(settings, follow=False)
    try:
        directory = IntakeCaseDirectory(again.intake)
        reads = []
        find_many = again.intake.find_many
        again.intake.find_many = lambda ids, cls: reads.append(ids) or find_many(ids, cls)  # type: ignore[method-assign]

        # When billing asks for all of them at once, and for one nobody knows
        answers = directory.departments_of([land, civil, received, "2026-999999"])

        # Then each has its item's department, the unknown one none, from a single read
        assert answers == {land: "LAND", civil: "CIVIL", received: "LAND", "2026-999999": None}
        assert len(reads) == 1
        # and a batch of assessments after the restart is recorded, the unknown case refused
        with TestClient(create_app(hall=again)) as client:
            ok = client.post(
                "/v1/events",
                json={"events": [assessed(land, "10.00"), assessed(civil, "20.00")]},
                headers=cashier,
            )
            stray = assessed("2026-999999", "1.00")
            unknown_id = stray["event_id"]
            unknown = client.post(
                "/v1/events", json={"events": [assessed(land, "1.00"), stray]}, headers=cashier
            )
    finally:
        again.close()
    assert ok.status_code == 200, ok.text
    assert unknown.status_code == 409
    assert unknown.json()["error"] | {"message": ""} == {
        "code": "case_not_found",
        "message": "",
        "event_index": 1,
        "event_id": unknown_id,
    }
