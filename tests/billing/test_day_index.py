"""A day's index of receipts: the payments of one request, and of the requests committed
together, are one stored event; a day indexed one receipt per event, as until December 2026,
still reads as before."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.application import Application

from hall.runtime import Hall
from services.billing.indexes import Day, day_id, receipts_of_day
from services.ingest import Rejection, read_many
from tests.billing.money import MONDAY, accepted_case, assessed, ledger, paid, remitted, unremitted
from tests.billing.test_group_commit import posted
from tests.support import Desk


def day_events(hall: Hall, day: str = MONDAY) -> list[Any]:
    return list(hall.billing.events.get(day_id(date.fromisoformat(day))))


def test_the_payments_of_one_request_are_one_day_event(desk: Desk, hall: Hall) -> None:
    # Given three cases assessed
    cases = [accepted_case(desk) for _ in range(3)]
    desk.record(*[assessed(case_no, "10.00") for case_no in cases], by="CASHIER")

    # When the cashier posts their payments as one batch, and then one more payment alone
    payments = [paid(case_no, "10.00") for case_no in cases]
    desk.record(*payments[:2], by="CASHIER")
    desk.record(payments[2], by="CASHIER")

    # Then the day holds one event per request, naming its receipts in order
    paid_events = [e for e in day_events(hall) if isinstance(e, Day.PaidReceipts)]  # type: ignore[attr-defined]
    receipts = [p["receipt_no"] for p in payments]
    assert [e.receipt_nos for e in paid_events] == [receipts[:2], receipts[2:]]
    # and every receipt is in the cash book and awaits remittance
    assert [row["receipt_no"] for row in ledger(desk)["rows"]] == receipts
    waiting = unremitted(desk, "2026-03-10T09:00:00+08:00")
    assert sorted(r["receipt_no"] for r in waiting["receipts"]) == sorted(receipts)

    # And once all are remitted, the day has none awaiting
    desk.record(remitted(receipts, "30.00"), by="CASHIER")
    assert unremitted(desk, "2026-03-10T09:00:00+08:00")["receipts"] == []


def test_a_day_indexed_one_receipt_per_event_reads_as_before() -> None:
    day = Day(MONDAY)
    day._paid("R-1")  # as every payment was stored until December 2026
    day._paid("R-2")
    day.settle("R-1")
    events = day.collect_events()
    assert [type(e).__name__ for e in events] == ["Started", "Paid", "Paid", "Settled"]

    app: Application[Any] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.events.put(events)
    again = app.repository.get(day.id)

    assert isinstance(again, Day) and again.awaiting == 1
    assert receipts_of_day(app.events.get(day.id)) == (["R-1", "R-2"], ["R-2"])


def test_receipts_paid_in_a_row_are_one_event_until_something_else_is_recorded() -> None:
    day = Day(MONDAY)
    day.paid("R-1")
    day.paid("R-2")
    day.moved("R-0")
    day.paid("R-3")
    events = day.collect_events()

    assert [type(e).__name__ for e in events] == [
        "Started",
        "PaidReceipts",
        "Moved",
        "PaidReceipts",
    ]
    assert day.awaiting == 3
    app: Application[Any] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.events.put(events)
    again = app.repository.get(day.id)
    assert isinstance(again, Day) and again.awaiting == 3
    assert receipts_of_day(events) == (["R-1", "R-2", "R-0", "R-3"], ["R-1", "R-2", "R-3"])


def test_a_rejected_request_leaves_nothing_in_the_day_index(desk: Desk, hall: Hall) -> None:
    # Given three cases assessed 10.00 each
    cases = [accepted_case(desk) for _ in range(3)]
    desk.record(*[assessed(case_no, "10.00") for case_no in cases], by="CASHIER")
    first, third = paid(cases[0], "10.00"), paid(cases[2], "10.00")
    refused = [paid(cases[1], "10.00"), paid(cases[1], "0.01")]  # the second overpays

    # When three requests are decided together and the middle one is refused
    outcomes = hall.billing.record_group(
        [[posted(first)], [*map(posted, refused)], [posted(third)]]
    )

    # Then the day names the receipts of the other two, in one event, and nothing else
    assert isinstance(outcomes[1], Rejection)
    paid_events = [e for e in day_events(hall) if isinstance(e, Day.PaidReceipts)]  # type: ignore[attr-defined]
    assert [e.receipt_nos for e in paid_events] == [[first["receipt_no"], third["receipt_no"]]]
    rows = ledger(desk)["rows"]
    assert [row["receipt_no"] for row in rows] == [first["receipt_no"], third["receipt_no"]]


def test_the_payments_of_requests_committed_together_are_one_day_event(
    desk: Desk, hall: Hall
) -> None:
    # Given four cases assessed, and the day's first payment recorded
    cases = [accepted_case(desk) for _ in range(4)]
    desk.record(*[assessed(case_no, "10.00") for case_no in cases], by="CASHIER")
    payments = [paid(case_no, "10.00") for case_no in cases]
    desk.record(payments[0], by="CASHIER")

    # When three single-payment requests are committed together
    outcomes = hall.billing.record_group([[posted(p)] for p in payments[1:]])

    # Then the day stores one event naming their receipts in order
    assert not any(isinstance(o, Rejection) for o in outcomes)
    paid_events = [e for e in day_events(hall) if isinstance(e, Day.PaidReceipts)]  # type: ignore[attr-defined]
    receipts = [p["receipt_no"] for p in payments]
    assert [e.receipt_nos for e in paid_events] == [receipts[:1], receipts[1:]]
    # and the writer's copy of the day is the stored one: same version, same count awaiting
    the_day = day_id(date.fromisoformat(MONDAY))
    stored = read_many(hall.billing, [the_day])[the_day]
    cached = hall.billing.repository.cache.get(the_day)  # type: ignore[union-attr]
    assert (
        (cached.version, cached.awaiting)
        == (stored.version, stored.awaiting)
        == (
            paid_events[-1].originator_version,
            4,
        )
    )
    # so the next request finds it current, and every receipt awaits remittance
    hall.billing.written_elsewhere = False
    desk.record(remitted(receipts[:2], "20.00"), by="CASHIER")
    assert not hall.billing.written_elsewhere
    waiting = unremitted(desk, "2026-03-10T09:00:00+08:00")
    assert sorted(r["receipt_no"] for r in waiting["receipts"]) == sorted(receipts[2:])
