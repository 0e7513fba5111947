"""What a person sees of one case, folded from its events (never from aggregate state).

The due date is a pure function of the case's events and the calendar (domain.md, "Time"):
acceptance (or deemed acceptance on receipt), pauses, 补正 restarts and extensions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from events.masking import mask_payload
from services.intake.clock import (
    Deadline,
    Pause,
    WorkCalendar,
    china_date,
    due_date,
    working_days_left,
)
from services.intake.translate import contract_type
from services.stamp import Stamp

PAUSE_STARTS = {"case.procedure_started": "procedure", "case.suspended": "suspension"}
PAUSE_ENDS = {"case.procedure_ended": "procedure", "case.resumed": "suspension"}
STATUS_AFTER = {
    "case.received": "received",
    "case.accepted": "accepted",
    "case.refused": "refused",
    "case.withdrawn": "withdrawn",
    "case.completed": "completed",
    "case.delivered": "delivered",
}
NOTICE_DAYS = 5  # 行政许可法 art. 32: a 补正 notice later than this means accepted on receipt


@dataclass
class _Fold:
    terms: dict[str, Any] = field(default_factory=dict)
    status: str = "received"
    received_on: date | None = None
    accepted_on: date | None = None
    first_notice_on: date | None = None
    completed_on: date | None = None
    restarted_on: date | None = None
    extension_days: int = 0
    pauses: list[Pause] = field(default_factory=list)
    open_pauses: dict[str, date] = field(default_factory=dict)
    supplement_since: date | None = None


def fold_case(
    events: list[tuple[int, Any]], calendar: WorkCalendar, now: datetime
) -> dict[str, Any]:
    """The case view of ``events`` (position, domain event) as of ``now``."""
    fold = _Fold()
    view: dict[str, Any] = {"steps": [], "supplements": 0}
    for _position, domain_event in events:
        _apply(fold, view, domain_event)
    today = china_date(now)
    view["status"] = fold.status
    view["paused"] = bool(fold.open_pauses) or fold.supplement_since is not None
    deadline = _deadline(fold, calendar, today)
    view |= _deadline_fields(fold, calendar, deadline, today)
    view["version"] = events[-1][1].originator_version if events else 0
    return view


def _apply(fold: _Fold, view: dict[str, Any], e: Any) -> None:
    kind = contract_type(e)
    stamp: Stamp = e.stamp
    day = china_date(stamp.occurred_at)
    fold.status = STATUS_AFTER.get(kind, fold.status)
    if kind in {"case.received", "case.accepted"}:
        fold.terms = e.terms
        view |= {
            "case_no": stamp.case_no,
            "item": {
                "code": e.terms["item_code"],
                "name": e.terms.get("name"),
                "version": e.terms["item_version"],
            },
            "kind": e.terms["kind"],
            "department": e.terms["department"],
            "window_no": e.window_no,
            "applicant": mask_payload(e.applicant),
            "special_care": bool(e.special_care),
        }
        if kind == "case.received" or fold.received_on is None:
            fold.received_on = fold.received_on or day
            view.setdefault("received_at", stamp.occurred_at)
        if kind == "case.accepted":
            fold.accepted_on, view["accepted_at"] = day, stamp.occurred_at
    elif kind == "case.supplement_requested":
        view["supplements"] += 1
        if fold.accepted_on is None:
            fold.first_notice_on = fold.first_notice_on or day
        else:
            fold.supplement_since = day
    elif kind == "case.supplement_received" and fold.supplement_since is not None:
        if fold.terms.get("supplement_policy", "restart") == "pause":
            fold.pauses.append(Pause(fold.supplement_since, day))
        else:
            fold.restarted_on = day
        fold.supplement_since = None
    elif kind in PAUSE_STARTS:
        fold.open_pauses[PAUSE_STARTS[kind]] = day
    elif kind in PAUSE_ENDS:
        first = fold.open_pauses.pop(PAUSE_ENDS[kind], None)
        if first is not None:
            fold.pauses.append(Pause(first, day))
    elif kind == "case.extended":
        fold.extension_days += e.extra_days
    elif kind in {"case.transferred", "case.signed"}:
        step = {"type": kind, "at": stamp.occurred_at, "staff_id": stamp.staff_id}
        step |= {k: v for k, v in vars(e).items() if k in _STEP_FIELDS}
        view["steps"].append(step)
    elif kind == "case.completed":
        fold.completed_on = day
        view |= {
            "completed_at": stamp.occurred_at,
            "result": e.result,
            "certificate_no": e.certificate_no,
            "completed_location": e.location,
        }
    elif kind == "case.delivered":
        view["delivered_at"] = stamp.occurred_at
    elif kind == "evaluation.submitted":
        view["rating"] = e.rating


_STEP_FIELDS = {"step", "decision", "location", "to_unit", "to_staff", "signer_title"}


def _deadline(fold: _Fold, calendar: WorkCalendar, today: date) -> Deadline | None:
    if fold.accepted_on is None or (fold.status in {"refused", "withdrawn"} and not fold.terms):
        return None
    start = fold.accepted_on
    if fold.received_on is not None and fold.received_on < start:
        notice_by = calendar.add_working_days(fold.received_on, NOTICE_DAYS).day
        late = fold.first_notice_on is None or fold.first_notice_on > notice_by
        if late and start > notice_by:
            start = fold.received_on  # deemed accepted on receipt
    pauses = list(fold.pauses) + [Pause(first, None) for first in fold.open_pauses.values()]
    if fold.supplement_since is not None and fold.terms.get("supplement_policy") == "pause":
        pauses.append(Pause(fold.supplement_since, None))
    return due_date(
        calendar,
        accepted_on=start,
        limit_days=int(fold.terms.get("promised_limit_days", 0)),
        pauses=pauses,
        restarted_on=fold.restarted_on,
        extension_days=fold.extension_days,
        today=fold.completed_on or today,
    )


def _deadline_fields(
    fold: _Fold, calendar: WorkCalendar, deadline: Deadline | None, today: date
) -> dict[str, Any]:
    if deadline is None:
        return {
            "due_date": None,
            "due_date_provisional": False,
            "overdue": False,
            "working_days_left": None,
        }
    closed = fold.status in {"refused", "withdrawn"}
    on = fold.completed_on or today
    left = working_days_left(calendar, deadline, on)
    return {
        "due_date": deadline.due,
        "due_date_provisional": deadline.provisional,
        "overdue": not closed and left < 0,
        "working_days_left": None if closed or fold.completed_on else left,
    }
