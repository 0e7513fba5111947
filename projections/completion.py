"""Completion statistics (办结率 and the rest): cohorts by acceptance day in China time.

Two kinds of question, two shapes of table:

- *as of now*, the common case: counters per (accepted_on, department, window_no, item_code,
  kind) in ``daily``, with the same per month in ``monthly`` and both rolled up per department
  (``departments``, ``department_months``).  Each batch folds the cases it touches and adds the
  difference between each case's new and old contribution, so a report reads its whole months
  and the days at either end, whatever the number of cases.  Whether an open case is past due
  depends on the day asked, not only on events, so open cases also sit in ``pending`` with
  their due date.
- *as of a past instant* ("the events that occurred by then"): ``cases`` keeps each case's facts
  with the instants they became true (UTC text, which SQL compares as strings) and its clock
  events, from which a due date that moved after that instant is folded again.

``names`` keeps the catalogue's names of departments, windows and items for the reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from projections.base import Projection
from projections.sources import Message
from projections.viewstore import Cursor, upsert
from services.intake.catalogue import entry_id
from services.intake.clock import (
    Pause,
    WorkCalendar,
    china_date,
    working_days_left,
    working_days_used,
)
from services.intake.deadline import CaseClock

COUNTERS = (
    "accepted", "completed", "on_spot", "on_time", "early", "late", "used_days", "legal_days",
    "rated", "satisfied", "unsatisfied",
)  # fmt: skip
FACTS = (
    "case_no", "department", "window_no", "item_code", "kind", "legal_days", "accepted_at",
    "accepted_on", "completed_at", "location", "withdrawn_at", "due_date", "paused", "moving",
    "on_spot", "on_time", "early", "used_days", "rating", "rated_at", "events",
)  # fmt: skip
PENDING = ("case_no", "accepted_on", "department", "window_no", "item_code", "kind", "due_date",
           "paused")  # fmt: skip
_EMPTY = dict.fromkeys(FACTS)
_FACTS_OF = itemgetter(*FACTS[:-1], "events_json")  # a row's values in column order
_PENDING_OF = itemgetter(*PENDING)
OPENING = {"case.received", "case.accepted"}
CLOSING = {"case.completed", "case.withdrawn", "case.refused"}
# Events after which the due date is no longer the one fixed at acceptance.
MOVING = {
    "case.supplement_requested", "case.supplement_received", "case.procedure_started",
    "case.procedure_ended", "case.suspended", "case.resumed", "case.extended",
}  # fmt: skip
CLOCK = OPENING | CLOSING | MOVING
RELEVANT = CLOCK | {"evaluation.submitted"}
CATALOGUE = {"catalog.entry.published", "catalog.entry.revised"}

_INT = "INTEGER NOT NULL DEFAULT 0"
_COUNTER_DDL = ", ".join(f"{c} {_INT}" for c in COUNTERS)

Key = tuple[str, str, str, str, str]  # accepted_on, department, window_no, item_code, kind
# The counter tables and their dimensions: per day and per month ("YYYY-MM"), at the finest
# grain and per department, so that a year grouped by department reads a few hundred rows.
GRAINS = {
    "daily": ("accepted_on", "department", "window_no", "item_code", "kind"),
    "monthly": ("accepted_month", "department", "window_no", "item_code", "kind"),
    "departments": ("accepted_on", "department", "kind"),
    "department_months": ("accepted_month", "department", "kind"),
}


# Open cases whose clock runs, counted by due date: "overdue now" is a sum over the due dates
# before today, instead of a look at every open case (100,000 of them took 21 ms a report).
OpenKey = tuple[str, str, str, str, str, str]  # a cohort Key and the due date
OPEN_GRAINS = {
    "open_daily": (*GRAINS["daily"], "due_date"),
    "open_departments": (*GRAINS["departments"], "due_date"),
}


def _counter_table(dimensions: Sequence[str], counters: str = _COUNTER_DDL) -> str:
    keys = ", ".join(f"{d} TEXT NOT NULL" for d in dimensions)
    return f"{keys}, {counters}, PRIMARY KEY ({', '.join(dimensions)})"


def _grain_key(key: tuple[str, ...], dimensions: Sequence[str]) -> tuple[str, ...]:
    """A cohort key (with its due date, for the open counts) at a table's grain."""
    day, department, window_no, item_code, kind, *due = key
    period = day[:7] if dimensions[0] == "accepted_month" else day
    if "window_no" not in dimensions:
        return period, department, kind, *due
    return period, department, window_no, item_code, kind, *due


