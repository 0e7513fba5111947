"""Case lifecycle events posted by window terminals: from receipt to delivery."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints

from events.applicant import Applicant
from events.envelope import CaseEnvelope
from events.fields import Code, Label, RequiredText, Text

Materials = Annotated[list[Label], Field(max_length=200)]


class Location(StrEnum):
    """Where a case is sent by a transfer."""

    HALL = "hall"
    BACK_OFFICE = "back_office"
    EXTERNAL = "external"


class DecisionLocation(StrEnum):
    """Where a signature or a completion happened: inside the hall or back at the department."""

    HALL = "hall"
    BACK_OFFICE = "back_office"


class Decision(StrEnum):
    """What a signer decided at one step."""

    APPROVE = "approve"
    REJECT = "reject"


class Result(StrEnum):
    """How a case ended."""

    GRANTED = "granted"
    DENIED = "denied"


class DeliveryMethod(StrEnum):
    """How the result reached the applicant."""

    PICKUP = "pickup"
    MAIL = "mail"


class CaseReceived(CaseEnvelope):
    """收件: the window took the application; it is not yet accepted."""

    type: Literal["case.received"] = "case.received"
    item_code: Code
    window_no: Code
    applicant: Applicant
    materials: Materials


class CaseAccepted(CaseEnvelope):
    """受理: the case is accepted and its clock starts."""

    type: Literal["case.accepted"] = "case.accepted"
    item_code: Code
    window_no: Code
    applicant: Applicant
    materials: Materials
    special_care: StrictBool = False


class CaseRefused(CaseEnvelope):
    """不予受理: the application is refused."""

    type: Literal["case.refused"] = "case.refused"
    reason: RequiredText
    # Required but may be empty: supervision flags refusals without a legal basis, so they
    # must still get through the contract.
    legal_basis: Text


class SupplementRequested(CaseEnvelope):
    """补正告知: materials are missing; the clock stops."""

    type: Literal["case.supplement_requested"] = "case.supplement_requested"
    missing_materials: Annotated[list[Label], Field(min_length=1, max_length=200)]


class SupplementReceived(CaseEnvelope):
    """补正受理: the missing materials arrived; the clock restarts."""

    type: Literal["case.supplement_received"] = "case.supplement_received"


class CaseTransferred(CaseEnvelope):
    """流转: the case moved to another unit or person."""

    type: Literal["case.transferred"] = "case.transferred"
    to_unit: Code
    to_staff: Code | None = None
    location: Location
    reason: Text = ""


class CaseSigned(CaseEnvelope):
    """签批: one step was signed (undertake, review, approve or an item's own step)."""

    type: Literal["case.signed"] = "case.signed"
    step: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^\S+$")]
    decision: Decision
    opinion: Text = ""
    signer_title: Label
    location: DecisionLocation


class CaseCompleted(CaseEnvelope):
    """办结: the case has its result."""

    type: Literal["case.completed"] = "case.completed"
    result: Result
    certificate_no: Code | None = None
    location: DecisionLocation


class CaseDelivered(CaseEnvelope):
    """领证/送达: the result reached the applicant."""

    type: Literal["case.delivered"] = "case.delivered"
    method: DeliveryMethod
    recipient: Label


class CaseWithdrawn(CaseEnvelope):
    """撤回: the applicant withdrew the application."""

    type: Literal["case.withdrawn"] = "case.withdrawn"
    reason: RequiredText
