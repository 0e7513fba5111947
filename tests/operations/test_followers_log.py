"""The followers' billing log leaves out what only billing reads, and still reaches the head."""

from __future__ import annotations

from hall.followers import billing_log
from hall.runtime import Hall
from tests.billing.money import accepted_case, assessed, paid
from tests.support import Desk

INTERNAL = ("billing.receipt.", "billing.day.", "billing.opendays.")


def test_the_followers_log_passes_over_receipts_and_indexes_but_ends_at_the_head(
    desk: Desk, hall: Hall
) -> None:
    for _ in range(3):
        case_no = accepted_case(desk)
        desk.record(assessed(case_no, "80.00"), paid(case_no, "80.00"), by="CASHIER")
    everything = billing_log(hall.billing)
    followed = billing_log(hall.billing, internal=False)
    head = everything.head("billing")

    full = everything.read("billing", 0, 1000)
    lean = followed.read("billing", 0, 1000)

    assert any(m.type.startswith(INTERNAL) for m in full)
    assert [m.type for m in lean[:-1] if m.type.startswith(INTERNAL)] == []
    assert [m for m in full if not m.type.startswith(INTERNAL)] == [
        m for m in lean if not m.type.startswith(INTERNAL)
    ]
    assert lean[-1].position == head  # the newest event comes back whatever it is


def test_a_reader_of_small_batches_reaches_the_head(desk: Desk, hall: Hall) -> None:
    case_no = accepted_case(desk)
    desk.record(assessed(case_no, "80.00"), paid(case_no, "80.00"), by="CASHIER")
    followed = billing_log(hall.billing, internal=False)
    head = followed.head("billing")

    position = 0
    while position < head:  # as a projector does: on from the last event it was given
        batch = followed.read("billing", position, 2)
        assert batch, f"nothing after {position}, before the head {head}"
        position = batch[-1].position

    assert followed.read("billing", position, 2) == []
