"""Fees: bypassing the hall's bank window, non-standard and undue fees, money held back, days
that don't reconcile.  Intake's and billing's events arrive on separate streams, in any order.

LAND-REG charges F1 登记费 80.00.  Mon 2026-11-02 is a working day, so is Tue 11-03.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hall.runtime import Hall
from tests.supervision.harness import Teller, Watch

LINE = [{"fee_code": "F1", "amount": "80.00"}]


@pytest.fixture(autouse=True)
def billing(hall: Hall) -> None:
    if getattr(hall, "billing", None) is None:
        pytest.skip("billing is not part of this hall yet")


def at(day: str, clock: str = "09:00:00") -> str:
    return f"2026-11-{day}T{clock}+08:00"


def assessed_case(teller: Teller, case_no: str, lines: list[dict[str, str]] = LINE) -> None:
    teller.accept(case_no)
    teller.post(teller.event("fee.assessed", case_no, lines=lines))


def pay(teller: Teller, case_no: str, when: str | None = None, **fields: Any) -> str:
    receipt_no = f"R-{case_no}"
    body = {"receipt_no": receipt_no, "amount": "80.00", **fields}
    if when is not None:
        body["occurred_at"] = when
    teller.money("fee.paid", case_no, **body)
    return receipt_no


def test_a_fee_item_completed_with_no_payment_is_a_fee_bypass_once_billing_had_time(
    teller: Teller, watch: Watch
) -> None:
    # Given a case assessed 80.00 and completed at 10:00 with nothing paid, and one paid first
    teller.at(at("02"))
    assessed_case(teller, "FB-1")
    assessed_case(teller, "FB-PAID")
    teller.at(at("02", "09:30:00"))
    pay(teller, "FB-PAID")
    teller.at(at("02", "10:00:00"))
    teller.tell("case.completed", "FB-1", location="hall")
    teller.tell("case.completed", "FB-PAID", location="hall")

    # Then supervision waits two hours for billing's events, then flags the unpaid one
    assert watch.run(at("02", "11:59:00")).subjects("fee_bypass") == []
    assert watch.run(at("02", "12:01:00")).subjects("fee_bypass") == ["FB-1"]


def test_a_payment_that_occurred_before_completion_but_arrived_after_closes_the_fee_bypass(
    teller: Teller, watch: Watch
) -> None:
    # Given completions recorded at 10:00 and flagged at noon
    teller.at(at("02"))
    for case_no in ("OO-LATE", "OO-SOON", "OO-AFTER"):
        assessed_case(teller, case_no)
    teller.at(at("02", "10:00:00"))
    for case_no in ("OO-LATE", "OO-SOON", "OO-AFTER"):
        teller.tell("case.completed", case_no, location="hall")
    # and the bank window's payment of 09:30 reaching billing at 11:00 for one case
    teller.at(at("02", "11:00:00"))
    pay(teller, "OO-SOON", when=at("02", "09:30:00"))
    watch.run(at("02", "12:30:00"))
    assert watch.subjects("fee_bypass") == ["OO-AFTER", "OO-LATE"]

    # When the other 09:30 payment only arrives at 13:00, and one paid after completion
    teller.at(at("02", "13:00:00"))
    pay(teller, "OO-LATE", when=at("02", "09:30:00"))
    pay(teller, "OO-AFTER", when=at("02", "10:30:00"))
    watch.run()

    # Then no fee bypass stays open for a case paid before its completion
    assert watch.subjects("fee_bypass") == ["OO-AFTER"]
    (closed,) = [f for f in watch.flags("fee_bypass") if f["status"] == "closed"]
    assert closed["subject"]["id"] == "OO-LATE" and closed["closed"]["automatic"]
    assert all(f["subject"]["id"] != "OO-SOON" for f in watch.flags("fee_bypass"))


def test_an_assessment_off_the_item_fee_list_is_non_standard(teller: Teller, watch: Watch) -> None:
    teller.at(at("02"))
    assessed_case(teller, "NS-AMOUNT", [{"fee_code": "F1", "amount": "90.00"}])
    assessed_case(
        teller,
        "NS-CODE",
        [{"fee_code": "F1", "amount": "80.00"}, {"fee_code": "F9", "amount": "5"}],
    )
    assessed_case(teller, "NS-OK")

    watch.run()

    assert all(f["evidence"] == [f["detail"]["slot"]] for f in watch.open("non_standard_fee"))
    flagged = {f["subject"]["id"]: f["detail"]["fees"] for f in watch.open("non_standard_fee")}
    assert flagged == {"NS-AMOUNT": "F1", "NS-CODE": "F9"}


def test_money_taken_on_a_refused_case_is_flagged_until_refunded(
    teller: Teller, watch: Watch
) -> None:
    # Given a refused case that is then assessed and paid, and an ordinary paid case
    teller.at(at("02"))
    teller.tell("case.received", "FR-1")
    teller.tell("case.refused", "FR-1")
    teller.post(teller.event("fee.assessed", "FR-1", lines=LINE))
    receipt = pay(teller, "FR-1")
    assessed_case(teller, "FR-OK")
    pay(teller, "FR-OK")
    watch.run()
    assert watch.subjects("fee_on_refused") == ["FR-1/assessed", "FR-1/paid"]

    # When the money is refunded
    teller.at(at("02", "11:00:00"))
    teller.money("fee.refunded", "FR-1", receipt_no=receipt, amount="80.00", reason="不予受理退费")
    watch.run()

    # Then the money is no longer held, but the undue assessment stays on record
    assert watch.subjects("fee_on_refused") == ["FR-1/assessed"]


def test_a_payment_not_remitted_by_four_the_next_working_day_is_unremitted(
    teller: Teller, watch: Watch
) -> None:
    # Given two payments on Monday; one remitted on Tuesday morning
    teller.at(at("02"))
    assessed_case(teller, "UR-1")
    assessed_case(teller, "UR-2")
    teller.at(at("02", "09:30:00"))
    late, prompt = pay(teller, "UR-1"), pay(teller, "UR-2")
    teller.at(at("03", "10:00:00"))
    teller.money("remittance.made", "", batch_no="RB-1", receipts=[prompt], amount="80.00")

    assert watch.run(at("03", "15:59:00")).subjects("unremitted_fee") == []
    assert watch.run(at("03", "16:01:00")).subjects("unremitted_fee") == [late]
    (flag,) = watch.open("unremitted_fee")
    assert flag["subject"]["kind"] == "receipt" and flag["department"] == "LAND"
    assert flag["detail"]["deadline"] == "2026-11-03T16:00:00+08:00"

    # When it is remitted on Wednesday, the finding closes
    teller.at(at("04"))
    teller.money("remittance.made", "", batch_no="RB-2", receipts=[late], amount="80.00")
    assert watch.run().subjects("unremitted_fee") == []


def test_a_day_whose_bank_statement_differs_is_a_reconciliation_gap_until_it_matches(
    teller: Teller, watch: Watch
) -> None:
    # Given a payment of 80.00 on Monday that the bank's statement shows as 70.00
    teller.at(at("02"))
    assessed_case(teller, "RC-1")
    receipt = pay(teller, "RC-1", when=at("02", "09:30:00"))
    statement(teller, f"2026-11-02,B-1,{receipt},70.00,paid")
    watch.run(after_now())  # billing stamps reconciliations with the real clock
    (flag,) = watch.open("reconciliation_gap")
    assert flag["subject"] == {"kind": "receipt", "id": receipt}
    assert (flag["detail"]["category"], flag["detail"]["day"]) == ("differences", "2026-11-02")

    # When the bank sends a corrected statement for that day
    statement(teller, f"2026-11-02,B-1,{receipt},80.00,paid")
    watch.run(after_now())

    assert watch.open("reconciliation_gap") == []


def after_now() -> str:
    return (datetime.now(UTC) + timedelta(minutes=1)).isoformat()


def statement(teller: Teller, *lines: str) -> None:
    text = "date,bank_ref,receipt_no,amount,kind\n" + "".join(f"{line}\n" for line in lines)
    desk = teller.desk
    response = desk.client.post(
        "/v1/billing/statements", json={"csv": text}, headers=desk.as_("CASHIER")
    )
    assert response.status_code == 200, response.text