class Completion(Projection):
    """Completion statistics: counters for now, per-case facts for any past instant."""

    name = "completion"
    version = 2  # 2: open cases counted by due date
    reads = frozenset(RELEVANT | CATALOGUE)
    tables = {  # noqa: RUF012 (class-level schema)
        **{grain: _counter_table(dimensions) for grain, dimensions in GRAINS.items()},
        **{grain: _counter_table(dims, f"open {_INT}") for grain, dims in OPEN_GRAINS.items()},
        "cases": "case_no TEXT PRIMARY KEY, department TEXT, window_no TEXT, item_code TEXT, "
        "kind TEXT, legal_days INTEGER, accepted_at TEXT, accepted_on TEXT, completed_at TEXT, "
        "location TEXT, withdrawn_at TEXT, due_date TEXT, paused INTEGER, moving INTEGER, "
        "on_spot INTEGER, on_time INTEGER, early INTEGER, used_days INTEGER, rating INTEGER, "
        "rated_at TEXT, events TEXT NOT NULL",
        "pending": "case_no TEXT PRIMARY KEY, accepted_on TEXT NOT NULL, department TEXT, "
        "window_no TEXT, item_code TEXT, kind TEXT, due_date TEXT, paused INTEGER NOT NULL",
        "names": "kind TEXT NOT NULL, code TEXT NOT NULL, name TEXT, entry TEXT NOT NULL, "
        "PRIMARY KEY (kind, code)",
    }
    indexes = (
        ("cases", "accepted_on"),
        ("pending", "accepted_on"),
        ("pending", "paused, accepted_on"),
        ("names", "entry"),
    )

    def apply(self, cur: Cursor, messages: Sequence[Message]) -> None:
        self._name(cur, [m for m in messages if m.type in CATALOGUE])
        case_messages = [m for m in messages if m.type in RELEVANT]
        if not case_messages:
            return
        rows = self.held(cur, "cases", {m.body["case_no"] for m in case_messages}, self._load)
        before = {case_no: contribution(row) for case_no, row in rows.items()}
        open_before = {case_no: open_key(row) for case_no, row in rows.items()}
        for m in case_messages:
            case_no = m.body["case_no"]
            row = rows.get(case_no)
            if row is None:
                row = rows[case_no] = {**_EMPTY, "case_no": case_no, "_clock": CaseClock()}
                row["events"] = []
            _advance(row, m)
        deltas: dict[Key, list[int]] = {}
        opened: dict[OpenKey, list[int]] = {}
        for case_no, row in rows.items():
            settle(row, self.context.calendar)
            _add(deltas, before.get(case_no), -1)
            _add(deltas, contribution(row), 1)
            _shift(opened, open_before.get(case_no), -1)
            _shift(opened, open_key(row), 1)
        self.changed(cur, "cases", rows, self._write_cases)
        changed = {k: v for k, v in deltas.items() if any(v)}
        opened = {k: v for k, v in opened.items() if any(v)}
        if self.memory is not None and self.memory.deferred:
            self.memory.add("cohorts", changed)
            self.memory.add("open", opened)
        else:
            self._write_counts(cur, changed, opened)

    def flush(self, cur: Cursor) -> None:
        super().flush(cur)
        if self.memory is not None:
            self._write_counts(cur, self.memory.take("cohorts"), self.memory.take("open"))

    def _name(self, cur: Cursor, messages: list[Message]) -> None:
        published = [m.body for m in messages if m.type == "catalog.entry.published"]
        cur.executemany(
            f"INSERT INTO {self.t('names')} (kind, code, name, entry) VALUES (?, ?, ?, ?) "  # noqa: S608
            "ON CONFLICT (kind, code) DO UPDATE SET name = excluded.name",
            [(b["kind"], b["code"], b["content"].get("name"), str(entry_id(b["kind"], b["code"])))
             for b in published],
        )  # fmt: skip
        # A revision names its entry by id only (see ``services.intake.catalogue.entry_id``).
        revised = [m.body for m in messages if m.type == "catalog.entry.revised"]
        cur.executemany(
            f"UPDATE {self.t('names')} SET name = ? WHERE entry = ?",  # noqa: S608
            [(b["content"].get("name"), str(b["entry_id"])) for b in revised if "entry_id" in b],
        )

    def _load(self, cur: Cursor, case_nos: set[str]) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for row in self.select_rows(cur, "cases", FACTS, "case_no", case_nos):
            row["events"] = events = json.loads(row["events"])
            row["_clock"] = fold(events)
            row["_last"] = china_date(datetime.fromisoformat(events[-1][1]))
            row["_pending"] = is_open(row)  # an open case has its row in ``pending``
            rows[row["case_no"]] = row
        return rows

    def _write_cases(self, cur: Cursor, rows: list[dict[str, Any]], new: bool) -> None:
        for row in rows:
            row["events_json"] = json.dumps(row["events"])
        upsert(cur, self.t("cases"), FACTS, 1, [_FACTS_OF(r) for r in rows], new=new)
        pending = [_PENDING_OF(r) for r in rows if is_open(r)]
        upsert(cur, self.t("pending"), PENDING, 1, pending, new=new)
        cur.executemany(
            f"DELETE FROM {self.t('pending')} WHERE case_no = ?",  # noqa: S608
            [(r["case_no"],) for r in rows if r.get("_pending") and not is_open(r)],
        )
        for row in rows:
            row["_pending"] = is_open(row)

    def _write_counts(
        self, cur: Cursor, deltas: dict[Key, list[int]], opened: dict[OpenKey, list[int]]
    ) -> None:
        for grain, dimensions in GRAINS.items():
            self._add_to(cur, grain, dimensions, COUNTERS, deltas.items())
        for grain, dimensions in OPEN_GRAINS.items():
            self._add_to(cur, grain, dimensions, ("open",), opened.items())

    def _add_to(
        self,
        cur: Cursor,
        grain: str,
        dimensions: Sequence[str],
        counters: Sequence[str],
        deltas: Iterable[tuple[tuple[str, ...], list[int]]],
    ) -> None:
        rolled: dict[tuple[str, ...], list[int]] = {}
        for key, vector in deltas:
            total = rolled.setdefault(_grain_key(key, dimensions), [0] * len(counters))
            total[:] = [a + b for a, b in zip(total, vector, strict=True)]
        table = self.t(grain)
        # In key order: a partitioned rebuild's workers add to the same counter rows, and rows
        # locked in one order by every transaction cannot deadlock.
        upsert(
            cur,
            table,
            (*dimensions, *counters),
            len(dimensions),
            [(*key, *vector) for key, vector in sorted(rolled.items()) if any(vector)],
            updates=", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counters),
        )


