"""The completion report and the monthly bulletin as protocol.md's JSON (pure queries).

Rates follow domain.md: percentages half-up to two decimals, never "100.00" below 100%, null
when there is nothing to divide by; counts travel exactly beside them; money is text in yuan
with two decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from projections.completion import Completion
from projections.completion_query import (
    PROMISES,
    Counts,
    by_group,
    overdue_cases,
    sum_counts,
    tally,
)
from projections.viewstore import Cursor
from services.intake.clock import WorkCalendar, china_date

FEES = ("collected", "refunded", "remitted", "unremitted")
CENT = Decimal("0.01")
NAMED = {"department": "department", "window": "window", "item": "item"}


def percent(part: int, whole: int) -> str | None:
    """part ÷ whole as a percentage, half-up to two decimals; never "100.00" below 100%."""
    if whole == 0:
        return None
    value = half_up(part * 100, whole)
    if value == 100 and part < whole:
        value = Decimal("99.99")
    return str(value)


def half_up(numerator: int, denominator: int) -> Decimal:
    """numerator ÷ denominator rounded half away from zero to two decimals, exactly."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return Decimal(sign * ((n * 200 + d) // (2 * d))).scaleb(-2)


def fee_totals(cur: Cursor, first: date, last: date) -> dict[str, dict[str, Decimal]]:
    """Money per department and day from the fee ledger (empty until that projection exists).

    The ledger is kept per day: with ``as_of`` the caller cuts ``last`` at that day.
    """
    cur.execute("SELECT 1 FROM projection_registry WHERE projection = ?", ("fee_ledger",))
    if cur.fetchone() is None:
        return {}
    cur.execute(
        "SELECT department, collected, refunded, remitted FROM fee_ledger_days "
        "WHERE day BETWEEN ? AND ?",
        (first.isoformat(), last.isoformat()),
    )
    totals: dict[str, dict[str, Decimal]] = {}
    for department, *amounts in cur.fetchall():
        sums = totals.setdefault(str(department), dict.fromkeys(FEES, Decimal(0)))
        for name, amount in zip(FEES, amounts, strict=False):
            sums[name] += Decimal(amount or 0)
    for sums in totals.values():
        sums["unremitted"] = sums["collected"] - sums["refunded"] - sums["remitted"]
    return totals


def money(sums: Mapping[str, Decimal] | None) -> dict[str, str]:
    return {name: str((sums or {}).get(name, Decimal(0)).quantize(CENT)) for name in FEES}


def names_of(cur: Cursor, kind: str) -> dict[str, str]:
    """The catalogue's names of one kind of entry (department, window, item)."""
    cur.execute(
        f"SELECT code, name FROM {Completion.view('names')} WHERE kind = ?",  # noqa: S608
        (kind,),
    )
    return {str(code): str(name) for code, name in cur.fetchall()}


def promise_block(c: Counts) -> dict[str, Any]:
    """承诺件 (and 联办件, 上报件): completion, timeliness, overdue, time used."""
    return {
        "accepted": c.accepted,
        "completed": c.completed,
        "rate": percent(c.completed, c.accepted),
        "on_time": c.on_time,
        "on_time_rate": percent(c.on_time, c.completed),
        "overdue_open": c.overdue_open,
        "completed_late": c.late,
        "early": c.early,
        "avg_working_days": str(half_up(c.used_days, c.completed)) if c.completed else None,
        "speedup_rate": percent(c.legal_days - c.used_days, c.legal_days),
    }


def blocks(by_kind: Mapping[str, Counts]) -> dict[str, Any]:
    """The report's figures for one set of cohorts, by kind."""
    total = sum_counts(by_kind.values())
    immediate = by_kind.get("immediate", Counts())
    out: dict[str, Any] = {
        "total": {
            "accepted": total.accepted,
            "completed": total.completed,
            "rate": percent(total.completed, total.accepted),
        },
        "immediate": {
            "accepted": immediate.accepted,
            "completed_on_spot": immediate.on_spot,
            "rate": percent(immediate.on_spot, immediate.accepted),
            "completed": immediate.completed,
        },
    }
    for kind in PROMISES:
        counts = by_kind.get(kind, Counts())
        if kind != "forwarded" or counts.accepted:
            out[kind] = promise_block(counts)
    out["ratings"] = {
        "count": total.rated,
        "satisfied": total.satisfied,
        "unsatisfied": total.unsatisfied,
        "satisfied_rate": percent(total.satisfied, total.rated),
        "unsatisfied_rate": percent(total.unsatisfied, total.rated),
    }
    return out


