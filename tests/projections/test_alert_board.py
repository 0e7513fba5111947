"""The alert board grades each open case at any instant: warning, yellow card, red card."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from projections.alert_board import AlertBoard, board
from tests.projections.harness import followers
from tests.support import Desk, event


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def graded(desk: Desk, hall: Hall):  # type: ignore[no-untyped-def]
    """Given a 5-working-day case accepted Mon 2026-09-28 (due Sat 10-10) and one completed."""
    desk.record(event("case.accepted", "2026-000800", occurred_at="2026-09-28T09:00:00+08:00"))
    desk.record(
        event("case.accepted", "2026-000801", occurred_at="2026-09-28T09:00:00+08:00"),
        event(
            "case.completed",
            "2026-000801",
            location="hall",
            occurred_at="2026-10-12T15:00:00+08:00",
        ),
    )
    f = followers(hall, AlertBoard)
    f.catch_up()

    def grade(as_of: str) -> dict[str, tuple[str, int]]:
        with f.store.read() as cur:
            alerts = board(cur, at(as_of), f.context)
        return {a.case_no: (a.level, a.working_days_left) for a in alerts}

    yield grade
    f.stop()


@pytest.mark.parametrize(
    ("as_of", "level", "left"),
    [
        ("2026-10-08T12:00:00+08:00", None, None),  # 2 days left, 3 of 5 used: no level
        ("2026-10-09T12:00:00+08:00", "warning", 1),  # one working day left
        ("2026-10-12T12:00:00+08:00", "yellow", -1),  # overdue since Sat 10-10
        ("2026-10-15T12:00:00+08:00", "yellow", -4),
        ("2026-10-16T12:00:00+08:00", "red", -5),  # overdue by 5 working days
    ],
)
def test_an_open_case_is_graded_by_the_working_days_left_at_the_instant_asked(
    graded,
    as_of: str,
    level: str | None,
    left: int | None,  # type: ignore[no-untyped-def]
) -> None:
    board_then = graded(as_of)

    if level is None:
        assert "2026-000800" not in board_then  # the board lists only cases with a level
    else:
        assert board_then["2026-000800"] == (level, left)


def test_a_completed_case_leaves_the_board_when_it_completes(graded) -> None:  # type: ignore[no-untyped-def]
    before = graded("2026-10-12T12:00:00+08:00")
    after = graded("2026-10-12T16:00:00+08:00")

    assert before["2026-000801"] == ("yellow", -1)
    assert "2026-000801" not in after


def test_the_operator_sets_the_warning_and_red_card_thresholds(settings: Settings) -> None:
    custom = settings.model_copy(update={"alert_warning_days_left": 2, "alert_red_after_days": 2})
    hall = Hall.start(custom, follow=False)
    try:
        with TestClient(create_app(hall=hall)) as client:
            Desk(client).with_catalogue().record(
                event("case.accepted", "2026-000802", occurred_at="2026-09-28T09:00:00+08:00")
            )
        f = hall.followers
        assert f is not None
        f.catch_up()

        def level(as_of: str) -> str | None:
            with f.store.read() as cur:
                return {a.case_no: a.level for a in board(cur, at(as_of), f.context)}.get(
                    "2026-000802"
                )

        # due Sat 10-10: two working days left on 10-08, overdue by two on Tue 10-13
        assert level("2026-10-08T12:00:00+08:00") == "warning"
        assert level("2026-10-12T12:00:00+08:00") == "yellow"
        assert level("2026-10-13T12:00:00+08:00") == "red"
        # supervision's overdue rule grades with the same red card
        assert hall.supervision.context.thresholds.red_after_days == 2
    finally:
        hall.close()
