"""HTTP routes of the supervision service: the flag list, acknowledging and closing findings,
and the quarterly scorecard."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from hall.http.auth import requires
from hall.http.errors import ApiError
from services.ingest import Actor
from services.intake.clock import china_date
from services.supervision.application import MAX_DAYS, Supervision
from services.supervision.domainmodel import STATUSES
from services.supervision.rules import NAMES

router = APIRouter(tags=["supervision"])
Reader = Annotated[Actor, Depends(requires("supervisor", "auditor"))]
Supervisor = Annotated[Actor, Depends(requires("supervisor"))]
DEFAULT_DAYS = 90
Rule = StrEnum("Rule", {name: name for name in NAMES})  # type: ignore[misc]
Status = StrEnum("Status", {name: name for name in STATUSES})  # type: ignore[misc]


def supervision_of(request: Request) -> Supervision:
    """The running process's supervision application."""
    app: Supervision = request.app.state.hall.supervision
    return app


Service = Annotated[Supervision, Depends(supervision_of)]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(min_length=1, max_length=2000)]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=2000)]


@router.get("/v1/supervision/flags")
def list_flags(
    service: Service,
    _: Reader,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    rule: Rule | None = None,
    status: Status | None = None,
    department: str | None = None,
) -> dict[str, Any]:
    """Findings raised in a period (China dates; default: the last 90 days), filtered."""
    last = last or china_date(datetime.now(UTC))
    first = first or date.fromordinal(max(last.toordinal() - DEFAULT_DAYS + 1, 1))
    if last < first or (last - first).days >= MAX_DAYS:
        raise ApiError(422, "invalid_request", f"from..to: at most {MAX_DAYS} days, in order")
    flags = service.flags(
        first,
        last,
        rule=rule.value if rule else None,
        status=status.value if status else None,
        department=department,
    )
    return {"from": first.isoformat(), "to": last.isoformat(), "flags": flags}


@router.get("/v1/supervision/flags/{finding_id}")
def get_flag(finding_id: UUID, service: Service, _: Reader) -> dict[str, Any]:
    """One finding with its evidence and what supervisors did with it."""
    return service.finding(finding_id)


@router.post("/v1/supervision/flags/{finding_id}/acknowledge")
def acknowledge_flag(
    finding_id: UUID, body: NoteIn, service: Service, actor: Supervisor
) -> dict[str, Any]:
    """Acknowledge a finding, saying what is being done about it."""
    return service.acknowledge_finding(finding_id, actor.terminal_id, body.note)


@router.post("/v1/supervision/flags/{finding_id}/close")
def close_flag(
    finding_id: UUID, body: ReasonIn, service: Service, actor: Supervisor
) -> dict[str, Any]:
    """Close a finding, with the reason."""
    return service.close_finding(finding_id, actor.terminal_id, body.reason)


@router.get("/v1/reports/scorecard", tags=["reports"])
def scorecard(
    service: Service,
    _: Reader,
    quarter: Annotated[str, Query(pattern=r"^[1-9]\d{3}Q[1-4]$")],
) -> dict[str, Any]:
    """A quarter's scorecard per window and department: on-time rate, findings, ratings."""
    return service.scorecard(quarter)
