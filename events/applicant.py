"""The applicant (申请人) carried by case.received and case.accepted."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from events.checksums import is_valid_credit_code, is_valid_resident_id
from events.fields import Label


class ApplicantKind(StrEnum):
    """Whether the applicant is a natural person or an organisation."""

    PERSON = "person"
    ORGANISATION = "organisation"


class IdType(StrEnum):
    """Which document the applicant's id number comes from."""

    RESIDENT_ID = "resident_id"
    CREDIT_CODE = "credit_code"
    PASSPORT = "passport"
    OTHER = "other"


IdNumber = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S+$")]
Phone = Annotated[str, StringConstraints(pattern=r"^[0-9+\- ]{5,20}$")]


class Applicant(BaseModel):
    """Who applies: name and identity document, plus an optional phone for the call-back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ApplicantKind
    name: Label
    id_type: IdType
    id_number: IdNumber
    phone: Phone | None = None

    @field_validator("id_number")
    @classmethod
    def _check_digit(cls, value: str, info: ValidationInfo) -> str:
        # id_type is declared first, so it is in info.data whenever it was itself valid.
        id_type = info.data.get("id_type")
        if id_type == IdType.RESIDENT_ID:
            # A lowercase x is the same check character; store one spelling so digests agree.
            value = value.upper()
            if not is_valid_resident_id(value):
                raise PydanticCustomError(
                    "bad_checksum", "check digit or birth date does not match (GB 11643)"
                )
        elif id_type == IdType.CREDIT_CODE:
            value = value.upper()
            if not is_valid_credit_code(value):
                raise PydanticCustomError("bad_checksum", "check digit does not match (GB 32100)")
        return value
