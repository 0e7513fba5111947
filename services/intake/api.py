"""HTTP routes of the intake service: the catalogue, the case view, history and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.amounts import Amount
from events.fields import CASE_NO_PATTERN, Instant
from events.masking import mask_payload
from hall.http.auth import HallDep, requires
from hall.http.errors import ApiError
from services.ingest import Actor
from services.intake.caseview import fold_case
from services.intake.translate import actor_of, to_contract

router = APIRouter()
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,31}$")]
Admin = Annotated[Actor, Depends(requires())]
Reader = Annotated[Actor, Depends(requires("window", "cashier", "supervisor", "auditor"))]
Auditor = Annotated[Actor, Depends(requires("auditor", "supervisor"))]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DepartmentIn(_Strict):
    name: Text


class WindowIn(_Strict):
    department: Text
    name: Text


class Kind(StrEnum):
    immediate = "immediate"
    promised = "promised"
    joint = "joint"
    forwarded = "forwarded"


class FeeLine(_Strict):
    code: Annotated[str, Field(min_length=1, max_length=32)]
    name: Text
    amount: Amount


class ItemIn(_Strict):
    name: Text
    department: Text
    kind: Kind
    legal_limit_days: Annotated[int, Field(ge=0, le=365)]
    promised_limit_days: Annotated[int, Field(ge=0, le=365)]
    decision_at: Annotated[str, Field(pattern="^(window|back_office)$")]
    fees: list[FeeLine] = []
    steps: list[Annotated[str, Field(min_length=1, max_length=32)]] = []
    co_departments: list[Text] = []
    supplement_policy: Annotated[str, Field(pattern="^(restart|pause)$")] = "restart"
    materials: list[Text] = []

    @model_validator(mode="after")
    def promise_within_law(self) -> ItemIn:
        if self.promised_limit_days > self.legal_limit_days:
            raise ValueError("promised_limit_days may not exceed legal_limit_days")
        return self


def _put(hall: Any, kind: str, code: str, body: BaseModel) -> dict[str, Any]:
    return dict(hall.intake.publish(kind, code, body.model_dump(mode="json")).as_dict())


@router.put("/v1/catalog/departments/{code}", tags=["catalogue"])
def put_department(code: Code, body: DepartmentIn, hall: HallDep, _: Admin) -> dict[str, Any]:
    """Create or rename a department (进驻单位)."""
    return _put(hall, "department", code, body)


@router.put("/v1/catalog/windows/{code}", tags=["catalogue"])
def put_window(code: Code, body: WindowIn, hall: HallDep, _: Admin) -> dict[str, Any]:
    """Create or change a numbered window (窗口) of a department."""
    return _put(hall, "window", code, body)


@router.put("/v1/catalog/items/{code}", tags=["catalogue"])
def put_item(code: Code, body: ItemIn, hall: HallDep, _: Admin) -> dict[str, Any]:
    """Create or revise an item (审批事项); cases keep the version they were accepted under."""
    return _put(hall, "item", code, body)


def _add_readers(kind: str, plural: str) -> None:
    def one(code: Code, hall: HallDep, _: Reader) -> dict[str, Any]:
        return dict(hall.intake.entry(kind, code).as_dict())

    def every(hall: HallDep, _: Reader) -> dict[str, Any]:
        return {plural: [e.as_dict() for e in hall.intake.entries(kind)]}

    router.add_api_route(
        f"/v1/catalog/{plural}/{{code}}",
        one,
        methods=["GET"],
        tags=["catalogue"],
        name=f"get_{kind}",
        description=f"The current version of one {kind}.",
    )
    router.add_api_route(
        f"/v1/catalog/{plural}",
        every,
        methods=["GET"],
        tags=["catalogue"],
        name=f"list_{plural}",
        description=f"Every {kind} in order of first publication.",
    )


for _kind in ("department", "window", "item"):
    _add_readers(_kind, _kind + "s")


CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN)]


@router.get("/v1/cases/{case_no}", tags=["cases"])
def get_case(case_no: CaseNo, hall: HallDep, actor: Reader) -> dict[str, Any]:
    """The case now: status, item, due date (working days), overdue, steps, fees, version."""
    history = hall.intake.case_history(case_no)
    view = fold_case(history, hall.intake.calendar, datetime.now(UTC))
    if actor.role == "window" and view.get("department") != actor.department:
        raise ApiError(403, "forbidden", "this case belongs to another department")
    return view | {"fees": hall.fees_of(case_no)}


@router.get("/v1/cases/{case_no}/history", tags=["cases"])
def get_history(
    case_no: CaseNo,
    hall: HallDep,
    _: Auditor,
    as_of: Annotated[Instant | None, Query()] = None,
) -> dict[str, Any]:
    """Every event of the case in order; with ``as_of``, only what was recorded by then."""
    history = hall.intake.case_history(case_no)
    if as_of is not None:
        history = [(p, e) for p, e in history if actor_of(e)["recorded_at"] <= as_of]
    events = [_entry(position, e) for position, e in history]
    body: dict[str, Any] = {"case_no": case_no, "events": events}
    if as_of is not None:
        body["as_of"] = as_of
        body["case"] = fold_case(history, hall.intake.calendar, as_of) if history else None
    return body


@router.get("/v1/audit/events", tags=["audit"])
def get_audit_events(
    hall: HallDep,
    _: Annotated[Actor, Depends(requires("auditor"))],
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,  # positions are 64-bit integers
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    log: Annotated[str, Query(pattern="^(intake|billing)$")] = "intake",
) -> dict[str, Any]:
    """A service's log in order from a position, for replays (personal data masked).

    Positions count within each service's log: ``log=intake`` (cases, catalogue) or
    ``log=billing`` (money)."""
    assert hall.followers is not None
    messages = hall.followers.sources.read(log, after, limit)
    events = [
        {"position": m.position, "recorded_at": m.recorded_at, **mask_payload(m.body)}
        for m in messages
    ]
    last = messages[-1].position if messages else after
    return {"log": log, "after": after, "next_after": last, "events": events}


def _entry(position: int, domain_event: Any) -> dict[str, Any]:
    return {
        "position": position,
        **actor_of(domain_event),
        **mask_payload(to_contract(domain_event)),
    }
