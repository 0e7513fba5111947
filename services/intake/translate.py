"""The one translation point between the public contract (``events``) and the Case aggregate.

Forwards, a posted contract event names a command and its arguments; backwards, a stored domain
event becomes the contract's JSON again (for history, the audit log and the relays).  Tests check
that the round trip returns what was posted.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from eventsourcing.utils import get_topic
from pydantic import BaseModel

from services.arguments import domain_value
from services.intake.catalogue import Entry, Index
from services.intake.domainmodel import Case
from services.stamp import Stamp

# contract type -> (Case command, the contract fields it takes, in order)
COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "case.refused": ("refuse", ("reason", "legal_basis")),
    "case.supplement_requested": ("request_supplement", ("missing_materials",)),
    "case.supplement_received": ("receive_supplement", ()),
    "case.transferred": ("transfer", ("to_unit", "to_staff", "location", "reason")),
    "case.signed": ("sign", ("step", "decision", "opinion", "signer_title", "location")),
    "case.procedure_started": ("start_procedure", ("procedure", "approved_by", "limit_days")),
    "case.procedure_ended": ("end_procedure", ("outcome",)),
    "case.suspended": ("suspend", ("reason", "approved_by")),
    "case.resumed": ("resume", ("reason", "approved_by")),
    "case.extended": ("extend", ("extra_days", "approved_by", "applicant_notified_at")),
    "case.completed": ("complete", ("result", "certificate_no", "location")),
    "case.delivered": ("deliver", ("method", "recipient")),
    "case.withdrawn": ("withdraw", ("reason",)),
    "evaluation.submitted": ("rate", ("rating", "channel", "comment")),
    "evaluation.followed_up": ("follow_up", ("note",)),
    "evaluation.rectified": ("rectify", ("measures",)),
}

# stored event class -> contract type
TYPES: dict[type[Any], str] = {
    Case.SupplementRequested: "case.supplement_requested",  # type: ignore[attr-defined]
    Case.SupplementReceived: "case.supplement_received",  # type: ignore[attr-defined]
    Case.Accepted: "case.accepted",  # type: ignore[attr-defined]
    Case.Refused: "case.refused",  # type: ignore[attr-defined]
    Case.Transferred: "case.transferred",  # type: ignore[attr-defined]
    Case.Signed: "case.signed",  # type: ignore[attr-defined]
    Case.ProcedureStarted: "case.procedure_started",  # type: ignore[attr-defined]
    Case.ProcedureEnded: "case.procedure_ended",  # type: ignore[attr-defined]
    Case.Suspended: "case.suspended",  # type: ignore[attr-defined]
    Case.Resumed: "case.resumed",  # type: ignore[attr-defined]
    Case.Extended: "case.extended",  # type: ignore[attr-defined]
    Case.Completed: "case.completed",  # type: ignore[attr-defined]
    Case.Delivered: "case.delivered",  # type: ignore[attr-defined]
    Case.Withdrawn: "case.withdrawn",  # type: ignore[attr-defined]
    Case.Rated: "evaluation.submitted",  # type: ignore[attr-defined]
    Case.FollowedUp: "evaluation.followed_up",  # type: ignore[attr-defined]
    Case.Rectified: "evaluation.rectified",  # type: ignore[attr-defined]
}

CATALOGUE_TYPES: dict[type[Any], str] = {
    Entry.Published: "catalog.entry.published",  # type: ignore[attr-defined]
    Entry.Revised: "catalog.entry.revised",  # type: ignore[attr-defined]
    Index.Started: "catalog.index.started",  # type: ignore[attr-defined]
    Index.Added: "catalog.index.added",  # type: ignore[attr-defined]
}
_LIBRARY_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def command_arguments(event: BaseModel) -> tuple[str, dict[str, Any]]:
    """The Case command a posted (non-creating) case event names, with its arguments (enums
    as text, as billing's: ``services/arguments.py``)."""
    method, names = COMMANDS[event.type]  # type: ignore[attr-defined]
    return method, {name: domain_value(getattr(event, name)) for name in names}


def contract_type(domain_event: Any) -> str:
    """The contract's type string for a stored domain event."""
    if isinstance(domain_event, Case.Received):  # type: ignore[attr-defined]
        return "case.accepted" if domain_event.accepted else "case.received"
    return TYPES.get(type(domain_event)) or CATALOGUE_TYPES[type(domain_event)]


def unread_topics(read: Collection[str]) -> frozenset[str]:
    """The stored topics of intake's events that carry none of the contract types in
    ``read``: what a reader of only those types may leave unread and undecoded."""
    carried = {get_topic(cls): {t} for cls, t in (TYPES | CATALOGUE_TYPES).items()}
    carried[get_topic(Case.Received)] = {"case.received", "case.accepted"}  # type: ignore[attr-defined]
    return frozenset(topic for topic, types in carried.items() if not types & set(read))


def to_contract(domain_event: Any) -> dict[str, Any]:
    """The contract's JSON-able fields of a stored domain event (personal data still raw)."""
    fields = {k: v for k, v in vars(domain_event).items() if k not in _LIBRARY_FIELDS}
    stamp: Stamp | None = fields.pop("stamp", None)
    body: dict[str, Any] = {"type": contract_type(domain_event)}
    if isinstance(domain_event, Entry.Published | Entry.Revised):  # type: ignore[attr-defined]
        body["entry_id"] = domain_event.originator_id  # a revision names no code: this does
    if stamp is not None:
        body |= {"event_id": stamp.event_id, "case_no": stamp.case_no}
        body |= {"occurred_at": stamp.occurred_at, "staff_id": stamp.staff_id}
    if isinstance(domain_event, Case.Received):  # type: ignore[attr-defined]
        if not fields.pop("accepted"):
            fields.pop("special_care")
        fields.pop("case_no")
    if "terms" in fields:
        # Server-side enrichment: the item version the case is judged by travels with the event,
        # so consumers (projections, Kafka) never depend on catalogue events arriving first.
        fields["item"] = terms = fields.pop("terms")
        fields["item_code"] = terms["item_code"]
    return body | fields


def actor_of(domain_event: Any) -> dict[str, Any]:
    """Who recorded a domain event and when the server stamped it."""
    stamp: Stamp | None = getattr(domain_event, "stamp", None)
    if stamp is None:
        return {"terminal_id": None, "recorded_at": domain_event.timestamp}
    return {"terminal_id": stamp.terminal_id, "recorded_at": stamp.recorded_at}
