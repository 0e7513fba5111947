"""Cashiers' terminals retry: a money event's id is a permanent key; a batch is all or nothing."""

from __future__ import annotations

from tests.api.answers import error_of
from tests.billing.money import accepted_case, assessed, paid, receipt, refunded, remitted
from tests.support import Desk


def test_a_retried_payment_is_a_duplicate_at_the_same_position(desk: Desk) -> None:
    case_no = accepted_case(desk)
    desk.record(assessed(case_no, "80.00"))
    payment = paid(case_no, "80.00")

    first = desk.record(payment, by="CASHIER")[0]
    again = desk.record(payment, by="CASHIER")[0]

    assert (first["status"], again["status"]) == ("recorded", "duplicate")
    assert again["position"] == first["position"]
    assert desk.case(case_no)["fees"]["paid"] == "80.00"


def test_every_kind_of_money_event_retried_in_a_batch_is_a_duplicate(desk: Desk) -> None:
    case_no = accepted_case(desk)
    pay = paid(case_no, "80.00")
    batch = [
        assessed(case_no, "80.00"),
        pay,
        refunded(case_no, pay["receipt_no"], "10.00"),
        remitted([pay["receipt_no"]], "70.00"),
    ]
    first = desk.record(*batch, by="CASHIER")

    again = desk.record(*batch, by="CASHIER")

    assert [r["status"] for r in again] == ["duplicate"] * 4
    assert [r["position"] for r in again] == [r["position"] for r in first]
    assert desk.case(case_no)["fees"] == {"assessed": "80.00", "paid": "80.00", "refunded": "10.00"}


def test_the_same_id_with_another_amount_is_a_conflict(desk: Desk) -> None:
    case_no = accepted_case(desk)
    desk.record(assessed(case_no, "80.00"))
    payment = paid(case_no, "40.00")
    desk.record(payment, by="CASHIER")

    response = desk.post(payment | {"amount": "40.01"}, by="CASHIER")

    error_of(response, 409, "event_id_reused", event_index=0, event_id=payment["event_id"])
    assert desk.case(case_no)["fees"]["paid"] == "40.00"


def test_the_same_amount_written_differently_is_the_same_payment(desk: Desk) -> None:
    case_no = accepted_case(desk)
    desk.record(assessed(case_no, "80.00"))
    payment = paid(case_no, "80")
    desk.record(payment, by="CASHIER")

    assert desk.record(payment | {"amount": "80.00"}, by="CASHIER")[0]["status"] == "duplicate"


def test_a_rejected_batch_records_none_of_its_money(desk: Desk) -> None:
    # Given an assessment of 80.00
    case_no = accepted_case(desk)
    desk.record(assessed(case_no, "80.00"))
    good, too_much = paid(case_no, "50.00"), paid(case_no, "30.01")

    # When a batch pays 50.00 then 30.01
    response = desk.post(good, too_much, by="CASHIER")

    # Then nothing of it is recorded, and its good event can be sent again
    error_of(response, 409, "overpayment", event_index=1, event_id=too_much["event_id"])
    assert desk.case(case_no)["fees"]["paid"] == "0.00"
    assert desk.record(good, by="CASHIER")[0]["status"] == "recorded"
    assert receipt(desk, good["receipt_no"])["amount"] == "50.00"
