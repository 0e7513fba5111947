"""The one translation point: a posted money event is stored and read back as the same event."""

from __future__ import annotations

from typing import Any

from events import canonical_json, parse_event
from hall.runtime import Hall
from services.billing.domainmodel import account_id, receipt_id, remittance_id
from services.billing.translate import contract_type, is_contract_event, to_contract
from tests.billing.money import accepted_case, assessed, paid, refunded, remitted
from tests.support import Desk


def test_each_recording_event_translates_back_to_what_was_posted(desk: Desk, hall: Hall) -> None:
    # Given one event of each money type, posted by the cashier
    case_no = accepted_case(desk)
    pay = paid(case_no, "80") | {"method": "cash", "staff_id": None}
    posted = [
        assessed(case_no, "50.5", "29.50"),
        pay,
        refunded(case_no, pay["receipt_no"], "0.5"),
        remitted([pay["receipt_no"]], "79.50"),
    ]
    desk.record(*posted, by="CASHIER")

    # When the stored events that record them are read back through the translation
    stored = [*hall.billing.events.get(account_id(case_no))]
    stored += [*hall.billing.events.get(remittance_id(posted[-1]["batch_no"]))]
    recording = [e for e in stored if is_contract_event(e)]

    # Then they are the posted events, in order and to the letter (amounts normalised)
    assert [_canonical(to_contract(e)) for e in recording] == [_canonical(p) for p in posted]


def test_bookkeeping_events_have_internal_type_names(desk: Desk, hall: Hall) -> None:
    case_no = accepted_case(desk)
    pay = paid(case_no, "80.00")
    desk.record(assessed(case_no, "80.00"), pay, by="CASHIER")
    desk.record(refunded(case_no, pay["receipt_no"], "1.00"), by="CASHIER")

    account = [contract_type(e) for e in hall.billing.events.get(account_id(case_no))]
    receipt = [contract_type(e) for e in hall.billing.events.get(receipt_id(pay["receipt_no"]))]

    # the first assessment opened the account
    assert account == ["fee.assessed", "fee.paid", "fee.refunded"]
    # the refund created the receipt, issued as it was paid
    assert receipt == ["billing.receipt.issued", "billing.receipt.refunded"]


def _canonical(body: dict[str, Any]) -> str:
    return canonical_json(parse_event(body))
