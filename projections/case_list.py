"""The management case list: every case with where it stands, filterable and paged."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from projections.base import Projection
from projections.sources import Message
from projections.viewstore import Cursor, upsert
from services.intake.clock import WorkCalendar, china_date
from services.intake.deadline import CLOCK_TYPES, CaseClock

COLUMNS = (
    "case_no",
    "status",
    "kind",
    "department",
    "window_no",
    "item_code",
    "received_at",
    "accepted_at",
    "accepted_on",
    "completed_at",
    "due_date",
    "provisional",
    "paused",
    "clock",
)


class CaseList(Projection):
    """One row per case; ``clock`` keeps the due-date state between batches."""

    name = "case_list"
    version = 2  # 2: a paused case's stored due date is as of its last clock event
    reads = CLOCK_TYPES
    tables = {  # noqa: RUF012 (class-level schema)
        "cases": "case_no TEXT PRIMARY KEY, status TEXT NOT NULL, kind TEXT, department TEXT, "
        "window_no TEXT, item_code TEXT, received_at TEXT, accepted_at TEXT, accepted_on TEXT, "
        "completed_at TEXT, due_date TEXT, provisional INTEGER NOT NULL DEFAULT 0, "
        "paused INTEGER NOT NULL DEFAULT 0, clock TEXT NOT NULL"
    }
    indexes = (("cases", "department, status"), ("cases", "accepted_on"), ("cases", "due_date"))

    def apply(self, cur: Cursor, messages: Sequence[Message]) -> None:
        case_messages = [m for m in messages if m.type in CLOCK_TYPES]
        if not case_messages:
            return
        rows = self.held(cur, "cases", {m.body["case_no"] for m in case_messages}, self._load)
        for m in case_messages:
            row = rows.setdefault(m.body["case_no"], {"case_no": m.body["case_no"]})
            _advance(row, m.type, m.body)
        for row in rows.values():
            clock: CaseClock = row["_clock"]
            deadline = clock.deadline(self.context.calendar, clock.completed_on or row["_last"])
            row |= {
                "status": clock.status,
                "accepted_on": clock.accepted_on.isoformat() if clock.accepted_on else None,
                "due_date": deadline.due.isoformat() if deadline else None,
                "provisional": int(bool(deadline and deadline.provisional)),
                "paused": int(clock.paused),
            }
        self.changed(cur, "cases", rows, self._write)

    def _write(self, cur: Cursor, rows: list[dict[str, Any]], new: bool) -> None:
        for row in rows:
            row["clock"] = json.dumps(row["_clock"].to_dict())
        values = [tuple(r.get(c) for c in COLUMNS) for r in rows]
        upsert(cur, self.t("cases"), COLUMNS, 1, values, new=new)

    def _load(self, cur: Cursor, case_nos: set[str]) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for row in self.select_rows(cur, "cases", COLUMNS, "case_no", case_nos):
            row["_clock"] = CaseClock.from_dict(json.loads(row["clock"]))
            rows[row["case_no"]] = row
        return rows


def _advance(row: dict[str, Any], type_: str, body: Mapping[str, Any]) -> None:
    clock: CaseClock = row.setdefault("_clock", CaseClock())
    clock.apply(type_, body)
    at = body["occurred_at"].isoformat()
    row["_last"] = china_date(body["occurred_at"])
    if type_ in {"case.received", "case.accepted"}:
        terms = body["item"]
        row |= {
            "kind": terms["kind"],
            "department": terms["department"],
            "window_no": body["window_no"],
            "item_code": terms["item_code"],
        }
        row["received_at"] = row.get("received_at") or at
        if type_ == "case.accepted":
            row["accepted_at"] = at
    elif type_ == "case.completed":
        row["completed_at"] = at


@dataclass(frozen=True)
class CaseFilter:
    """What management may filter the case list by."""

    status: str | None = None
    department: str | None = None
    window_no: str | None = None
    item_code: str | None = None
    accepted_from: date | None = None
    accepted_to: date | None = None
    overdue: bool | None = None


def list_cases(
    cur: Cursor, wanted: CaseFilter, today: date, calendar: WorkCalendar, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of cases (newest acceptance first) and how many match in all."""
    where, params = ["1 = 1"], []
    for column in ("status", "department", "window_no", "item_code"):
        if getattr(wanted, column) is not None:
            where.append(f"{column} = ?")
            params.append(getattr(wanted, column))
    if wanted.accepted_from:
        where.append("accepted_on >= ?")
        params.append(wanted.accepted_from.isoformat())
    if wanted.accepted_to:
        where.append("accepted_on <= ?")
        params.append(wanted.accepted_to.isoformat())
    if wanted.overdue is not None:
        # A paused case keeps the due date it had when its clock stopped: the pause moves the
        # due date as fast as time passes, so it is overdue iff it was overdue then.
        late = "status = 'accepted' AND due_date < ?"
        where.append(late if wanted.overdue else f"NOT ({late})")
        params.append(today.isoformat())
    sql = f"FROM {CaseList.view('cases')} WHERE {' AND '.join(where)}"
    cur.execute(f"SELECT COUNT(*) {sql}", params)
    (total,) = cur.fetchone() or (0,)
    cur.execute(
        f"SELECT {', '.join(COLUMNS)} {sql} ORDER BY accepted_on DESC, case_no LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    rows = [
        _shown(dict(zip(COLUMNS, values, strict=True)), today, calendar)
        for values in cur.fetchall()
    ]
    return rows, int(total)


def _shown(row: dict[str, Any], today: date, calendar: WorkCalendar) -> dict[str, Any]:
    clock = CaseClock.from_dict(json.loads(row.pop("clock")))
    row["stored_due"] = row["due_date"]
    deadline = clock.deadline(calendar, today) if row["paused"] else None
    due = deadline.due.isoformat() if deadline else row["due_date"]
    row |= {"due_date": due, "provisional": bool(row["provisional"]), "paused": bool(row["paused"])}
    stored_due = row.pop("stored_due", row["due_date"])
    row["overdue"] = (
        row["status"] == "accepted" and stored_due is not None and (stored_due < today.isoformat())
    )
    return row
