"""A payment's receipt lives on its account until money moves against it again.

The payment claims the receipt number as a key (unique hall-wide, written in the payment's
transaction); its first refund or remittance creates the ``Receipt`` aggregate from the
account's record of the payment.  Receipts paid until December 2026 were created with their
payment, and still answer as before.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from services.billing.domainmodel import FeeAccount, Receipt, account_id, receipt_id
from services.billing.indexes import OPEN_DAYS_ID, Day, OpenDays
from services.ingest import Rejection, Result
from services.stamp import Stamp
from tests.api.answers import error_of
from tests.billing.money import (
    AT_NINE,
    MONDAY,
    accepted_case,
    assessed,
    fresh,
    ledger,
    paid,
    receipt,
    refunded,
    remitted,
    unremitted,
)
from tests.billing.test_group_commit import posted
from tests.support import Desk


@pytest.fixture
def assessed_case(desk: Desk) -> str:
    case_no = accepted_case(desk)
    desk.record(assessed(case_no, "80.00", "20.00"))
    return case_no


def test_a_payment_keeps_its_receipt_on_the_account_under_a_key(
    desk: Desk, hall: Hall, assessed_case: str
) -> None:
    number = fresh("R")
    payment = paid(assessed_case, "30.00", number)

    desk.record(payment, by="CASHIER")

    # no receipt event; the number is a key naming the account's payment
    assert list(hall.billing.events.get(receipt_id(number))) == []
    known, _ = hall.billing.recorder.select_known([receipt_id(number)], [])  # type: ignore[attr-defined]
    assert known[receipt_id(number)].originator_id == account_id(assessed_case)
    shown = receipt(desk, number)
    assert (shown["amount"], shown["net"], shown["version"]) == ("30.00", "30.00", 1)
    assert shown["fee_codes"] == ["F1", "F2"]
    assert shown["cashier_window"] == payment["cashier_window"]


def test_the_first_refund_issues_the_receipt_as_it_was_paid(
    desk: Desk, hall: Hall, assessed_case: str
) -> None:
    number = fresh("R")
    payment = paid(assessed_case, "30.00", number)
    desk.record(payment, by="CASHIER")
    before = receipt(desk, number)

    desk.record(refunded(assessed_case, number, "10.00"), by="CASHIER")

    stored = list(hall.billing.events.get(receipt_id(number)))
    assert [type(e).__name__ for e in stored] == ["Issued", "Refunded"]
    assert str(stored[0].stamp.event_id) == payment["event_id"]  # the payment's own stamp
    after = receipt(desk, number)
    assert {k: after[k] for k in ("paid_at", "amount", "method", "case_no")} == {
        k: before[k] for k in ("paid_at", "amount", "method", "case_no")
    }
    assert (after["net"], after["version"]) == ("20.00", 2)


def test_a_receipt_paid_refunded_and_remitted_in_one_group_of_requests(
    desk: Desk, hall: Hall, assessed_case: str
) -> None:
    first, second = paid(assessed_case, "60.00"), paid(assessed_case, "40.00")
    refund = refunded(assessed_case, second["receipt_no"], "40.00")  # in full: settled

    outcomes = hall.billing.record_group(
        [
            [posted(first), posted(second), posted(refund)],
            [posted(remitted([first["receipt_no"]], "60.00"))],
        ]
    )

    assert all(not isinstance(o, Rejection) for o in outcomes), outcomes
    assert receipt(desk, first["receipt_no"])["remittance"]["amount"] == "60.00"
    assert receipt(desk, second["receipt_no"])["net"] == "0.00"
    assert unremitted(desk, "2026-03-31T09:00:00+08:00")["receipts"] == []
    assert ledger(desk)["totals"]["paid"] == "100.00"


def test_a_number_claimed_by_an_earlier_batch_of_the_group_is_refused(
    desk: Desk, hall: Hall, assessed_case: str
) -> None:
    other = accepted_case(desk)
    desk.record(assessed(other, "50.00"))
    number = fresh("R")

    outcomes = hall.billing.record_group(
        [[posted(paid(assessed_case, "10.00", number))], [posted(paid(other, "10.00", number))]]
    )

    assert [r.status for r in outcomes[0]] == ["recorded"]  # type: ignore[union-attr]
    assert isinstance(outcomes[1], Rejection) and outcomes[1].error.code == "receipt_exists"
    assert receipt(desk, number)["case_no"] == assessed_case
    assert desk.case(other)["fees"]["paid"] == "0.00"


def test_a_rejected_batch_leaves_its_receipt_number_free(
    desk: Desk, hall: Hall, assessed_case: str
) -> None:
    other = accepted_case(desk)
    desk.record(assessed(other, "50.00"))
    number = fresh("R")
    overpaid = paid(assessed_case, "500.00")

    outcomes = hall.billing.record_group(
        [
            [posted(paid(assessed_case, "10.00", number)), posted(overpaid)],
            [posted(paid(other, "10.00", number))],
        ]
    )

    assert isinstance(outcomes[0], Rejection) and outcomes[0].error.code == "overpayment"
    assert isinstance(outcomes[1], list) and isinstance(outcomes[1][0], Result)
    assert receipt(desk, number)["case_no"] == other
    assert desk.case(assessed_case)["fees"]["paid"] == "0.00"


def test_an_event_id_that_is_a_receipt_numbers_key_is_taken(
    desk: Desk, hall: Hall, assessed_case: str
) -> None:
    # Given receipt R paid; keys and event ids share one table
    number, other = fresh("R"), fresh("R")
    desk.record(paid(assessed_case, "10.00", number), by="CASHIER")
    key_of = {n: str(receipt_id(n)) for n in (number, other)}

    # When events come with the keys of receipt numbers as their ids: of a receipt paid
    # before, of the receipt the payment itself claims, of one claimed earlier in its batch
    stored = desk.post(paid(assessed_case, "1.00") | {"event_id": key_of[number]}, by="CASHIER")
    itself = desk.post(
        paid(assessed_case, "1.00", other) | {"event_id": key_of[other]}, by="CASHIER"
    )
    batch = [paid(assessed_case, "1.00", other), paid(assessed_case, "1.00")]
    batch[1]["event_id"] = key_of[other]
    in_batch = desk.post(*batch, by="CASHIER")

    # Then each is refused as a reused id (a 409, not a failed transaction), and nothing is paid
    error_of(stored, 409, "event_id_reused")
    error_of(itself, 409, "event_id_reused")
    error_of(in_batch, 409, "event_id_reused", event_index=1)
    assert desk.case(assessed_case)["fees"]["paid"] == "10.00"


def test_a_restarted_hall_remits_a_receipt_it_never_held(settings: Settings) -> None:
    # Given a receipt paid, then a restart: the new writer holds no account
    hall = Hall.start(settings, follow=False)
    with TestClient(create_app(hall=hall)) as client:
        desk = Desk(client).with_catalogue()
        case_no = accepted_case(desk)
        pay = paid(case_no, "80.00")
        desk.record(assessed(case_no, "80.00"), pay, by="CASHIER")
        cashier = desk.as_("CASHIER")
    hall.close()

    again = Hall.start(settings, follow=False)
    try:
        with TestClient(create_app(hall=again)) as client:
            desk = Desk(client)
            desk.tokens["CASHIER"] = cashier
            # When the bank remits it, and a refund after that is owed back
            desk.record(remitted([pay["receipt_no"]], "80.00"), by="CASHIER")
            desk.record(refunded(case_no, pay["receipt_no"], "5.00"), by="CASHIER")
            shown = receipt(desk, pay["receipt_no"])
    finally:
        again.close()

    assert shown["remittance"]["amount"] == "80.00"
    assert (shown["net"], shown["owed_back"]) == ("75.00", "5.00")


def _stamp(case_no: str) -> Stamp:
    at = datetime.fromisoformat(AT_NINE)
    return Stamp(uuid4(), at, datetime.now(UTC), "CASHIER", None, case_no)


def test_a_receipt_issued_with_its_payment_until_december_2026_still_answers(
    desk: Desk, hall: Hall
) -> None:
    # Given a payment stored as it was until December 2026: its receipt an aggregate from the
    # start, its number no key
    case_no, number = accepted_case(desk), fresh("R")
    stamp = _stamp(case_no)
    lines = [{"fee_code": "F1", "amount": "80.00"}]
    account = FeeAccount.open(case_no, "LAND", lines, stamp)
    account.pay(number, Decimal("80.00"), "cash", "8", _stamp(case_no))
    old = Receipt.of(account.payments[number])
    day, days = Day(MONDAY), OpenDays()
    day.paid(number)
    days.follow(day)
    hall.billing.save(account, old, day, days)
    assert hall.billing.recorder.select_known([receipt_id(number)], [])[0] == {}  # type: ignore[attr-defined]

    # When its number is paid again, then it is refunded and remitted
    reused = desk.post(paid(case_no, "1.00", number), by="CASHIER")
    desk.record(refunded(case_no, number, "30.00"), by="CASHIER")
    desk.record(remitted([number], "50.00"), by="CASHIER")

    # Then the number is taken, and its story goes on on the old receipt
    error_of(reused, 409, "receipt_exists")
    stored = [type(e).__name__ for e in hall.billing.events.get(receipt_id(number))]
    assert stored == ["Issued", "Refunded", "Remitted"]
    assert receipt(desk, number)["net"] == "50.00"
    assert [r["kind"] for r in ledger(desk)["rows"]] == ["paid", "refunded", "remitted"]
    assert hall.billing.find(OPEN_DAYS_ID, OpenDays).days == {}  # type: ignore[union-attr]
