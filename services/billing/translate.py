"""The one translation point between the public contract (``events``) and billing's aggregates.

Forwards, a posted money event becomes the arguments of a command; backwards, the stored event
that records it becomes the contract's JSON again (for history, audits and relays).  Billing's
own bookkeeping events (receipts, indexes, reconciliations) have internal type names.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic
from pydantic import BaseModel

from services.arguments import domain_value
from services.billing.domainmodel import FeeAccount, Receipt, Remittance
from services.billing.indexes import Day, OpenDays
from services.stamp import Stamp

# contract type -> the contract fields its command takes, in order
FIELDS: dict[str, tuple[str, ...]] = {
    "fee.assessed": ("lines",),
    "fee.paid": ("receipt_no", "amount", "method", "cashier_window"),
    "fee.refunded": ("receipt_no", "amount", "reason"),
    "remittance.made": ("batch_no", "receipts", "amount", "to_account", "bank_ref"),
}

# stored event class -> contract type: the events that record a posted event
TYPES: dict[type[Any], str] = {
    FeeAccount.Assessed: "fee.assessed",  # type: ignore[attr-defined]
    FeeAccount.Paid: "fee.paid",  # type: ignore[attr-defined]
    FeeAccount.Refunded: "fee.refunded",  # type: ignore[attr-defined]
    Remittance.Made: "remittance.made",  # type: ignore[attr-defined]
}

# Aggregates whose events only billing itself reads: receipts keep receipt numbers unique and
# remember refunds and remittance; the indexes find a day's receipts.  Everything a read model
# or a rule needs is also in the account's and remittance's events.
INTERNAL = (Receipt, Day, OpenDays)


def internal_topics() -> frozenset[str]:
    """The stored topics of ``INTERNAL``'s events (what followers need not decode)."""
    return frozenset(
        get_topic(value)
        for aggregate in INTERNAL
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, DomainEvent)
    )


def command_arguments(event: BaseModel) -> dict[str, Any]:
    """The domain arguments a posted money event carries (enums as text, lines as dicts)."""
    return {name: domain_value(getattr(event, name)) for name in FIELDS[event.type]}  # type: ignore[attr-defined]


def contract_type(domain_event: Any) -> str:
    """The contract's type of a recording event, or ``billing.<aggregate>.<event>`` otherwise."""
    found = _recorded_type(domain_event)
    if found is not None:
        return found
    owner, name = type(domain_event).__qualname__.split(".")[-2:]
    return f"billing.{owner.lower()}.{name.lower()}"


def is_contract_event(domain_event: Any) -> bool:
    """Whether the stored event records a posted money event."""
    return _recorded_type(domain_event) is not None


def to_contract(domain_event: Any) -> dict[str, Any]:
    """The contract's fields of a stored event that records a posted money event."""
    kind = _recorded_type(domain_event)
    assert kind is not None, domain_event
    stamp: Stamp = domain_event.stamp
    body: dict[str, Any] = {"event_id": stamp.event_id, "type": kind}
    if stamp.case_no is not None:
        body["case_no"] = stamp.case_no
    body |= {"occurred_at": stamp.occurred_at, "staff_id": stamp.staff_id}
    return body | {name: getattr(domain_event, name) for name in FIELDS[kind]}


def to_logged(domain_event: Any) -> dict[str, Any]:
    """A recording event as billing's log carries it: the contract's fields, and for the
    assessment that opened an account, the account's department too, which the fee ledger
    attributes the case's money by (accounts opened until December 2026 said it in an event
    of their own, ``billing.feeaccount.opened``)."""
    body = to_contract(domain_event)
    if type(domain_event) is FeeAccount.Opened:
        body["department"] = domain_event.department
    return body


def _recorded_type(domain_event: Any) -> str | None:
    found = TYPES.get(type(domain_event))
    if found is None and type(domain_event) is FeeAccount.Opened:
        # An account opened by its first assessment records it (one opened empty does not).
        return "fee.assessed" if domain_event.stamp is not None else None
    return found
