"""The alert board: each open case's level at any instant (warning, yellow card, red card).

Levels depend on time, not only on events, so the table keeps each case's clock events and the
level is computed when asked, for the instant asked: ``as_of`` now or in the past gives what a
replay of the events that occurred by then gives.

- ``warning``: at most 1 working day left, or at least 90% of the working days used;
- ``yellow``: overdue;
- ``red``: overdue by at least M working days (default 5).

The thresholds are the operator's (``HALL_ALERT_*`` settings, carried by ``Context``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from projections.base import Context, Projection
from projections.sources import Message
from projections.viewstore import Cursor, upsert
from services.intake.clock import Pause, china_date, working_days_left, working_days_used
from services.intake.deadline import CLOCK_TYPES, CaseClock

# the fields of each event that the clock needs, so the table stays small
CLOCK_FIELDS = ("extra_days",)
CLOSING = {"case.refused", "case.withdrawn", "case.completed"}
COLUMNS = (
    "case_no",
    "department",
    "window_no",
    "item_code",
    "kind",
    "opened_at",
    "closed_at",
    "events",
)


class AlertBoard(Projection):
    """One row per case with its clock events; closed cases keep their closing time."""

    name = "alert_board"
    reads = CLOCK_TYPES  # rows written before this kept other events too: the fold skips them
    tables = {  # noqa: RUF012 (class-level schema)
        "cases": "case_no TEXT PRIMARY KEY, department TEXT, window_no TEXT, item_code TEXT, "
        "kind TEXT, opened_at TEXT, closed_at TEXT, events TEXT NOT NULL"
    }
    indexes = (("cases", "closed_at"), ("cases", "opened_at"))

    def apply(self, cur: Cursor, messages: Sequence[Message]) -> None:
        case_messages = [m for m in messages if m.type in CLOCK_TYPES]
        if not case_messages:
            return
        rows = self.held(cur, "cases", {m.body["case_no"] for m in case_messages}, self._load)
        for m in case_messages:
            _advance(
                rows.setdefault(m.body["case_no"], {"case_no": m.body["case_no"], "events": []}), m
            )
        self.changed(cur, "cases", rows, self._write)

    def _load(self, cur: Cursor, case_nos: set[str]) -> dict[str, dict[str, Any]]:
        rows = {}
        for row in self.select_rows(cur, "cases", COLUMNS, "case_no", case_nos):
            row["events"] = json.loads(row["events"])
            rows[row["case_no"]] = row
        return rows

    def _write(self, cur: Cursor, rows: list[dict[str, Any]], new: bool) -> None:
        values = [
            tuple(json.dumps(r["events"]) if c == "events" else r.get(c) for c in COLUMNS)
            for r in rows
        ]
        upsert(cur, self.t("cases"), COLUMNS, 1, values, new=new)


def _advance(row: dict[str, Any], m: Message) -> None:
    body = m.body
    at = body["occurred_at"].isoformat()
    if m.type in {"case.received", "case.accepted"}:
        terms = body["item"]
        row |= {
            "department": terms["department"],
            "window_no": body["window_no"],
            "item_code": terms["item_code"],
            "kind": terms["kind"],
        }
        if m.type == "case.accepted":
            row["opened_at"] = _utc(body["occurred_at"])
        compact: dict[str, Any] = {
            "item": {k: terms.get(k) for k in ("promised_limit_days", "supplement_policy")}
        }
    else:
        compact = {k: body[k] for k in CLOCK_FIELDS if k in body}
    if m.type in CLOSING:
        row["closed_at"] = _utc(body["occurred_at"])
    row["events"].append([m.type, at, compact])


def _utc(instant: datetime) -> str:
    # UTC with a fixed width, so that SQL compares instants as plain strings.
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Alert:
    """One open case's standing at an instant."""

    case_no: str
    level: str | None
    due_date: str | None
    working_days_left: int | None
    department: str | None
    window_no: str | None
    item_code: str | None


def level_of(events: list[list[Any]], as_of: datetime, context: Context) -> Alert | None:
    """Fold the clock events that occurred by ``as_of`` and grade the case (None: not open)."""
    clock = CaseClock()
    for type_, at, fields in events:
        occurred = datetime.fromisoformat(at)
        if occurred > as_of:
            break
        clock.apply(type_, {"occurred_at": occurred, **fields})
    today = china_date(as_of)
    deadline = clock.deadline(context.calendar, today)
    if deadline is None or clock.status != "accepted":
        return None
    left = working_days_left(context.calendar, deadline, today)
    limit = clock.limit_days + clock.extension_days
    start = clock.start(context.calendar)
    assert start is not None
    pauses = [Pause(a, b) for a, b in clock.pauses] + [
        Pause(a, None) for a in clock.open_pauses.values()
    ]
    used = working_days_used(
        context.calendar,
        accepted_on=start,
        completed_on=today,
        pauses=[p if p.last else Pause(p.first, today) for p in pauses],
        restarted_on=clock.restarted_on,
    ).days
    level = None
    if left < 0:
        level = "red" if -left >= context.red_after_days else "yellow"
    elif left <= context.warning_days_left or (limit > 0 and used >= context.warning_share * limit):
        level = "warning"
    return Alert("", level, deadline.due.isoformat(), left, None, None, None)


def board(
    cur: Cursor, as_of: datetime, context: Context, filters: Mapping[str, str] | None = None
) -> list[Alert]:
    """Every case open at ``as_of`` that has a level, worst first."""
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM {AlertBoard.view('cases')} "  # noqa: S608
        "WHERE opened_at <= ? AND (closed_at IS NULL OR closed_at > ?)"
    )
    stamp = _utc(as_of)
    params: list[Any] = [stamp, stamp]
    for column, value in (filters or {}).items():
        assert column in {"department", "window_no", "item_code"}
        sql += f" AND {column} = ?"
        params.append(value)
    cur.execute(sql, params)
    alerts = []
    for values in cur.fetchall():
        row = dict(zip(COLUMNS, values, strict=True))
        graded = level_of(json.loads(row["events"]), as_of, context)
        if graded is not None and graded.level is not None:
            alerts.append(
                Alert(
                    row["case_no"],
                    graded.level,
                    graded.due_date,
                    graded.working_days_left,
                    row["department"],
                    row["window_no"],
                    row["item_code"],
                )
            )
    order = {"red": 0, "yellow": 1, "warning": 2}
    return sorted(alerts, key=lambda a: (order[a.level or ""], a.working_days_left or 0, a.case_no))
