"""Money events posted by windows (assessment) and the bank window (payment, refund, remittance)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from events.amounts import PositiveAmount
from events.envelope import CaseEnvelope, Envelope
from events.fields import Code, RequiredText


class PayMethod(StrEnum):
    """How the applicant paid at the bank window."""

    CASH = "cash"
    CARD = "card"
    QR = "qr"
    TRANSFER = "transfer"


class FeeLine(BaseModel):
    """One fee of the item's fee list, with the amount assessed for this case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fee_code: Code
    amount: PositiveAmount


class FeeAssessed(CaseEnvelope):
    """收费核定: the window assessed what the applicant owes."""

    type: Literal["fee.assessed"] = "fee.assessed"
    lines: Annotated[list[FeeLine], Field(min_length=1, max_length=100)]


class FeePaid(CaseEnvelope):
    """缴费: the bank window took a payment and issued a receipt."""

    type: Literal["fee.paid"] = "fee.paid"
    receipt_no: Code
    amount: PositiveAmount
    method: PayMethod
    cashier_window: Code


class FeeRefunded(CaseEnvelope):
    """退付: money went back to the applicant against a receipt."""

    type: Literal["fee.refunded"] = "fee.refunded"
    receipt_no: Code
    amount: PositiveAmount
    reason: RequiredText


class RemittanceMade(Envelope):
    """划拨: the bank remitted a batch of receipts to the treasury; it concerns no single case."""

    type: Literal["remittance.made"] = "remittance.made"
    batch_no: Code
    receipts: Annotated[list[Code], Field(min_length=1, max_length=10000)]
    amount: PositiveAmount
    to_account: Code
    bank_ref: Code

    @field_validator("receipts")
    @classmethod
    def _each_receipt_once(cls, value: list[str]) -> list[str]:
        # A receipt listed twice would be remitted twice in the same batch.
        seen: set[str] = set()
        for receipt in value:
            if receipt in seen:
                raise PydanticCustomError(
                    "duplicate_receipt", "receipt {receipt} is listed twice", {"receipt": receipt}
                )
            seen.add(receipt)
        return value
