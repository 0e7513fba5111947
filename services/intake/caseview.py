"""What a person sees of one case, folded from its events (never from aggregate state)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from events.masking import mask_payload
from services.intake.clock import WorkCalendar, china_date, working_days_left
from services.intake.deadline import CLOSED, CaseClock
from services.intake.translate import to_contract

STEP_FIELDS = ("step", "decision", "location", "to_unit", "to_staff", "signer_title")


def fold_case(
    events: list[tuple[int, Any]], calendar: WorkCalendar, now: datetime
) -> dict[str, Any]:
    """The case view of stored ``events`` (position, domain event) as of ``now``."""
    clock = CaseClock()
    view: dict[str, Any] = {"steps": [], "supplements": 0}
    for _, domain_event in events:
        body = to_contract(domain_event)
        clock.apply(body["type"], body)
        _show(view, body["type"], body)
    view["status"] = clock.status
    view["paused"] = clock.paused
    view |= _deadline_fields(clock, calendar, china_date(now))
    view["version"] = events[-1][1].originator_version if events else 0
    return view


def _show(view: dict[str, Any], type_: str, body: Mapping[str, Any]) -> None:
    at = body["occurred_at"]
    if type_ in {"case.received", "case.accepted"}:
        terms = body["item"]
        view |= {
            "case_no": body["case_no"],
            "item": {
                "code": terms["item_code"],
                "name": terms.get("name"),
                "version": terms["item_version"],
            },
            "kind": terms["kind"],
            "department": terms["department"],
            "window_no": body["window_no"],
            "applicant": mask_payload(body["applicant"]),
            "special_care": bool(body.get("special_care", False)),
        }
        view.setdefault("received_at", at)
        if type_ == "case.accepted":
            view["accepted_at"] = at
    elif type_ == "case.supplement_requested":
        view["supplements"] += 1
    elif type_ in {"case.transferred", "case.signed"}:
        step = {"type": type_, "at": at, "staff_id": body.get("staff_id")}
        view["steps"].append(step | {k: body[k] for k in STEP_FIELDS if k in body})
    elif type_ == "case.completed":
        view |= {
            "completed_at": at,
            "result": body["result"],
            "certificate_no": body.get("certificate_no"),
            "completed_location": body["location"],
        }
    elif type_ == "case.delivered":
        view["delivered_at"] = at
    elif type_ == "evaluation.submitted":
        view["rating"] = body["rating"]


def _deadline_fields(clock: CaseClock, calendar: WorkCalendar, today: Any) -> dict[str, Any]:
    deadline = clock.deadline(calendar, today)
    if deadline is None:
        return {
            "due_date": None,
            "due_date_provisional": False,
            "overdue": False,
            "working_days_left": None,
        }
    left = working_days_left(calendar, deadline, clock.completed_on or today)
    return {
        "due_date": deadline.due,
        "due_date_provisional": deadline.provisional,
        "overdue": clock.status not in CLOSED and left < 0,
        "working_days_left": None if clock.completed_on else left,
    }