def is_open(row: Mapping[str, Any]) -> bool:
    """Accepted, and neither completed nor withdrawn."""
    return (
        row.get("accepted_at") is not None
        and row.get("completed_at") is None
        and (row.get("withdrawn_at") is None)
    )


def utc_text(instant: datetime) -> str:
    """An instant as fixed-width UTC text, so that SQL compares instants as plain strings."""
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _advance(row: dict[str, Any], m: Message) -> None:
    body = m.body
    occurred: datetime = body["occurred_at"]
    if m.type == "evaluation.submitted":
        row["rating"], row["rated_at"] = int(body["rating"]), utc_text(occurred)
        return
    fields: dict[str, Any] = {}
    if m.type in OPENING:
        terms = body["item"]
        row |= {"department": terms["department"], "window_no": body["window_no"],
                "item_code": terms["item_code"], "kind": terms["kind"],
                "legal_days": int(terms.get("legal_limit_days") or 0)}  # fmt: skip
        fields["item"] = {k: terms.get(k) for k in ("promised_limit_days", "supplement_policy")}
        if m.type == "case.accepted":
            row["accepted_at"] = utc_text(occurred)
    elif m.type == "case.extended":
        fields["extra_days"] = body["extra_days"]
    if m.type in MOVING:
        row["moving"] = 1
    elif m.type == "case.completed":
        row["completed_at"], row["location"] = utc_text(occurred), body.get("location")
    elif m.type == "case.withdrawn":
        row["withdrawn_at"] = utc_text(occurred)
    row["events"].append([m.type, occurred.isoformat(), fields])
    row["_clock"].apply(m.type, body)
    row["_last"] = china_date(occurred)


