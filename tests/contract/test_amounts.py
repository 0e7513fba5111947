"""Amounts are decimal strings in yuan with at most two decimals; anything else is a bad_amount."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from events import FeePaid, format_amount, parse_amount, parse_event

from .conftest import rejection
from .examples import example


@pytest.mark.parametrize(
    ("text", "value"),
    [("80.00", "80.00"), ("5", "5.00"), ("0.01", "0.01"), ("0.5", "0.50"), ("2129238.45", None)],
)
def test_well_formed_amounts_are_exact(text: str, value: str | None, now: datetime) -> None:
    event = parse_event(example("fee.paid", amount=text), now=now)
    assert isinstance(event, FeePaid)
    assert event.amount == Decimal(text)
    assert event.model_dump(mode="json")["amount"] == (value or text)


@pytest.mark.parametrize(
    "bad",
    ["12.345", "-1", "1e3", "abc", "", " 5", "5.", ".5", "1,000.00", "５", 80, 80.5, True, None],
)
def test_anything_else_is_a_bad_amount(bad: object) -> None:
    error = rejection(example("fee.paid", amount=bad))
    assert (error.code, error.field) == ("bad_amount", "amount")


@pytest.mark.parametrize("type_", ["fee.paid", "fee.refunded", "remittance.made"])
def test_nobody_pays_refunds_or_remits_zero(type_: str) -> None:
    for zero in ("0", "0.00", "000.0"):
        assert rejection(example(type_, amount=zero)).code == "bad_amount"


def test_an_assessed_fee_line_of_zero_is_a_bad_amount() -> None:
    error = rejection(example("fee.assessed", lines=[{"fee_code": "F1", "amount": "0.00"}]))
    assert (error.code, error.field) == ("bad_amount", "lines[0].amount")


def test_an_amount_serialises_back_with_two_decimals(now: datetime) -> None:
    event = parse_event(example("fee.refunded", amount="5"), now=now)
    assert event.model_dump_json().count('"amount":"5.00"') == 1


def test_the_largest_amount_has_twelve_integer_digits() -> None:
    assert format_amount(parse_amount("999999999999.99")) == "999999999999.99"
    with pytest.raises(ValueError, match="two decimals"):
        parse_amount("1000000000000")


def test_python_callers_may_pass_exact_decimals_but_not_floats(now: datetime) -> None:
    event = parse_event(example("fee.paid"), now=now)
    assert isinstance(event, FeePaid)
    assert FeePaid.model_validate({**event.model_dump(), "amount": Decimal("7.5")}).amount == (
        Decimal("7.50")
    )
    for bad in (Decimal("7.555"), Decimal("NaN"), Decimal("-1")):
        assert rejection(example("fee.paid", amount=bad)).code == "bad_amount"
