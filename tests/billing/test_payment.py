"""缴费: pay only what was assessed and not yet paid; receipt numbers are unique hall-wide."""

from __future__ import annotations

import pytest

from tests.api.answers import error_of
from tests.billing.money import accepted_case, assessed, fresh, paid, receipt
from tests.support import Desk


@pytest.fixture
def assessed_case(desk: Desk) -> str:
    """A LAND case assessed 100.50."""
    case_no = accepted_case(desk)
    desk.record(assessed(case_no, "80.00", "20.50"))
    return case_no


def test_the_cashier_takes_the_fee_in_two_payments(desk: Desk, assessed_case: str) -> None:
    first, second = paid(assessed_case, "50"), paid(assessed_case, "50.50")

    results = desk.record(first, second, by="CASHIER")

    assert [r["status"] for r in results] == ["recorded", "recorded"]
    assert desk.case(assessed_case)["fees"]["paid"] == "100.50"
    shown = receipt(desk, first["receipt_no"])
    assert shown["amount"] == "50.00" and shown["case_no"] == assessed_case
    assert shown["department"] == "LAND" and shown["fee_codes"] == ["F1", "F2"]


def test_a_fee_never_assessed_cannot_be_paid(desk: Desk) -> None:
    case_no = accepted_case(desk)
    body = paid(case_no, "80.00")

    response = desk.post(body, by="CASHIER")

    error_of(response, 409, "fee_not_assessed", event_index=0, event_id=body["event_id"])


def test_paying_more_than_is_due_is_refused(desk: Desk, assessed_case: str) -> None:
    # Given 100.00 of 100.50 was paid
    desk.record(paid(assessed_case, "100.00"), by="CASHIER")

    # When 0.51 more is paid
    response = desk.post(paid(assessed_case, "0.51"), by="CASHIER")

    # Then it is an overpayment, and 0.50 still goes through
    error_of(response, 409, "overpayment")
    desk.record(paid(assessed_case, "0.50"), by="CASHIER")
    assert desk.case(assessed_case)["fees"]["paid"] == "100.50"


def test_a_receipt_number_is_used_once_in_the_whole_hall(desk: Desk, assessed_case: str) -> None:
    # Given receipt R was issued for one case
    other = accepted_case(desk)
    desk.record(assessed(other, "80.00"))
    number = fresh("R")
    desk.record(paid(assessed_case, "10.00", number), by="CASHIER")

    # When the same number is used for another case (a new event)
    response = desk.post(paid(other, "10.00", number), by="CASHIER")

    # Then it is refused and the other case has paid nothing
    error_of(response, 409, "receipt_exists")
    assert desk.case(other)["fees"]["paid"] == "0.00"
    assert receipt(desk, number)["case_no"] == assessed_case


def test_a_receipt_number_repeated_within_one_batch_rejects_the_batch(
    desk: Desk, assessed_case: str
) -> None:
    number = fresh("R")
    batch = [paid(assessed_case, "10.00", number), paid(assessed_case, "20.00", number)]

    response = desk.post(*batch, by="CASHIER")

    error_of(response, 409, "receipt_exists", event_index=1)
    assert desk.case(assessed_case)["fees"]["paid"] == "0.00"


def test_a_window_may_not_take_a_payment(desk: Desk, assessed_case: str) -> None:
    response = desk.post(paid(assessed_case, "10.00"), by="W-12")

    error_of(response, 403, "forbidden")
    assert desk.case(assessed_case)["fees"]["paid"] == "0.00"


@pytest.mark.parametrize("amount", ["12.345", "-1", "1e3", "abc", "0", "", 80])
def test_a_payment_amount_that_is_not_yuan_and_fen_is_malformed(
    desk: Desk, assessed_case: str, amount: object
) -> None:
    body = paid(assessed_case, "1.00") | {"amount": amount}

    response = desk.post(body, by="CASHIER")

    error_of(response, 422, "bad_amount", event_index=0)


@pytest.mark.parametrize("amount", ["12.345", "-1", "1e3", "abc"])
def test_an_assessed_amount_that_is_not_yuan_and_fen_is_malformed(
    desk: Desk, assessed_case: str, amount: str
) -> None:
    response = desk.post(assessed(assessed_case, "1.00", amount), by="W-12")

    error = error_of(response, 422, "bad_amount", event_index=0)
    assert "lines[1].amount" in error["message"]
    assert desk.case(assessed_case)["fees"]["assessed"] == "100.50"