def fold(events: Sequence[Sequence[Any]], until: datetime | None = None) -> CaseClock:
    """A case's clock from its stored clock events (those that occurred by ``until``)."""
    clock = CaseClock()
    for type_, at, fields in events:
        occurred = datetime.fromisoformat(at)
        if until is not None and occurred > until:
            continue
        clock.apply(type_, {"occurred_at": occurred, **fields})
    return clock


def settle(row: dict[str, Any], calendar: WorkCalendar) -> None:
    """Derive the row's due date and completion facts from its clock."""
    clock: CaseClock = row["_clock"]
    row["moving"] = row.get("moving") or 0
    row["paused"] = int(clock.paused)
    if clock.accepted_on is None:
        return
    row["accepted_on"] = clock.accepted_on.isoformat()
    # A paused case's due date moves with the day asked: `pending` marks it for the reader.
    deadline = clock.deadline(calendar, clock.completed_on or row["_last"])
    row["due_date"] = deadline.due.isoformat() if deadline else None
    done = clock.completed_on
    if done is None or deadline is None or clock.status == "withdrawn":
        return
    row["on_spot"] = int(done == clock.accepted_on and row.get("location") == "hall")
    row["on_time"] = int(done <= deadline.due)
    row["early"] = int(working_days_left(calendar, deadline, done) >= 1)
    row["used_days"] = used_days(clock, calendar, done)


def used_days(clock: CaseClock, calendar: WorkCalendar, completed_on: date) -> int:
    """Working days the office spent on a case: clock start to completion, pauses excluded."""
    start = clock.start(calendar)
    assert start is not None
    pauses = [Pause(a, b) for a, b in clock.pauses]
    pauses += [Pause(a, None) for a in clock.open_pauses.values()]
    if clock.supplement_since is not None and clock.pause_on_supplement:
        pauses.append(Pause(clock.supplement_since, None))
    return working_days_used(
        calendar,
        accepted_on=start,
        completed_on=completed_on,
        pauses=pauses,
        restarted_on=clock.restarted_on,
    ).days


def contribution(row: Mapping[str, Any]) -> tuple[Key, list[int]] | None:
    """What one case adds to its cohort's counters now (None before acceptance)."""
    if row.get("accepted_at") is None or row.get("accepted_on") is None:
        return None
    key: Key = (row["accepted_on"], row["department"], row["window_no"], row["item_code"],
                row["kind"])  # fmt: skip
    done = row.get("completed_at") is not None
    on_time = done and bool(row.get("on_time"))
    rating = row.get("rating")
    return key, [
        1,
        int(done),
        int(done and bool(row.get("on_spot"))),
        int(on_time),
        int(done and bool(row.get("early"))),
        int(done and not on_time),
        (row.get("used_days") or 0) if done else 0,
        (row.get("legal_days") or 0) if done else 0,
        int(rating is not None),
        int(rating is not None and rating >= 3),
        int(rating is not None and rating <= 2),
    ]


def open_key(row: Mapping[str, Any]) -> OpenKey | None:
    """Where an open case whose clock runs is counted by due date (None otherwise)."""
    if not is_open(row) or row.get("paused") or not row.get("due_date"):
        return None
    return (row["accepted_on"], row["department"], row["window_no"], row["item_code"],
            row["kind"], row["due_date"])  # fmt: skip


def _shift(opened: dict[OpenKey, list[int]], key: OpenKey | None, sign: int) -> None:
    if key is not None:
        opened.setdefault(key, [0])[0] += sign


def _add(deltas: dict[Key, list[int]], part: tuple[Key, list[int]] | None, sign: int) -> None:
    if part is None:
        return
    key, vector = part
    total = deltas.setdefault(key, [0] * len(COUNTERS))
    for i, value in enumerate(vector):
        total[i] += sign * value
