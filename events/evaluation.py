"""好差评: the applicant's rating of how a case was handled."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from events.envelope import CaseEnvelope
from events.fields import Code, RequiredText, Text


class EvaluationSubmitted(CaseEnvelope):
    """An applicant rated the case from 1 (very poor) to 5 (very good); 1-2 need a call-back."""

    type: Literal["evaluation.submitted"] = "evaluation.submitted"
    rating: Annotated[StrictInt, Field(ge=1, le=5)]
    channel: Code
    comment: Text = ""


class EvaluationFollowedUp(CaseEnvelope):
    """回访: the hall called the applicant back about a poor rating (due within 1 working day)."""

    type: Literal["evaluation.followed_up"] = "evaluation.followed_up"
    note: Text = ""


class EvaluationRectified(CaseEnvelope):
    """整改: what was fixed after a poor rating (due within 15 working days)."""

    type: Literal["evaluation.rectified"] = "evaluation.rectified"
    measures: RequiredText