def completion_report(
    cur: Cursor,
    *,
    first: date,
    last: date,
    calendar: WorkCalendar,
    now: datetime,
    as_of: datetime | None = None,
    group_by: str | None = None,
) -> dict[str, Any]:
    """``GET /v1/reports/completion`` as protocol.md shows it."""
    result = tally(cur, first, last, group_by, calendar, now, as_of)
    fees = fee_totals(cur, first, min(last, china_date(as_of)) if as_of else last)
    totals: dict[str, Counts] = {}
    for (_, kind), counts in result.items():
        totals.setdefault(kind, Counts()).__iadd__(counts)
    report: dict[str, Any] = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "as_of": (as_of or now).isoformat(),
        **blocks(totals),
        "fees": money(_sum_fees(fees.values())),
        "rows": [],
    }
    if group_by is None:
        return report
    grouped = by_group(result)
    if group_by == "department":
        grouped |= {key: {} for key in fees if key not in grouped}
    names = names_of(cur, group_by)
    for key in sorted(grouped):
        row = {"key": key, "name": names.get(key), **blocks(grouped[key])}
        row["fees"] = money(fees.get(key)) if group_by == "department" else None
        report["rows"].append(row)
    return report


def _sum_fees(parts: Iterable[Mapping[str, Decimal]]) -> dict[str, Decimal]:
    total = dict.fromkeys(FEES, Decimal(0))
    for part in parts:
        for name in FEES:
            total[name] += part[name]
    return total


def bulletin(
    cur: Cursor,
    *,
    month: date,
    calendar: WorkCalendar,
    now: datetime,
    as_of: datetime | None = None,
    ranked: int = 3,
) -> dict[str, Any]:
    """工作简报: per department figures, the overdue list and the best and worst units."""
    first = month.replace(day=1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    at = as_of or now
    result = tally(cur, first, last, "department", calendar, now, as_of)
    fees = fee_totals(cur, first, min(last, china_date(as_of)) if as_of else last)
    grouped = by_group(result)
    grouped |= {key: {} for key in fees if key not in grouped}
    names = names_of(cur, "department")
    units = [_unit(key, names.get(key), grouped[key], fees.get(key)) for key in sorted(grouped)]
    totals: dict[str, Counts] = {}
    for (_, kind), counts in result.items():
        totals.setdefault(kind, Counts()).__iadd__(counts)
    items = names_of(cur, "item")
    overdue = [
        {**case, "department_name": names.get(case["department"]),
         "item_name": items.get(case["item_code"])}
        for case in overdue_cases(cur, first, last, at, calendar)
    ]  # fmt: skip
    order = sorted((u for u in units if u["_promise"].completed), key=_standing)
    top = order[:ranked]
    bottom = [u for u in reversed(order) if u not in top][:ranked]
    return {
        "month": first.strftime("%Y-%m"),
        "from": first.isoformat(),
        "to": last.isoformat(),
        "as_of": at.isoformat(),
        "summary": {**blocks(totals), "fees": money(_sum_fees(fees.values()))},
        "departments": [_public(u) for u in units],
        "overdue": overdue,
        "top": [_ranking(u) for u in top],
        "bottom": [_ranking(u) for u in bottom],
    }


def _unit(
    key: str, name: str | None, by_kind: Mapping[str, Counts], fees: Mapping[str, Decimal] | None
) -> dict[str, Any]:
    total = sum_counts(by_kind.values())
    promise = sum_counts(by_kind.get(kind, Counts()) for kind in PROMISES)
    return {
        "key": key,
        "name": name,
        "accepted": total.accepted,
        "completed": total.completed,
        "rate": percent(total.completed, total.accepted),
        "on_time": promise.on_time,
        "on_time_rate": percent(promise.on_time, promise.completed),
        "overdue": promise.overdue_open + promise.late,
        "overdue_open": promise.overdue_open,
        "completed_late": promise.late,
        "avg_working_days": (
            str(half_up(promise.used_days, promise.completed)) if promise.completed else None
        ),
        "fees": money(fees),
        "ratings": {
            "count": total.rated,
            "satisfied_rate": percent(total.satisfied, total.rated),
            "unsatisfied_rate": percent(total.unsatisfied, total.rated),
        },
        "_promise": promise,
    }


def _standing(unit: Mapping[str, Any]) -> tuple[Fraction, int, str]:
    # best first: the exact on-time share, then the larger workload, then the code
    promise: Counts = unit["_promise"]
    return -Fraction(promise.on_time, promise.completed), -promise.completed, unit["key"]


def _public(unit: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in unit.items() if not k.startswith("_")}


def _ranking(unit: Mapping[str, Any]) -> dict[str, Any]:
    return {k: unit[k] for k in ("key", "name", "on_time_rate", "on_time", "overdue")} | {
        "completed": unit["_promise"].completed
    }
