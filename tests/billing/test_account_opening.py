"""A case's first assessment opens its fee account in one stored event; accounts opened the
old way (an empty opening, then the assessment) read, pay and follow as before."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from hall.followers import billing_log
from hall.runtime import Hall
from projections.completion import Completion
from projections.fee_ledger import FeeLedger
from projections.sources import Message
from services.billing.domainmodel import FeeAccount, account_id
from services.billing.translate import contract_type
from services.stamp import Stamp
from tests.billing.money import MONDAY, accepted_case, assessed, paid
from tests.billing.money import at as on
from tests.projections.harness import completion, followers
from tests.support import Desk


def test_the_first_assessment_opens_the_account_in_one_event(desk: Desk, hall: Hall) -> None:
    # Given a case assessed twice, then paid
    case_no = accepted_case(desk)
    first, second = assessed(case_no, "30.00", "20.00"), assessed(case_no, "5.00")
    desk.record(first, by="CASHIER")
    desk.record(second, paid(case_no, "55.00"), by="CASHIER")

    # Then its account holds three events: the first assessment opened it
    events = list(hall.billing.events.get(account_id(case_no)))
    assert [type(e).__name__ for e in events] == ["Opened", "Assessed", "Paid"]
    assert [contract_type(e) for e in events] == ["fee.assessed", "fee.assessed", "fee.paid"]
    assert hall.billing.fees_of(case_no) == {
        "assessed": Decimal("55.00"), "paid": Decimal("55.00"), "refunded": Decimal("0.00"),
    }  # fmt: skip

    # And billing's log gives the opening as the posted assessment, with the account's
    # department beside it (for the fee ledger); a later assessment has no department
    logged = [m for m in _log(hall) if m.body.get("case_no") == case_no]
    assert [(m.type, m.body.get("department")) for m in logged] == [
        ("fee.assessed", "LAND"), ("fee.assessed", None), ("fee.paid", None),
    ]  # fmt: skip
    assert str(logged[0].body["event_id"]) == first["event_id"]
    assert logged[0].body["lines"] == [
        {"fee_code": "F1", "amount": Decimal("30.00")},
        {"fee_code": "F2", "amount": Decimal("20.00")},
    ]


def test_an_account_opened_the_old_way_pays_and_counts_as_before(desk: Desk, hall: Hall) -> None:
    # Given an account stored as until December 2026: opened empty, then assessed
    case_no = accepted_case(desk)
    _store_old_account(hall, case_no, "LAND", "80.00")

    # When it is paid through the API
    desk.record(paid(case_no, "80.00", when=on(MONDAY)), by="CASHIER")

    # Then its totals, its events' types and the fee ledger's department are as before
    assert hall.billing.fees_of(case_no)["paid"] == Decimal("80.00")
    events = list(hall.billing.events.get(account_id(case_no)))
    assert [contract_type(e) for e in events] == [
        "billing.feeaccount.opened", "fee.assessed", "fee.paid",
    ]  # fmt: skip
    f = followers(hall, Completion, FeeLedger)
    f.catch_up()
    report = completion(f, MONDAY, MONDAY, group_by="department")
    f.stop()
    assert report["fees"]["collected"] == "80.00"
    assert [r["key"] for r in report["rows"]] == ["LAND"]


def _store_old_account(hall: Hall, case_no: str, department: str, amount: str) -> None:
    now = datetime.now(UTC)
    stamp = Stamp(uuid4(), now, now, "CASHIER", None, case_no)
    account = FeeAccount(case_no, department)
    account.assess([{"fee_code": "F1", "amount": amount}], stamp)
    opening, assessment = account.collect_events()
    mapper = hall.billing.mapper
    # The opening's state as it was stored: no lines, no stamp, no class version.
    state = {
        k: v
        for k, v in vars(opening).items()
        if k not in {"originator_id", "originator_version", "lines", "stamp"}
    }
    assert mapper.cipher is not None
    old = StoredEvent(
        originator_id=opening.originator_id,
        originator_version=opening.originator_version,
        topic=mapper.to_stored_event(opening).topic,
        state=mapper.cipher.encrypt(mapper.transcoder.encode(state)),
    )
    hall.billing.recorder.insert_events([old, mapper.to_stored_event(assessment)])


def _log(hall: Hall) -> list[Message]:
    return billing_log(hall.billing, internal=False).read("billing", 0, 1000)
