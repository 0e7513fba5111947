"""HTTP routes of the boards: the alert board and the management case list."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from events.fields import Instant
from hall.http.auth import requires
from hall.http.errors import ApiError
from projections.alert_board import board
from projections.case_list import CaseFilter, list_cases
from services.ingest import Actor
from services.intake.clock import china_date

router = APIRouter(tags=["boards"])
Code = Annotated[str | None, Query(max_length=64)]


def _followers(request: Request) -> Any:
    return request.app.state.hall.followers


@router.get("/v1/alerts")
def get_alerts(
    request: Request,
    _: Annotated[Actor, Depends(requires("supervisor"))],
    as_of: Annotated[Instant | None, Query()] = None,
    department: Code = None,
    window_no: Code = None,
) -> dict[str, Any]:
    """Open cases with a level (warning, yellow, red) at ``as_of`` (default: now), worst first."""
    followers = _followers(request)
    instant = as_of or datetime.now(UTC)
    wanted = {k: v for k, v in (("department", department), ("window_no", window_no)) if v}
    with followers.store.read() as cur:
        alerts = board(cur, instant, followers.context, wanted)
    return {"as_of": instant, "alerts": [asdict(a) for a in alerts]}


@router.get("/v1/cases")
def get_cases(
    request: Request,
    _: Annotated[Actor, Depends(requires("supervisor", "auditor"))],
    status: Annotated[
        str | None, Query(pattern="^(received|accepted|refused|withdrawn|completed|delivered)$")
    ] = None,
    department: Code = None,
    window_no: Code = None,
    item_code: Code = None,
    accepted_from: date | None = None,
    accepted_to: date | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> dict[str, Any]:
    """The case list for management: filter by status, unit, window, item, overdue, dates."""
    if accepted_from and accepted_to and accepted_from > accepted_to:
        raise ApiError(422, "invalid_request", "accepted_from is after accepted_to")
    followers = _followers(request)
    wanted = CaseFilter(
        status, department, window_no, item_code, accepted_from, accepted_to, overdue
    )
    today = china_date(datetime.now(UTC))
    with followers.store.read() as cur:
        rows, total = list_cases(cur, wanted, today, followers.context.calendar, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "cases": rows}
