"""The bank's daily statement: a CSV file, one money movement per line.

Format (UTF-8, a byte-order mark is tolerated), five columns in this order:

``date``
    the China date of the movement, ``YYYY-MM-DD``;
``bank_ref``
    the bank's own reference of the movement (kept in the result, for tracing);
``receipt_no``
    the hall receipt the money moved against;
``amount``
    yuan, greater than zero, at most two decimals (``80.00``, ``5``);
``kind``
    ``paid`` (the applicant paid at the bank window), ``refunded`` (money went back to the
    applicant against the receipt) or ``remitted`` (the bank passed the receipt's net amount
    on to the treasury / fiscal / department account).

A first line naming the columns (``date,bank_ref,receipt_no,amount,kind``) is optional; blank
lines are skipped.  One file may cover several days: each day is reconciled on its own, and each
day's lines are digested so that importing the same statement again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from events.amounts import parse_positive_amount

COLUMNS = ("date", "bank_ref", "receipt_no", "amount", "kind")
KINDS = ("paid", "refunded", "remitted")
MAX_LINES = 100_000
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CODE = re.compile(r"^\S{1,64}$")


class BadStatement(ValueError):
    """The statement cannot be read; the message names the line."""


@dataclass(frozen=True)
class StatementLine:
    """One movement as the bank reports it."""

    day: date
    bank_ref: str
    receipt_no: str
    amount: Decimal
    kind: str

    def canonical(self) -> str:
        return "|".join(
            (self.day.isoformat(), self.bank_ref, self.receipt_no, f"{self.amount:f}", self.kind)
        )


def parse_statement(text: str) -> dict[date, list[StatementLine]]:
    """The statement's lines grouped by day, in file order; BadStatement names what is wrong."""
    days: dict[date, list[StatementLine]] = {}
    count = 0
    try:
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    except csv.Error as error:
        raise BadStatement(f"not CSV: {error}") from None
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if count == 0 and [c.lower() for c in cells] == list(COLUMNS):
            count = -1  # the header: at most once, and only first
            continue
        line = _line(number, cells)
        days.setdefault(line.day, []).append(line)
        count = max(count, 0) + 1
        if count > MAX_LINES:
            raise BadStatement(f"a statement holds at most {MAX_LINES} lines")
    if not days:
        raise BadStatement("the statement holds no lines")
    return days


def _line(number: int, cells: list[str]) -> StatementLine:
    if len(cells) != len(COLUMNS):
        raise BadStatement(f"line {number}: expected {len(COLUMNS)} columns {COLUMNS}")
    day, bank_ref, receipt_no, amount, kind = cells
    if _DATE.fullmatch(day) is None:
        raise BadStatement(f"line {number}: date must be YYYY-MM-DD, got {day[:20]!r}")
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise BadStatement(f"line {number}: no such date {day!r}") from None
    for name, value in (("bank_ref", bank_ref), ("receipt_no", receipt_no)):
        if _CODE.fullmatch(value) is None:
            raise BadStatement(f"line {number}: {name} must be 1-64 characters without spaces")
    try:
        money = parse_positive_amount(amount)
    except ValueError:
        raise BadStatement(
            f"line {number}: amount must be yuan above zero with at most two decimals, "
            f"got {amount[:20]!r}"
        ) from None
    if kind not in KINDS:
        raise BadStatement(f"line {number}: kind must be one of {', '.join(KINDS)}")
    return StatementLine(when, bank_ref, receipt_no, money, kind)


def digest(lines: list[StatementLine]) -> str:
    """The same lines in any order, amounts written any way, give the same digest."""
    text = "\n".join(sorted(line.canonical() for line in lines))
    return hashlib.sha256(text.encode()).hexdigest()
