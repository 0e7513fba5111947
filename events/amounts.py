"""Money in the contract: yuan as decimal strings with at most two decimals, never floats."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
# The same, minus every spelling of zero; JSON Schema patterns are ECMA-262, which has lookahead.
POSITIVE_AMOUNT_PATTERN = r"^(?!0+(\.0{1,2})?$)[0-9]{1,12}(\.[0-9]{1,2})?$"

# [0-9] rather than \d: \d also matches full-width and other Unicode digits.
_AMOUNT_RE = re.compile(AMOUNT_PATTERN)
_FEN = Decimal("0.01")
_LIMIT = Decimal(10) ** 12


def _bad(value: object, why: str) -> PydanticCustomError:
    # The value goes in through the context so that braces in it are never read as placeholders.
    shown = repr(value)[:40]
    return PydanticCustomError("bad_amount", "{why}, got {shown}", {"why": why, "shown": shown})


def parse_amount(value: object) -> Decimal:
    """Turn a contract amount ("80.00", "5", "0.5") into a Decimal with exactly two places."""
    # Decimals can only come from Python callers (JSON has none); they are held to the same rule.
    if isinstance(value, Decimal):
        if not value.is_finite() or value < 0 or value >= _LIMIT or value != value.quantize(_FEN):
            raise _bad(value, "not an amount in yuan with at most two decimals")
        return value.quantize(_FEN)
    if not isinstance(value, str):
        # A JSON number would go through binary floating point somewhere along the way.
        raise _bad(value, 'an amount must be a decimal string such as "80.00"')
    if _AMOUNT_RE.fullmatch(value) is None:
        raise _bad(value, "not an amount in yuan with at most two decimals")
    return Decimal(value).quantize(_FEN)


def parse_positive_amount(value: object) -> Decimal:
    """Like parse_amount, but zero is refused too: nobody pays, refunds or remits nothing."""
    amount = parse_amount(value)
    if amount == 0:
        raise _bad(value, "the amount must be greater than zero")
    return amount


def format_amount(value: Decimal) -> str:
    """Render an amount the way the contract writes it: two decimals, no exponent."""
    return f"{value.quantize(_FEN):f}"


_as_text = PlainSerializer(format_amount, return_type=str, when_used="json")

Amount = Annotated[
    Decimal,
    PlainValidator(parse_amount),
    _as_text,
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["80.00"]}),
]
"""A non-negative amount in yuan: a JSON string in, a two-place Decimal inside, "5.00" out."""

PositiveAmount = Annotated[
    Decimal,
    PlainValidator(parse_positive_amount),
    _as_text,
    WithJsonSchema({"type": "string", "pattern": POSITIVE_AMOUNT_PATTERN, "examples": ["80.00"]}),
]
"""An amount in yuan that must be greater than zero."""
