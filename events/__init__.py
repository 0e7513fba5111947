"""The public contract: every event a terminal may post, as pydantic v2 models.

Nothing here imports FastAPI, a service or eventsourcing; see README.md for the versioning rule.
"""

from __future__ import annotations

from events.amounts import Amount, PositiveAmount, format_amount, parse_amount
from events.applicant import Applicant, ApplicantKind, IdType
from events.case import (
    CaseAccepted,
    CaseCompleted,
    CaseDelivered,
    CaseReceived,
    CaseRefused,
    CaseSigned,
    CaseTransferred,
    CaseWithdrawn,
    Decision,
    DecisionLocation,
    DeliveryMethod,
    Location,
    Result,
    SupplementReceived,
    SupplementRequested,
)
from events.checksums import (
    is_valid_credit_code,
    is_valid_resident_id,
    make_credit_code,
    make_resident_id,
)
from events.clock import (
    CaseExtended,
    CaseResumed,
    CaseSuspended,
    Procedure,
    ProcedureEnded,
    ProcedureStarted,
)
from events.envelope import CaseEnvelope, Envelope
from events.errors import ERROR_CODES, ContractError, ErrorCode
from events.evaluation import EvaluationFollowedUp, EvaluationRectified, EvaluationSubmitted
from events.masking import mask_id_number, mask_payload, mask_phone, masked_applicant
from events.money import FeeAssessed, FeeLine, FeePaid, FeeRefunded, PayMethod, RemittanceMade
from events.parsing import MAX_BATCH, canonical_json, content_digest, parse_batch, parse_event
from events.registry import OWNERS, TYPES, AnyEvent, CaseEvent, MoneyEvent, Owner, owner_of
from events.schema import SCHEMA_VERSION, export_schema

__all__ = [
    "ERROR_CODES",
    "MAX_BATCH",
    "OWNERS",
    "SCHEMA_VERSION",
    "TYPES",
    "Amount",
    "AnyEvent",
    "Applicant",
    "ApplicantKind",
    "CaseAccepted",
    "CaseCompleted",
    "CaseDelivered",
    "CaseEnvelope",
    "CaseEvent",
    "CaseExtended",
    "CaseReceived",
    "CaseRefused",
    "CaseResumed",
    "CaseSigned",
    "CaseSuspended",
    "CaseTransferred",
    "CaseWithdrawn",
    "ContractError",
    "Decision",
    "DecisionLocation",
    "DeliveryMethod",
    "Envelope",
    "ErrorCode",
    "EvaluationFollowedUp",
    "EvaluationRectified",
    "EvaluationSubmitted",
    "FeeAssessed",
    "FeeLine",
    "FeePaid",
    "FeeRefunded",
    "IdType",
    "Location",
    "MoneyEvent",
    "Owner",
    "PayMethod",
    "PositiveAmount",
    "Procedure",
    "ProcedureEnded",
    "ProcedureStarted",
    "RemittanceMade",
    "Result",
    "SupplementReceived",
    "SupplementRequested",
    "canonical_json",
    "content_digest",
    "export_schema",
    "format_amount",
    "is_valid_credit_code",
    "is_valid_resident_id",
    "make_credit_code",
    "make_resident_id",
    "mask_id_number",
    "mask_payload",
    "mask_phone",
    "masked_applicant",
    "owner_of",
    "parse_amount",
    "parse_batch",
    "parse_event",
]
