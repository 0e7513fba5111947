"""HTTP routes of the management reports: completion statistics and the monthly bulletin.

Importing this module only builds the router; the view store is found at request time on
``request.app.state.hall.followers``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from events.fields import EARLIEST, LATEST, Instant
from hall.http.auth import requires
from hall.http.errors import ApiError
from projections.exports import XLSX, bulletin_html, bulletin_xlsx, completion_xlsx
from projections.reports import bulletin, completion_report
from services.ingest import Actor

router = APIRouter(tags=["reports"])
Reader = Annotated[Actor, Depends(requires("supervisor", "auditor"))]
GROUPS = ("department", "window", "item")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MONTH = re.compile(r"^[0-9]{4}-[0-9]{2}$")


def _invalid(message: str) -> ApiError:
    return ApiError(422, "invalid_request", message)


def _day(name: str, text: str, shape: str = "YYYY-MM-DD") -> date:
    try:
        day = date.fromisoformat(text if shape == "YYYY-MM-DD" else f"{text}-01")
    except ValueError:
        day = None
    pattern = _DAY if shape == "YYYY-MM-DD" else _MONTH
    if day is None or not pattern.match(text) or not EARLIEST <= day.year <= LATEST:
        raise _invalid(f"{name}: expected {shape} ({EARLIEST}–{LATEST}), got {text[:40]!r}")
    return day


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise _invalid(f"{name}: expected one of {', '.join(allowed)}, got {value[:40]!r}")


def _store(request: Request) -> tuple[Any, Any]:
    followers = request.app.state.hall.followers
    return followers.store, followers.context.calendar


@router.get("/v1/reports/completion", response_model=None)
def get_completion(
    request: Request,
    _: Reader,
    first: Annotated[str, Query(alias="from", max_length=40)],
    last: Annotated[str, Query(alias="to", max_length=40)],
    as_of: Annotated[Instant | None, Query()] = None,
    group_by: Annotated[str | None, Query(max_length=40)] = None,
    format_: Annotated[str, Query(alias="format", max_length=10)] = "json",
) -> dict[str, Any] | Response:
    """Completion statistics of the cases accepted from ``from`` to ``to`` (China dates),
    as of now or as of ``as_of``; ``format=xlsx`` gives the year-end table."""
    start, end = _day("from", first), _day("to", last)
    if start > end:
        raise _invalid("from: the period starts after it ends")
    _choice("group_by", group_by, GROUPS)
    _choice("format", format_, ("json", "xlsx"))
    store, calendar = _store(request)
    with store.read() as cur:
        report = completion_report(
            cur,
            first=start,
            last=end,
            calendar=calendar,
            now=datetime.now(UTC),
            as_of=as_of,
            group_by=group_by,
        )
    if format_ == "xlsx":
        name = f"completion-{start.isoformat()}-{end.isoformat()}.xlsx"
        return _download(completion_xlsx(report, group_by), XLSX, name)
    return report


@router.get("/v1/reports/bulletin", response_model=None)
def get_bulletin(
    request: Request,
    _: Reader,
    month: Annotated[str, Query(max_length=20)],
    as_of: Annotated[Instant | None, Query()] = None,
    format_: Annotated[str, Query(alias="format", max_length=10)] = "json",
) -> dict[str, Any] | Response:
    """The monthly bulletin (工作简报) of the cases accepted in ``month`` (YYYY-MM): per
    department figures, overdue cases, best and worst units; ``format`` json, xlsx or html."""
    first = _day("month", month, "YYYY-MM")
    _choice("format", format_, ("json", "xlsx", "html"))
    store, calendar = _store(request)
    with store.read() as cur:
        found = bulletin(cur, month=first, calendar=calendar, now=datetime.now(UTC), as_of=as_of)
    if format_ == "xlsx":
        return _download(bulletin_xlsx(found), XLSX, f"bulletin-{found['month']}.xlsx")
    if format_ == "html":
        return HTMLResponse(bulletin_html(found))
    return found


def _download(content: bytes, media_type: str, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
