"""The seed's year-end figures, reproduced from events recorded through the application layer.

"受理 22838 件, 办结 22760 件, 办结率 99.66%。其中即办件 21031 件, 当场办结 21030 件, 办结率 99.99%,
承诺件 1807 件, 办结 1730 件, 办结率 95.74%。" — and the other report's 37211 accepted, 35361
completed: 95.03%, not the 94.87% typed by hand.

The cases are spread over the working days of a past year (events more than 5 minutes in the
future are refused), posted in batches of 500 as a terminal would, then projected.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest

from events import content_digest, parse_event
from hall.followers import Followers, billing_log, intake_log, view_store
from hall.runtime import Hall
from projections.base import Context
from projections.completion import Completion
from projections.completion_query import split_months
from projections.fee_ledger import FeeLedger
from projections.reports import percent
from projections.sources import Sources
from services.ingest import Actor, Posted
from services.intake.clock import CHINA, WorkCalendar
from tests.contract.examples import PERSON
from tests.projections.harness import completion, followers
from tests.support import Desk

ADMIN = Actor("admin", "admin")
IMMEDIATE = {"item_code": "CIVIL-MARRY", "window_no": "3"}
PROMISED = {"item_code": "LAND-REG", "window_no": "12"}


def working_days(year: int) -> list[date]:
    calendar = WorkCalendar()
    day, days = date(year, 1, 1), []
    while day.year == year:
        if calendar.is_workday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def walks(year: int, item: dict[str, str], cases: int, completed: int, on_spot: bool,
          prefix: str) -> Iterator[dict[str, Any]]:  # fmt: skip
    """Accept ``cases`` cases over the year's working days; complete the first ``completed``."""
    days = working_days(year)
    for n in range(cases):
        accepted = datetime.combine(days[n % len(days)], datetime.min.time(), CHINA)
        accepted += timedelta(hours=9, seconds=n // len(days))
        case_no = f"{year}-{prefix}{n:06d}"
        yield _raw("case.accepted", case_no, accepted, **item, applicant=PERSON,
                   materials=["申请书"], special_care=False)  # fmt: skip
        if n < completed:
            done = accepted + (timedelta(minutes=20) if on_spot else timedelta(days=3))
            yield _raw("case.completed", case_no, done, result="granted", location="hall")


def _raw(kind: str, case_no: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "type": kind, "case_no": case_no,
            "occurred_at": at.isoformat(), "staff_id": "S-083", **fields}  # fmt: skip


def record(hall: Hall, raws: Iterator[dict[str, Any]], service: Any = None) -> int:
    """Post through the application layer in batches of 500, four batches per transaction as
    the group committer would; returns how many events were recorded."""
    batches: list[list[Posted]] = [[]]
    recorded = 0
    for raw in raws:
        parsed = parse_event(raw)
        batches[-1].append(Posted(parsed, content_digest(parsed), ADMIN))
        if len(batches[-1]) == 500:
            if len(batches) == 4:
                recorded += _record(service or hall.intake, batches)
                batches = []
            batches.append([])
    return recorded + _record(service or hall.intake, [b for b in batches if b])


def _record(service: Any, batches: list[list[Posted]]) -> int:
    outcomes = service.record_group(batches) if batches else []
    for outcome in outcomes:
        assert isinstance(outcome, list), outcome
    return sum(len(outcome) for outcome in outcomes if isinstance(outcome, list))


def test_the_seed_year_gives_99_66_99_99_and_95_74(desk: Desk, hall: Hall) -> None:
    recorded = record(hall, walks(2025, IMMEDIATE, 21031, 21030, on_spot=True, prefix="J"))
    recorded += record(hall, walks(2025, PROMISED, 1807, 1730, on_spot=False, prefix="C"))
    f = followers(hall, Completion)
    f.catch_up()

    report = completion(f, "2025-01-01", "2025-12-31")
    f.stop()

    assert recorded == 22838 + 22760
    assert report["total"] == {"accepted": 22838, "completed": 22760, "rate": "99.66"}
    assert report["immediate"] == {
        "accepted": 21031, "completed_on_spot": 21030, "rate": "99.99", "completed": 21030,
    }  # fmt: skip
    assert report["promised"]["accepted"] == 1807
    assert report["promised"]["completed"] == 1730
    assert report["promised"]["rate"] == "95.74"
    assert report["promised"]["overdue_open"] == 77  # the year is over: every open one is late


def test_the_other_year_gives_95_03_not_the_hand_typed_94_87(desk: Desk, hall: Hall) -> None:
    record(hall, walks(2024, IMMEDIATE, 30000, 30000, on_spot=True, prefix="J"))
    record(hall, walks(2024, PROMISED, 7211, 5361, on_spot=False, prefix="C"))
    f = followers(hall, Completion)
    f.catch_up()

    report = completion(f, "2024-01-01", "2024-12-31")
    f.stop()

    assert report["total"] == {"accepted": 37211, "completed": 35361, "rate": "95.03"}


def payments(year: int, cases: int, total: Decimal) -> Iterator[dict[str, Any]]:
    """One fee per promised case, assessed and paid on acceptance day, summing to ``total``."""
    days = working_days(year)
    each = (total / cases).quantize(Decimal("0.01"), ROUND_DOWN)
    for n in range(cases):
        amount = each if n < cases - 1 else total - each * (cases - 1)
        at = datetime.combine(days[n % len(days)], datetime.min.time(), CHINA)
        at += timedelta(hours=10, seconds=n // len(days))
        case_no = f"{year}-C{n:06d}"
        yield _raw("fee.assessed", case_no, at, lines=[{"fee_code": "F1", "amount": str(amount)}])
        yield _raw("fee.paid", case_no, at + timedelta(minutes=5), receipt_no=f"R-{case_no}",
                   amount=str(amount), method="card", cashier_window="B1")  # fmt: skip


def test_the_seed_year_collected_exactly_2129238_45(desk: Desk, hall: Hall) -> None:
    record(hall, walks(2025, PROMISED, 1807, 1730, on_spot=False, prefix="C"))
    record(hall, payments(2025, 1807, Decimal("2129238.45")), service=hall.billing)
    f = Followers(
        view_store(hall.settings),
        Sources(intake_log(hall.intake), billing_log(hall.billing)),
        Context(calendar=hall.intake.calendar),
        [Completion, FeeLedger],
    )
    f.catch_up()

    report = completion(f, "2025-01-01", "2025-12-31")
    f.stop()

    assert report["promised"]["rate"] == "95.74"
    assert report["fees"]["collected"] == "2129238.45"


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [(22760, 22838, "99.66"), (21030, 21031, "99.99"), (1730, 1807, "95.74"),
     (35361, 37211, "95.03"), (1, 1, "100.00"), (0, 5, "0.00"), (2, 3, "66.67"),
     (1, 800, "0.13"), (1, 8, "12.50"), (0, 0, None)],
)  # fmt: skip
def test_rates_round_half_up_and_never_show_100_below_100(
    part: int, whole: int, shown: str | None
) -> None:
    assert percent(part, whole) == shown


@pytest.mark.parametrize(
    ("first", "last", "days", "months"),
    [("2025-01-01", "2025-12-31", [], ("2025-01", "2025-12")),
     ("2025-01-31", "2025-03-01", [("2025-01-31", "2025-01-31"), ("2025-03-01", "2025-03-01")],
      ("2025-02", "2025-02")),
     ("2024-02-01", "2024-02-28", [("2024-02-01", "2024-02-28")], None),
     ("2024-12-31", "2025-01-01", [("2024-12-31", "2025-01-01")], None)],
)  # fmt: skip
def test_a_period_reads_whole_months_and_the_days_at_either_end(
    first: str, last: str, days: list[tuple[str, str]], months: tuple[str, str] | None
) -> None:
    edges, whole = split_months(date.fromisoformat(first), date.fromisoformat(last))

    assert [(a.isoformat(), b.isoformat()) for a, b in edges] == days
    assert whole == months
