"""划拨: the bank remits receipts in batches; a batch's amount is its receipts' net, once each."""

from __future__ import annotations

import pytest

from tests.api.answers import error_of
from tests.billing.money import (
    accepted_case,
    assessed,
    fresh,
    ledger,
    paid,
    receipt,
    refunded,
    remitted,
)
from tests.support import Desk


@pytest.fixture
def receipts(desk: Desk) -> tuple[str, list[str]]:
    """A case assessed 100.00 and paid on two receipts, 60.00 and 40.00: (case, receipts)."""
    case_no = accepted_case(desk)
    first, second = paid(case_no, "60.00"), paid(case_no, "40.00")
    desk.record(assessed(case_no, "100.00"))
    desk.record(first, second, by="CASHIER")
    return case_no, [first["receipt_no"], second["receipt_no"]]


def test_a_batch_remits_its_receipts_net_of_refunds(
    desk: Desk, receipts: tuple[str, list[str]]
) -> None:
    # Given 10.00 of the first receipt was refunded
    case_no, numbers = receipts
    desk.record(refunded(case_no, numbers[0], "10.00"), by="CASHIER")

    # When a batch remits both for 90.00
    batch = remitted(numbers, "90.00")
    desk.record(batch, by="CASHIER")

    # Then each receipt names the batch and the net amount it remitted
    first, second = receipt(desk, numbers[0]), receipt(desk, numbers[1])
    assert first["remittance"]["batch_no"] == batch["batch_no"]
    assert (first["remittance"]["amount"], second["remittance"]["amount"]) == ("50.00", "40.00")
    assert ledger(desk)["totals"]["remitted"] == "90.00"


def test_a_batch_whose_amount_is_not_its_receipts_net_is_refused(
    desk: Desk, receipts: tuple[str, list[str]]
) -> None:
    body = remitted(receipts[1], "100.01")

    response = desk.post(body, by="CASHIER")

    error = error_of(response, 409, "remittance_amount_mismatch", event_id=body["event_id"])
    assert "100.00" in error["message"]
    assert receipt(desk, receipts[1][0])["remittance"] is None


def test_a_receipt_is_remitted_once(desk: Desk, receipts: tuple[str, list[str]]) -> None:
    # Given the first receipt was remitted
    _, numbers = receipts
    desk.record(remitted(numbers[:1], "60.00"), by="CASHIER")

    # When another batch remits it again with the second
    response = desk.post(remitted(numbers, "100.00"), by="CASHIER")

    # Then it is refused and the second receipt is still unremitted
    error_of(response, 409, "receipt_already_remitted")
    assert receipt(desk, numbers[1])["remittance"] is None


def test_a_batch_naming_an_unknown_receipt_is_refused(
    desk: Desk, receipts: tuple[str, list[str]]
) -> None:
    response = desk.post(remitted([*receipts[1], fresh("R")], "100.00"), by="CASHIER")

    error_of(response, 409, "unknown_receipt")
    assert receipt(desk, receipts[1][0])["remittance"] is None


def test_a_batch_number_is_used_once(desk: Desk, receipts: tuple[str, list[str]]) -> None:
    batch_no = fresh("RB")
    desk.record(remitted(receipts[1][:1], "60.00", batch_no), by="CASHIER")

    response = desk.post(remitted(receipts[1][1:], "40.00", batch_no), by="CASHIER")

    error_of(response, 409, "remittance_exists")


def test_a_refund_after_remittance_is_owed_back(
    desk: Desk, receipts: tuple[str, list[str]]
) -> None:
    # Given the first receipt was remitted in full
    case_no, numbers = receipts
    desk.record(remitted(numbers[:1], "60.00"), by="CASHIER")

    # When 15.00 of it is refunded to the applicant
    desk.record(refunded(case_no, numbers[0], "15.00"), by="CASHIER")

    # Then the refund is allowed and recorded as owed back, on the receipt and in the cash book
    shown = receipt(desk, numbers[0])
    assert shown["owed_back"] == "15.00" and shown["net"] == "45.00"
    assert shown["remittance"]["amount"] == "60.00"
    rows = [r for r in ledger(desk)["rows"] if r["kind"] == "refunded"]
    assert [(r["receipt_no"], r["owed_back"]) for r in rows] == [(numbers[0], "15.00")]
    assert ledger(desk)["totals"]["owed_back"] == "15.00"


def test_a_window_may_not_post_a_remittance(desk: Desk, receipts: tuple[str, list[str]]) -> None:
    response = desk.post(remitted(receipts[1], "100.00"), by="W-12")

    error_of(response, 403, "forbidden")
