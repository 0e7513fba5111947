"""What people see of billing, folded from stored events (never from aggregate state).

A receipt's events tell its whole story: issued (paid), refunded, remitted; until money moves
against it after its payment, the payment its account remembers is that story.  The day's cash book
and its reconciliation are the movements of the receipts a ``Day`` index lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from events.amounts import format_amount
from services.billing.clock import CHINA, china_date
from services.billing.domainmodel import ZERO, Payment, Receipt
from services.stamp import Stamp

KINDS = ("paid", "refunded", "remitted")


@dataclass(frozen=True)
class Movement:
    """Money moving against one receipt: paid in, refunded out, or remitted onward."""

    kind: str
    receipt_no: str
    case_no: str
    department: str
    fee_codes: tuple[str, ...]
    amount: Decimal
    at: datetime
    event_id: UUID
    terminal_id: str
    method: str | None = None
    cashier_window: str | None = None
    batch_no: str | None = None
    owed_back: Decimal = ZERO
    reason: str | None = None

    @property
    def day(self) -> date:
        return china_date(self.at)

    def as_row(self) -> dict[str, Any]:
        local = self.at.astimezone(CHINA)
        return {
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M:%S"),
            "kind": self.kind,
            "receipt_no": self.receipt_no,
            "case_no": self.case_no,
            "department": self.department,
            "fee_codes": list(self.fee_codes),
            "amount": format_amount(self.amount),
            "method": self.method,
            "cashier_window": self.cashier_window,
            "batch_no": self.batch_no,
            "owed_back": format_amount(self.owed_back),
            "event_id": str(self.event_id),
            "terminal_id": self.terminal_id,
        }


def movements(receipt_events: list[Any]) -> list[Movement]:
    """Every movement of one receipt, in order, from its stored events (or from its payment
    alone, a ``Payment``, while nothing moved against it since)."""
    issued = receipt_events[0]
    stamp: Stamp = issued.stamp
    same = {
        "receipt_no": issued.receipt_no,
        "case_no": issued.case_no,
        "department": issued.department,
        "fee_codes": tuple(issued.fee_codes),
    }
    found = [
        Movement(
            "paid", **same, amount=issued.amount, at=stamp.occurred_at, event_id=stamp.event_id,
            terminal_id=stamp.terminal_id, method=issued.method,
            cashier_window=issued.cashier_window,
        )
    ]  # fmt: skip
    for e in receipt_events[1:]:
        common = {"at": e.stamp.occurred_at, "event_id": e.stamp.event_id}
        common |= {"terminal_id": e.stamp.terminal_id, "amount": e.amount}
        if isinstance(e, Receipt.Refunded):  # type: ignore[attr-defined]
            found.append(
                Movement("refunded", **same, **common, owed_back=e.owed_back, reason=e.reason)
            )
        elif isinstance(e, Receipt.Remitted):  # type: ignore[attr-defined]
            found.append(Movement("remitted", **same, **common, batch_no=e.batch_no))
    return found


def receipt_view(receipt_events: list[Any], deadline: datetime, now: datetime) -> dict[str, Any]:
    """One receipt now: payment, refunds, remittance, its deadline and whether it is overdue."""
    moved = movements(receipt_events)
    paid, refunds = moved[0], [m for m in moved if m.kind == "refunded"]
    remitted = next((m for m in moved if m.kind == "remitted"), None)
    refunded = sum((m.amount for m in refunds), ZERO)
    net = paid.amount - refunded
    return {
        "receipt_no": paid.receipt_no,
        "case_no": paid.case_no,
        "department": paid.department,
        "fee_codes": list(paid.fee_codes),
        "amount": format_amount(paid.amount),
        "method": paid.method,
        "cashier_window": paid.cashier_window,
        "paid_at": paid.at.astimezone(CHINA).isoformat(),
        "refunds": [
            {
                "amount": format_amount(m.amount),
                "reason": m.reason,
                "owed_back": format_amount(m.owed_back),
                "occurred_at": m.at.astimezone(CHINA).isoformat(),
                "event_id": str(m.event_id),
            }
            for m in refunds
        ],
        "refunded": format_amount(refunded),
        "net": format_amount(net),
        "owed_back": format_amount(sum((m.owed_back for m in refunds), ZERO)),
        "remittance": None
        if remitted is None
        else {
            "batch_no": remitted.batch_no,
            "amount": format_amount(remitted.amount),
            "occurred_at": remitted.at.astimezone(CHINA).isoformat(),
        },
        "deadline": deadline.isoformat(),
        "overdue": remitted is None and net > ZERO and now > deadline,
        "remitted_late": remitted is not None and remitted.at > deadline,
        "version": len(receipt_events),
    }


def totals(rows: list[Movement]) -> dict[str, Decimal]:
    """Sums per kind, the refunds owed back, and what the window holds net (paid − refunded)."""
    sums = {kind: sum((m.amount for m in rows if m.kind == kind), ZERO) for kind in KINDS}
    sums["owed_back"] = sum((m.owed_back for m in rows), ZERO)
    sums["net"] = sums["paid"] - sums["refunded"]
    return sums


def ledger_view(day: date, rows: list[Movement]) -> dict[str, Any]:
    """The day's cash book (日记账): every movement in time order, and the day's totals."""
    ordered = sorted(rows, key=lambda m: m.at)  # stable: a receipt's own movements stay in order
    return {
        "date": day.isoformat(),
        "rows": [m.as_row() for m in ordered],
        "totals": {k: format_amount(v) for k, v in totals(ordered).items()},
    }


def unremitted_view(
    as_of: datetime,
    rule: dict[str, object],
    overdue: list[tuple[Receipt | Payment, datetime]],
) -> dict[str, Any]:
    """Receipts paid and not remitted past their deadline, one by one and per department."""
    per_department: dict[str, list[Decimal]] = {}
    for receipt, _ in overdue:
        per_department.setdefault(receipt.department, []).append(receipt.net)
    listed = sorted(overdue, key=lambda pair: (pair[1], pair[0].receipt_no))
    return {
        "as_of": as_of.astimezone(CHINA).isoformat(),
        "deadline_rule": rule,
        "receipts": [
            {
                "receipt_no": r.receipt_no,
                "case_no": r.case_no,
                "department": r.department,
                "paid_at": r.paid_at.astimezone(CHINA).isoformat(),
                "deadline": deadline.isoformat(),
                "amount": format_amount(r.net),
            }
            for r, deadline in listed
        ],
        "departments": [
            {"department": d, "receipts": len(a), "amount": format_amount(sum(a, ZERO))}
            for d, a in sorted(per_department.items())
        ],
        "total": {
            "receipts": len(overdue),
            "amount": format_amount(sum((r.net for r, _ in overdue), ZERO)),
        },
    }
