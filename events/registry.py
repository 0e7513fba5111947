"""Every event type of the contract, grouped by the service that owns it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from events.case import (
    CaseAccepted,
    CaseCompleted,
    CaseDelivered,
    CaseReceived,
    CaseRefused,
    CaseSigned,
    CaseTransferred,
    CaseWithdrawn,
    SupplementReceived,
    SupplementRequested,
)
from events.clock import (
    CaseExtended,
    CaseResumed,
    CaseSuspended,
    ProcedureEnded,
    ProcedureStarted,
)
from events.envelope import Envelope
from events.evaluation import EvaluationFollowedUp, EvaluationRectified, EvaluationSubmitted
from events.money import FeeAssessed, FeePaid, FeeRefunded, RemittanceMade

Owner = Literal["intake", "billing"]

CASE_MODELS: tuple[type[Envelope], ...] = (
    CaseReceived,
    CaseAccepted,
    CaseRefused,
    SupplementRequested,
    SupplementReceived,
    CaseTransferred,
    CaseSigned,
    ProcedureStarted,
    ProcedureEnded,
    CaseSuspended,
    CaseResumed,
    CaseExtended,
    CaseCompleted,
    CaseDelivered,
    CaseWithdrawn,
    EvaluationSubmitted,
    EvaluationFollowedUp,
    EvaluationRectified,
)
MONEY_MODELS: tuple[type[Envelope], ...] = (FeeAssessed, FeePaid, FeeRefunded, RemittanceMade)

CaseEvent = Annotated[
    CaseReceived
    | CaseAccepted
    | CaseRefused
    | SupplementRequested
    | SupplementReceived
    | CaseTransferred
    | CaseSigned
    | ProcedureStarted
    | ProcedureEnded
    | CaseSuspended
    | CaseResumed
    | CaseExtended
    | CaseCompleted
    | CaseDelivered
    | CaseWithdrawn
    | EvaluationSubmitted
    | EvaluationFollowedUp
    | EvaluationRectified,
    Field(discriminator="type"),
]
"""An event owned by the intake service: case.* and evaluation.*."""

MoneyEvent = Annotated[
    FeeAssessed | FeePaid | FeeRefunded | RemittanceMade, Field(discriminator="type")
]
"""An event owned by the billing service: fee.* and remittance.made."""

AnyEvent = Annotated[CaseEvent | MoneyEvent, Field(discriminator="type")]
"""Any event a terminal may post."""


def _type_of(model: type[Envelope]) -> str:
    return str(model.model_fields["type"].default)


TYPES: dict[str, type[Envelope]] = {_type_of(m): m for m in CASE_MODELS + MONEY_MODELS}
OWNERS: dict[str, Owner] = {
    **{_type_of(m): "intake" for m in CASE_MODELS},
    **{_type_of(m): "billing" for m in MONEY_MODELS},
}


def owner_of(event: AnyEvent) -> Owner:
    """Name the service that owns an event: "intake" for case events, "billing" for money."""
    return OWNERS[event.type]
