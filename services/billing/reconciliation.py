"""Daily reconciliation (对账): the hall's movements of a day against the bank's statement.

Both sides are reduced to (receipt number, kind) pairs with the day's summed amount (``kind`` is
paid, refunded or remitted; the statement format is in ``services.billing.statement``).  A pair
on both sides with the same amount is *matched*; on both sides with other amounts it is an
*amount difference*; only in the hall it is *missing at the bank*; only at the bank it is
*missing in the hall*.  Refunds of receipts already remitted are listed as *owed back*: the
treasury owes that money back to the bank window.

The result is an event of the day's ``Statement`` aggregate.  Importing the same statement
again (same digest) records nothing; a different statement for that day records a new
reconciliation that supersedes the earlier one, which stays in the history.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from events.amounts import format_amount
from services.billing.clock import CHINA
from services.billing.domainmodel import BILLING_NAMESPACE, ZERO
from services.billing.statement import KINDS, StatementLine
from services.billing.views import Movement
from services.flatstate import FlatState
from services.nameids import name_uuid

Pair = tuple[str, str]  # (receipt number, kind)


def statement_id(day: date) -> UUID:
    return name_uuid(BILLING_NAMESPACE, f"statement:{day.isoformat()}")


class Statement(FlatState, Aggregate):
    """The reconciliations of one China date, the latest one in force."""

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(day: str, **_: Any) -> UUID:
        return statement_id(date.fromisoformat(day))

    @event("Opened")
    def __init__(self, day: str) -> None:
        self.day = day
        self.digest: str | None = None

    def reconcile(self, digest: str, result: dict[str, Any], imported_by: str) -> bool:
        """Record the result of a statement; the statement already in force records nothing."""
        if digest == self.digest:
            return False
        self._reconciled(digest, result, imported_by)
        return True

    @event("Reconciled")
    def _reconciled(self, digest: str, result: dict[str, Any], imported_by: str) -> None:
        self.digest = digest


def match(hall: list[Movement], bank: list[StatementLine]) -> dict[str, Any]:
    """Compare one day's movements in the hall with the bank's lines for that day."""
    ours = _sums((m.receipt_no, m.kind, m.amount) for m in hall)
    theirs = _sums((line.receipt_no, line.kind, line.amount) for line in bank)
    refs: dict[Pair, list[str]] = {}
    for line in bank:
        refs.setdefault((line.receipt_no, line.kind), []).append(line.bank_ref)
    result: dict[str, Any] = {"matched": [], "differences": [], "missing_at_bank": []}
    for pair in sorted(ours):
        receipt_no, kind = pair
        row: dict[str, Any] = {"receipt_no": receipt_no, "kind": kind}
        if pair not in theirs:
            result["missing_at_bank"].append(row | {"amount": ours[pair]})
        elif ours[pair] == theirs[pair]:
            result["matched"].append(row | {"amount": ours[pair], "bank_refs": refs[pair]})
        else:
            result["differences"].append(
                row
                | {"hall_amount": ours[pair], "bank_amount": theirs[pair], "bank_refs": refs[pair]}
            )
    result["missing_in_hall"] = [
        {"receipt_no": r, "kind": k, "amount": theirs[(r, k)], "bank_refs": refs[(r, k)]}
        for r, k in sorted(set(theirs) - set(ours))
    ]
    result["owed_back"] = [
        {"receipt_no": m.receipt_no, "amount": m.owed_back, "event_id": str(m.event_id)}
        for m in hall
        if m.owed_back > ZERO
    ]
    result["totals"] = {
        "hall": {k: sum((m.amount for m in hall if m.kind == k), ZERO) for k in KINDS},
        "bank": {k: sum((b.amount for b in bank if b.kind == k), ZERO) for k in KINDS},
    }
    result["balanced"] = not (
        result["differences"] or result["missing_at_bank"] or result["missing_in_hall"]
    )
    result["lines"] = len(bank)
    return result


def _sums(items: Any) -> dict[Pair, Decimal]:
    sums: dict[Pair, Decimal] = {}
    for receipt_no, kind, amount in items:
        sums[(receipt_no, kind)] = sums.get((receipt_no, kind), ZERO) + amount
    return sums


def reconciliation_view(statement: Statement, latest: Any) -> dict[str, Any]:
    """The reconciliation in force for a day, amounts as contract strings."""
    body = _jsonable(latest.result)
    return {
        "date": statement.day,
        "digest": latest.digest,
        "reconciled_at": latest.timestamp.astimezone(CHINA).isoformat(),
        "imported_by": latest.imported_by,
        "version": statement.version - 1,  # the first reconciliation is 1: "Opened" is not one
        "superseded": statement.version - 2,
        **body,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format_amount(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
