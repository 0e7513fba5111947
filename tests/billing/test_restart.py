"""Stopping and starting the hall loses no money event, index or reconciliation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from tests.billing.money import (
    MONDAY,
    accepted_case,
    assessed,
    import_statement,
    paid,
    refunded,
    remitted,
)
from tests.support import Desk


def test_a_restarted_hall_has_every_fee_receipt_remittance_and_reconciliation(
    settings: Settings,
) -> None:
    # Given a hall that recorded a day's money and its reconciliation, then stopped
    hall = Hall.start(settings)
    with TestClient(create_app(hall=hall)) as client:
        desk = Desk(client).with_catalogue()
        case_no = accepted_case(desk)
        first, second = paid(case_no, "60.00"), paid(case_no, "20.00")
        desk.record(assessed(case_no, "80.00"), first, second, by="CASHIER")
        desk.record(refunded(case_no, second["receipt_no"], "5.00"), by="CASHIER")
        batch = remitted([first["receipt_no"]], "60.00")
        desk.record(batch, by="CASHIER")
        assert import_statement(desk, f"{MONDAY},B-1,{first['receipt_no']},60,paid").is_success
        before = _books(client, desk, case_no, second["receipt_no"])
        cashier = desk.as_("CASHIER")
    hall.close()

    # When it starts again on the same stores
    again = Hall.start(settings)
    with TestClient(create_app(hall=again)) as client:
        desk = Desk(client)
        desk.tokens["CASHIER"] = cashier
        after = _books(client, desk, case_no, second["receipt_no"])
        retry = client.post("/v1/events", json=batch, headers=cashier)
        duplicate_receipt = paid(case_no, "1.00", second["receipt_no"])
        reused = client.post("/v1/events", json=duplicate_receipt, headers=cashier)
        unremitted = client.get(
            "/v1/billing/unremitted",
            params={"as_of": "2026-03-04T09:00:00+08:00"},
            headers=cashier,
        ).json()
    again.close()

    # Then everything reads the same, retries are duplicates and the indexes still hold
    assert after == before
    assert retry.json()["results"][0]["status"] == "duplicate"
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "receipt_exists"
    assert [r["receipt_no"] for r in unremitted["receipts"]] == [second["receipt_no"]]


def _books(client: TestClient, desk: Desk, case_no: str, receipt_no: str) -> list[object]:
    cashier = desk.as_("CASHIER")
    return [
        client.get(f"/v1/cases/{case_no}", headers=cashier).json()["fees"],
        client.get(f"/v1/billing/receipts/{receipt_no}", headers=cashier).json(),
        client.get("/v1/billing/ledger", params={"date": MONDAY}, headers=cashier).json(),
        client.get("/v1/billing/reconciliation", params={"date": MONDAY}, headers=cashier).json(),
    ]
