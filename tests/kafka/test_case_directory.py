"""A billing-only API knows cases from intake's topic; until it has read them it says so (503,
retry) instead of calling a real case unknown, and once it has, fees are taken."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hall.bus.settings import BusSettings
from hall.http.app import create_app
from hall.runtime import Hall
from tests.kafka.support import relaying
from tests.support import Desk, event

LINE = [{"fee_code": "F1", "amount": "80.00"}]


@pytest.fixture
def both_apis(bus: BusSettings) -> Iterator[tuple[Desk, Desk, Hall]]:
    """An intake-only and a billing-only API on one store, in this process."""
    roles = {"followers": False, "relays": False, "case_directory_wait": 3.0}
    intake = Hall.start(bus.model_copy(update=roles | {"role": "intake"}), follow=False)
    billing = Hall.start(bus.model_copy(update=roles | {"role": "billing"}))
    try:
        with TestClient(create_app(hall=intake)) as i, TestClient(create_app(hall=billing)) as b:
            intake_desk = Desk(i).with_catalogue()
            billing_desk = Desk(b)
            billing_desk.tokens = intake_desk.tokens  # one access store: the same terminals
            yield intake_desk, billing_desk, intake
    finally:
        billing.close()
        intake.close()


def test_before_intakes_topic_exists_a_fee_gets_503_then_is_taken_once_the_case_arrives(
    both_apis: tuple[Desk, Desk, Hall], bus: BusSettings
) -> None:
    intake, billing, intake_hall = both_apis
    intake.record(event("case.accepted", "2026-C1"))
    fee = event("fee.assessed", "2026-C1", lines=LINE)

    early = billing.post(fee)  # no relay yet: no topic, nothing read

    with relaying(intake_hall, bus, "intake"):
        recorded = billing.record(fee)  # waits for the case to arrive from the topic
        unknown = billing.post(event("fee.assessed", "2026-NONE", lines=LINE))

    assert early.status_code == 503
    assert early.json()["error"]["code"] == "store_unavailable"
    assert [r["status"] for r in recorded] == ["recorded"]
    assert unknown.status_code == 409  # a case the topic never named: billing's own refusal
    assert unknown.json()["error"]["code"] == "case_not_found"
    assert billing.case("2026-C1")["fees"]["assessed"] == "80.00"
