"""Concurrent requests share one transaction; a rejected one leaves the others' money intact."""

from __future__ import annotations

from typing import Any

import pytest

from events import content_digest, parse_event
from hall.runtime import Hall
from services.ingest import Actor, Posted, Rejection
from tests.billing.money import accepted_case, assessed, paid, receipt
from tests.support import Desk

CASHIER = Actor("CASHIER", "cashier")


def posted(body: dict[str, Any]) -> Posted:
    event = parse_event(body)
    return Posted(event, content_digest(event), CASHIER)


def test_one_rejected_batch_in_a_group_leaves_the_batches_around_it_recorded(
    desk: Desk, hall: Hall
) -> None:
    # Given a case assessed 80.00
    case_no = accepted_case(desk)
    desk.record(assessed(case_no, "80.00"))
    first, second, third = paid(case_no, "50.00"), paid(case_no, "30.00"), paid(case_no, "30.00")

    # When three requests are committed together: 50.00; 30.00 + an overpayment; 30.00
    outcomes = hall.billing.record_group(
        [
            [posted(first)],
            [posted(second), posted(paid(case_no, "0.01"))],
            [posted(third)],
        ]
    )

    # Then the middle one is rejected whole, and the others are recorded
    assert isinstance(outcomes[1], Rejection) and outcomes[1].error.code == "overpayment"
    assert [r.status for r in outcomes[0] + outcomes[2]] == ["recorded", "recorded"]  # type: ignore[operator]
    assert desk.case(case_no)["fees"]["paid"] == "80.00"
    assert receipt(desk, third["receipt_no"])["amount"] == "30.00"
    missing = desk.client.get(
        f"/v1/billing/receipts/{second['receipt_no']}", headers=desk.as_("CASHIER")
    )
    assert missing.status_code == 404


def test_a_group_of_payments_reads_nothing_one_aggregate_at_a_time(
    desk: Desk, hall: Hall, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two cases assessed, and a payment that the writer holds the day of
    cases = [accepted_case(desk), accepted_case(desk)]
    desk.record(*[assessed(case_no, "80.00") for case_no in cases], by="CASHIER")
    desk.record(paid(cases[0], "30.00"), by="CASHIER")
    recorder = hall.billing.recorder
    reads = []
    select_events = recorder.select_events

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args or kwargs)
        return select_events(*args, **kwargs)

    # When both are paid in one group
    monkeypatch.setattr(recorder, "select_events", counted)
    outcomes = hall.billing.record_group([[posted(paid(n, "50.00"))] for n in cases])
    monkeypatch.undo()

    # Then the accounts and the day came from the writer's copies, which the group's first
    # query found current: no read per aggregate (a repository that fast-forwards makes one)
    assert all(not isinstance(o, Rejection) for o in outcomes)
    assert reads == []
    assert [desk.case(n)["fees"]["paid"] for n in cases] == ["80.00", "50.00"]
