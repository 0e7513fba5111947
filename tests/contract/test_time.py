"""occurred_at carries an offset and is not in the future (beyond five minutes of clock drift)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events import CaseExtended, parse_event

from .conftest import rejection
from .examples import example

NOW = datetime(2026, 3, 2, 1, 15, tzinfo=UTC)


def test_an_event_four_minutes_ahead_of_the_server_clock_is_accepted() -> None:
    ahead = (NOW + timedelta(minutes=4)).isoformat()
    parse_event(example("case.accepted", occurred_at=ahead), now=NOW)


def test_an_event_six_minutes_ahead_of_the_server_clock_is_from_the_future() -> None:
    ahead = (NOW + timedelta(minutes=6)).isoformat()
    assert rejection(example("case.accepted", occurred_at=ahead), now=NOW).code == "future_event"


def test_the_future_is_judged_on_the_instant_not_the_wall_clock() -> None:
    # 09:19 in China is 01:19 UTC: four minutes ahead, not eight hours.
    parse_event(example("case.accepted", occurred_at="2026-03-02T09:19:00+08:00"), now=NOW)


def test_without_an_injected_now_the_real_clock_is_used() -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    error = rejection(example("case.accepted", occurred_at=tomorrow), now=None)
    assert error.code == "future_event"


@pytest.mark.parametrize("naive", ["2026-03-02T09:15:00", "2026-03-02 09:15:00"])
def test_a_time_without_offset_is_refused(naive: str) -> None:
    assert rejection(example("case.accepted", occurred_at=naive)).code == "missing_offset"


def test_an_extension_notice_time_needs_an_offset_too() -> None:
    error = rejection(example("case.extended", applicant_notified_at="2026-03-02T10:00:00"))
    assert (error.code, error.field) == ("missing_offset", "applicant_notified_at")


@pytest.mark.parametrize("bad", [1772414100, "1772414100", "2026-03-02", "yesterday"])
def test_timestamps_and_dates_are_not_instants(bad: object) -> None:
    assert rejection(example("case.accepted", occurred_at=bad)).code == "invalid_field"


def test_the_offset_the_terminal_used_is_kept(now: datetime) -> None:
    event = parse_event(example("case.extended"), now=now)
    assert isinstance(event, CaseExtended)
    assert event.model_dump(mode="json")["occurred_at"] == "2026-03-02T09:15:00+08:00"


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="offset"):
        parse_event(example("case.accepted"), now=datetime(2026, 3, 2, 9, 15))
