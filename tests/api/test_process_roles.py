"""``hall serve --role``: an API recording one service's events hands the other's to the API
that records them (or says where they belong), and terminals keep one address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from tests.operations.server import Server, free_port
from tests.support import Desk, event

LINE = [{"fee_code": "F1", "amount": "80.00"}]


@contextmanager
def desk_of(settings: Settings, **overrides: object) -> Iterator[Desk]:
    """A desk at an API serving ``overrides["role"]``, on the test's stores."""
    hall = Hall.start(settings.model_copy(update=overrides), follow=False)
    try:
        with TestClient(create_app(hall=hall)) as client:
            yield Desk(client).with_catalogue()
    finally:
        hall.close()


class BillingApi(Server):
    """``hall serve --role billing`` in its own process, on the same stores."""

    def env(self) -> dict[str, str]:
        return super().env() | {"HALL_ROLE": "billing", "HALL_FOLLOWERS": "false"}


@pytest.fixture
def billing_api(settings: Settings) -> Iterator[BillingApi]:
    server = BillingApi(settings).start()
    yield server
    server.kill()


def test_an_intake_only_api_says_where_money_events_go_and_records_nothing(
    settings: Settings,
) -> None:
    with desk_of(settings, role="intake") as desk:
        desk.record(event("case.accepted", "2026-R1"))
        fee = event("fee.assessed", "2026-R1", lines=LINE)
        response = desk.post(fee)

        assert response.status_code == 421
        assert response.json()["error"]["code"] == "misdirected"
        assert "HALL_BILLING_URL" in response.json()["error"]["message"]
        assert desk.case("2026-R1")["fees"]["assessed"] == "0.00"


def test_a_billing_only_api_says_where_case_events_go(settings: Settings) -> None:
    with desk_of(settings, role="billing") as desk:
        response = desk.post(event("case.accepted", "2026-R2"))

        assert response.status_code == 421
        assert response.json()["error"]["code"] == "misdirected"
        assert desk.client.get("/v1/cases/2026-R2", headers=desk.as_("W-12")).status_code == 404


def test_an_intake_only_api_refuses_a_bank_statement_it_cannot_record(settings: Settings) -> None:
    with desk_of(settings, role="intake") as desk:
        csv = "date,bank_ref,receipt_no,amount,kind\n2026-03-02,B-1,R-1,80.00,paid\n"
        response = desk.client.post(
            "/v1/billing/statements", json={"csv": csv}, headers=desk.as_("CASHIER")
        )

        assert response.status_code == 421


def test_an_intake_only_api_forwards_money_events_and_answers_what_billing_answered(
    settings: Settings, billing_api: BillingApi
) -> None:
    with desk_of(settings, role="intake", billing_url=billing_api.url) as desk:
        desk.record(event("case.accepted", "2026-R3"))
        fee = event("fee.assessed", "2026-R3", lines=LINE)

        first = desk.record(fee)
        again = desk.record(fee)  # a terminal's retry: still idempotent through the forward
        refused = desk.post(event("fee.assessed", "2026-R3", lines=LINE), by="W-3")
        paid = event("fee.paid", "2026-R3", receipt_no="R-R3", amount="80.00", method="cash")
        desk.record(paid, by="CASHIER")

        assert [r["status"] for r in first] == ["recorded"]
        assert [r["status"] for r in again] == ["duplicate"]
        assert refused.status_code == 403  # W-3 serves CIVIL: billing's own role check
        assert refused.json()["error"]["code"] == "forbidden"
        assert desk.case("2026-R3")["fees"] == {
            "assessed": "80.00",
            "paid": "80.00",
            "refunded": "0.00",
        }


def test_a_forward_to_an_api_that_does_not_answer_is_a_503_and_records_nothing(
    settings: Settings,
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    with desk_of(settings, role="intake", billing_url=nowhere) as desk:
        desk.record(event("case.accepted", "2026-R4"))
        response = desk.post(event("fee.assessed", "2026-R4", lines=LINE))

        assert response.status_code == 503
        assert response.json()["error"]["code"] == "upstream_unavailable"
        assert desk.case("2026-R4")["fees"]["assessed"] == "0.00"
