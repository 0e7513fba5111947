"""Money is exact: random fen amounts, assessed and paid in random parts, add up to the fen."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.billing.money import MONDAY, accepted_case, assessed, ledger, paid, receipt
from tests.support import Desk

FEN = Decimal("0.01")
_cases = itertools.count(1)

# up to six fee lines of 0.01 to 99,999.99 yuan, and cut points splitting the total into payments
fen_amounts = st.lists(st.integers(min_value=1, max_value=9_999_999), min_size=1, max_size=6)
cuts = st.lists(st.floats(min_value=0, max_value=1), max_size=4)


def yuan(fen: int) -> str:
    return f"{Decimal(fen) * FEN:f}"


def split(total: int, fractions: list[float]) -> list[int]:
    """Cut ``total`` fen into positive parts at the given fractions (duplicates dropped)."""
    points = sorted({round(total * f) for f in fractions} - {0, total})
    edges = [0, *points, total]
    return [b - a for a, b in itertools.pairwise(edges)]


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=fen_amounts, fractions=cuts, as_batch=st.booleans())
def test_every_total_is_the_exact_sum_of_what_was_posted(
    desk: Desk, lines: list[int], fractions: list[float], as_batch: bool
) -> None:
    # Given a fresh case, assessed random fen amounts
    case_no = accepted_case(desk, f"2026-P{next(_cases):05d}")
    desk.record(assessed(case_no, *[yuan(f) for f in lines]), by="W-12")
    day_before = Decimal(ledger(desk)["totals"]["paid"])

    # When the total is paid in random parts, as one batch or one by one
    parts = split(sum(lines), fractions)
    payments = [paid(case_no, yuan(p)) for p in parts]
    if as_batch:
        desk.record(*payments, by="CASHIER")
    else:
        for payment in payments:
            desk.record(payment, by="CASHIER")

    # Then every total is the exact Decimal sum, nothing more is due, and the day adds up
    expected = sum((Decimal(f) * FEN for f in lines), Decimal("0.00"))
    assert desk.case(case_no)["fees"] == {
        "assessed": f"{expected:f}",
        "paid": f"{expected:f}",
        "refunded": "0.00",
    }
    shown = [Decimal(receipt(desk, p["receipt_no"])["amount"]) for p in payments]
    assert shown == [Decimal(p) * FEN for p in parts]
    assert Decimal(ledger(desk, MONDAY)["totals"]["paid"]) == day_before + expected
    assert desk.post(paid(case_no, "0.01"), by="CASHIER").json()["error"]["code"] == "overpayment"
