"""Rules fed messages directly (no terminals): event types the contract does not carry yet
(``evaluation.followed_up``, ``evaluation.rectified``), the order of two streams, and the
overdue grades checked against the alert board's own definition."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from hall.settings import Settings
from projections.alert_board import level_of
from projections.base import Context as BoardContext
from projections.sources import Sources
from services.intake.clock import CHINA, WorkCalendar
from services.intake.deadline import CaseClock
from services.supervision.rules import Thresholds
from services.supervision.rules.overdue import grade
from tests.supervision.harness import MemoryLog, StoryClock, Watch, open_supervision

ITEM = {
    "item_code": "LAND-REG",
    "department": "LAND",
    "kind": "promised",
    "decision_at": "window",
    "fees": [{"code": "F1", "name": "登记费", "amount": "80.00"}],
    "promised_limit_days": 5,
    "supplement_policy": "restart",
}


def at(day: str, clock: str = "09:00:00") -> str:
    return f"2026-11-{day}T{clock}+08:00"


@pytest.fixture
def streams(settings: Settings, clock: StoryClock) -> Iterator[tuple[MemoryLog, MemoryLog, Watch]]:
    """Supervision over two hand-made streams, on either store."""
    intake, billing = MemoryLog("intake", clock), MemoryLog("billing", clock)
    app = open_supervision(settings)
    yield intake, billing, Watch(app, Sources(intake, billing), clock)
    app.close()


def rated(intake: MemoryLog, clock: StoryClock, case_no: str, rating: int) -> None:
    """Given a case accepted, completed and rated on Monday 11-02."""
    clock.set(at("02"))
    intake.add("case.accepted", case_no=case_no, window_no="12", item=ITEM)
    intake.add("case.completed", case_no=case_no, location="hall", result="granted")
    intake.add("evaluation.submitted", case_no=case_no, rating=rating)


def test_a_bad_rating_followed_up_in_time_but_not_fixed_is_flagged_for_the_fix_only(
    streams: tuple[MemoryLog, MemoryLog, Watch], clock: StoryClock
) -> None:
    intake, _, watch = streams
    rated(intake, clock, "EV-2", 2)
    clock.set(at("03", "15:00:00"))
    intake.add("evaluation.followed_up", case_no="EV-2")

    watch.run("2026-11-24T01:00:00+08:00")

    assert watch.subjects("bad_rating_unhandled") == ["EV-2/rectify"]


def test_a_bad_rating_followed_up_and_fixed_in_time_is_not_flagged(
    streams: tuple[MemoryLog, MemoryLog, Watch], clock: StoryClock
) -> None:
    intake, _, watch = streams
    rated(intake, clock, "EV-OK", 1)
    clock.set(at("03"))
    intake.add("evaluation.followed_up", case_no="EV-OK")
    clock.set(at("20"))
    intake.add("evaluation.rectified", case_no="EV-OK")

    watch.run("2026-12-31T00:00:00+08:00")

    assert watch.flags("bad_rating_unhandled") == []


def test_a_call_back_entered_late_but_made_in_time_closes_the_finding(
    streams: tuple[MemoryLog, MemoryLog, Watch], clock: StoryClock
) -> None:
    intake, _, watch = streams
    rated(intake, clock, "EV-1", 1)
    assert watch.run(at("04", "12:00:00")).subjects("bad_rating_unhandled") == ["EV-1/follow_up"]

    intake.add(
        "evaluation.followed_up", case_no="EV-1", occurred_at=datetime.fromisoformat(at("03"))
    )
    watch.run()

    assert watch.subjects("bad_rating_unhandled") == []
    assert [f["status"] for f in watch.flags("bad_rating_unhandled")] == ["closed"]


def test_streams_are_judged_in_recorded_order_whichever_is_read_first(
    streams: tuple[MemoryLog, MemoryLog, Watch], clock: StoryClock
) -> None:
    # Given intake's acceptance at 09:00 and completion at 13:00, and billing's payment
    # recorded at 12:30 (the follower reads intake first)
    intake, billing, watch = streams
    clock.set(at("02"))
    intake.add("case.accepted", case_no="ORD-1", window_no="12", item=ITEM)
    clock.set(at("02", "13:00:00"))
    intake.add("case.completed", case_no="ORD-1", location="hall", result="granted")
    clock.set(at("02", "12:30:00"))
    billing.add("fee.paid", case_no="ORD-1", receipt_no="R-ORD-1", amount="80.00")

    watch.run("2026-11-02T18:00:00+08:00")

    assert watch.flags("fee_bypass") == []


def board_events(clock_events: list[tuple[str, str, dict[str, Any]]]) -> list[list[Any]]:
    return [[kind, when, fields] for kind, when, fields in clock_events]


CASES: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "plain": [("case.accepted", at("02"), {"item": ITEM})],
    "expert review": [
        ("case.accepted", at("02"), {"item": ITEM}),
        ("case.procedure_started", at("04"), {}),
        ("case.procedure_ended", at("10"), {}),
    ],
    "still in review": [
        ("case.accepted", at("02"), {"item": ITEM}),
        ("case.procedure_started", at("04"), {}),
    ],
    "extended": [
        ("case.accepted", at("02"), {"item": ITEM}),
        ("case.extended", at("05"), {"extra_days": 3}),
    ],
    "restarted": [
        ("case.accepted", at("02"), {"item": ITEM}),
        ("case.supplement_requested", at("03"), {}),
        ("case.supplement_received", at("06"), {}),
    ],
}


KNOBS = {
    "default": {},
    "operator's": {"warning_days_left": 3, "warning_share": 0.5, "red_after_days": 2},
}


@pytest.mark.parametrize("knobs", sorted(KNOBS))
@pytest.mark.parametrize("shape", sorted(CASES))
def test_overdue_grades_equal_the_alert_board_levels_day_by_day(shape: str, knobs: str) -> None:
    calendar = WorkCalendar()
    events = CASES[shape]
    thresholds = Thresholds(**KNOBS[knobs])
    board = BoardContext(
        calendar=calendar,
        warning_days_left=thresholds.warning_days_left,
        warning_share=thresholds.warning_share,
        red_after_days=thresholds.red_after_days,
    )
    for offset in range(1, 45):
        day = date(2026, 11, 1) + timedelta(days=offset)
        as_of = datetime.combine(day, datetime.min.time(), tzinfo=CHINA) + timedelta(hours=12)
        clock = CaseClock()  # what supervision knows at noon: the events that occurred by then
        for kind, when, fields in events:
            if datetime.fromisoformat(when) <= as_of:
                clock.apply(kind, {"occurred_at": datetime.fromisoformat(when), **fields})
        expected = level_of(board_events(events), as_of, board)
        assert grade(clock, calendar, day, thresholds) == (expected.level if expected else None)
