"""退付: money goes back against a receipt, at most what the receipt holds net."""

from __future__ import annotations

import pytest

from tests.api.answers import error_of
from tests.billing.money import accepted_case, assessed, fresh, paid, receipt, refunded
from tests.support import Desk


@pytest.fixture
def payment(desk: Desk) -> tuple[str, str]:
    """A LAND case assessed 80.00 and paid in full on receipt R: (case, receipt)."""
    case_no = accepted_case(desk)
    body = paid(case_no, "80.00")
    desk.record(assessed(case_no, "80.00"))
    desk.record(body, by="CASHIER")
    return case_no, body["receipt_no"]


def test_a_receipt_is_refunded_in_two_parts_up_to_its_amount(
    desk: Desk, payment: tuple[str, str]
) -> None:
    case_no, number = payment

    desk.record(refunded(case_no, number, "30.00"), refunded(case_no, number, "50"), by="CASHIER")

    shown = receipt(desk, number)
    assert shown["refunded"] == "80.00" and shown["net"] == "0.00"
    assert [r["amount"] for r in shown["refunds"]] == ["30.00", "50.00"]
    assert desk.case(case_no)["fees"] == {"assessed": "80.00", "paid": "80.00", "refunded": "80.00"}


def test_refunding_more_than_a_receipt_holds_is_refused(
    desk: Desk, payment: tuple[str, str]
) -> None:
    # Given 30.00 of the 80.00 was refunded
    case_no, number = payment
    desk.record(refunded(case_no, number, "30.00"), by="CASHIER")

    # When 50.01 more is refunded
    body = refunded(case_no, number, "50.01")
    response = desk.post(body, by="CASHIER")

    # Then it is refused, naming the event, and the receipt is unchanged
    error_of(response, 409, "refund_exceeds_receipt", event_index=0, event_id=body["event_id"])
    assert receipt(desk, number)["net"] == "50.00"


def test_a_refund_against_an_unknown_receipt_is_refused(
    desk: Desk, payment: tuple[str, str]
) -> None:
    response = desk.post(refunded(payment[0], fresh("R"), "1.00"), by="CASHIER")

    error_of(response, 409, "unknown_receipt")


def test_a_refund_must_name_the_case_the_receipt_was_paid_for(
    desk: Desk, payment: tuple[str, str]
) -> None:
    other = accepted_case(desk)

    response = desk.post(refunded(other, payment[1], "1.00"), by="CASHIER")

    error_of(response, 409, "receipt_of_another_case")
    assert receipt(desk, payment[1])["refunded"] == "0.00"


def test_a_refunded_fee_may_be_paid_again(desk: Desk, payment: tuple[str, str]) -> None:
    # Given the 80.00 was refunded in full (paid to the wrong account, say)
    case_no, number = payment
    desk.record(refunded(case_no, number, "80.00"), by="CASHIER")

    # When it is paid again, and then once more
    again = desk.post(paid(case_no, "80.00"), by="CASHIER")
    twice = desk.post(paid(case_no, "0.01"), by="CASHIER")

    # Then the hall holds the assessed amount net, never more
    assert again.status_code == 200, again.text
    error_of(twice, 409, "overpayment")
    assert desk.case(case_no)["fees"] == {
        "assessed": "80.00",
        "paid": "160.00",
        "refunded": "80.00",
    }


def test_a_window_may_not_refund(desk: Desk, payment: tuple[str, str]) -> None:
    response = desk.post(refunded(*payment, "1.00"), by="W-12")

    error_of(response, 403, "forbidden")
