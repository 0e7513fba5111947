"""Events that stop, restart or move a case's clock: special procedures, suspensions, extensions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StrictInt

from events.envelope import CaseEnvelope
from events.fields import Instant, Label, RequiredText, Text

Days = Annotated[StrictInt, Field(ge=1, le=365)]


class Procedure(StrEnum):
    """特别程序: the special procedures whose time does not count against the limit."""

    HEARING = "hearing"
    EXPERT_REVIEW = "expert_review"
    TESTING = "testing"
    PUBLICITY = "publicity"
    TENDERING = "tendering"
    OTHER = "other"


class ProcedureStarted(CaseEnvelope):
    """A special procedure began; the clock stops."""

    type: Literal["case.procedure_started"] = "case.procedure_started"
    procedure: Procedure
    approved_by: Label
    limit_days: Days | None = None


class ProcedureEnded(CaseEnvelope):
    """The special procedure ended; the clock restarts."""

    type: Literal["case.procedure_ended"] = "case.procedure_ended"
    outcome: Text = ""


class CaseSuspended(CaseEnvelope):
    """挂起: processing is suspended with approval; the clock stops."""

    type: Literal["case.suspended"] = "case.suspended"
    reason: RequiredText
    approved_by: Label


class CaseResumed(CaseEnvelope):
    """解挂: processing resumes; the clock restarts."""

    type: Literal["case.resumed"] = "case.resumed"
    # Resuming needs an approver but rarely a story: the suspension carried the reason.
    reason: Text = ""
    approved_by: Label


class CaseExtended(CaseEnvelope):
    """延期: an approved extension adds working days to the limit."""

    type: Literal["case.extended"] = "case.extended"
    extra_days: Days
    approved_by: Label
    applicant_notified_at: Instant | None = None
