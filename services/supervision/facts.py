"""What supervision keeps of the events it follows: small facts, folded per subject.

A *fact* is the part of one message that some rule needs, as plain JSON-able data, so that it can
be stored in a ``File.NotedFacts`` event and folded again after a restart.  Each subject kind folds
its facts into a state: a case (``casefacts``), a receipt, a department's cohort and a day's bank
reconciliation (``subjects``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from projections.sources import Message
from services.intake.clock import china_date

ZERO = Decimal("0.00")
# contract type -> the fields its fact keeps (beyond id, type, occurred and recorded instants)
KEPT: dict[str, tuple[str, ...]] = {
    "case.received": ("window_no", "item"),
    "case.accepted": ("window_no", "item"),
    "case.refused": ("legal_basis",),
    "case.supplement_requested": (),
    "case.supplement_received": (),
    "case.transferred": ("location", "to_unit"),
    "case.signed": ("location", "step"),
    "case.procedure_started": (),
    "case.procedure_ended": (),
    "case.suspended": (),
    "case.resumed": (),
    "case.extended": ("extra_days",),
    "case.completed": ("location", "result"),
    "case.delivered": (),
    "case.withdrawn": (),
    "evaluation.submitted": ("rating",),
    "evaluation.followed_up": (),
    "evaluation.rectified": (),
    "fee.assessed": ("lines",),
    "fee.paid": ("receipt_no", "amount"),
    "fee.refunded": ("receipt_no", "amount"),
    "remittance.made": ("receipts", "batch_no"),
    "billing.statement.opened": ("day", "originator_id"),
    "billing.statement.reconciled": ("result", "originator_id"),
}
ITEM_TERMS = (
    "item_code",
    "department",
    "kind",
    "decision_at",
    "fees",
    "promised_limit_days",
    "supplement_policy",
)
STEPS = frozenset(
    {
        "case.transferred",
        "case.signed",
        "case.supplement_requested",
        "case.supplement_received",
        "case.procedure_started",
        "case.procedure_ended",
        "case.suspended",
        "case.resumed",
        "case.extended",
    }
)


def relevant(m: Message) -> bool:
    """Whether any rule reads this message."""
    return m.type in KEPT


def extract(m: Message) -> dict[str, Any] | None:
    """The fact a message contributes, or None when no rule needs it."""
    kept = KEPT.get(m.type)
    if kept is None:
        return None
    body = m.body
    fact: dict[str, Any] = {
        "type": m.type,
        "id": str(body.get("event_id") or f"{m.stream}@{m.position}"),
        "at": body.get("occurred_at") or m.recorded_at,
        "rec": m.recorded_at,
    }
    if "case_no" in body:
        fact["case_no"] = body["case_no"]
    for name in kept:
        if name in body:
            fact[name] = plain(body[name])
    if "item" in fact:
        fact["item"] = {k: fact["item"].get(k) for k in ITEM_TERMS}
    return fact


_AS_IS = frozenset({str, int, bool, type(None)})


def plain(value: Any) -> Any:
    """JSON-shaped data: enums as text, amounts as text, lists rather than tuples."""
    if type(value) in _AS_IS:  # most values: one lookup instead of five isinstance checks
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Mark:
    """That an event happened: its id, when it occurred and when the hall recorded it."""

    id: str
    type: str
    at: datetime
    rec: datetime

    @classmethod
    def of(cls, fact: Mapping[str, Any]) -> Mark:
        return cls(fact["id"], fact["type"], fact["at"], fact["rec"])

    @property
    def day(self) -> date:
        return china_date(self.at)
