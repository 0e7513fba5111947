"""好差评: the applicant's rating of how a case was handled."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from events.envelope import CaseEnvelope
from events.fields import Code, Text


class EvaluationSubmitted(CaseEnvelope):
    """An applicant rated the case from 1 (very poor) to 5 (very good); 1-2 need a call-back."""

    type: Literal["evaluation.submitted"] = "evaluation.submitted"
    rating: Annotated[StrictInt, Field(ge=1, le=5)]
    channel: Code
    comment: Text = ""
