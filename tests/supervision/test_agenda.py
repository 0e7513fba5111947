"""Supervision's agenda: which subjects are due again in a window of time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from services.supervision.files import Agenda

CHINA = timezone(timedelta(hours=8))


def test_due_is_every_entry_after_the_start_up_to_and_including_the_end() -> None:
    agenda = Agenda(day="2026-12-02")
    at = datetime(2026, 12, 2, 9, 0, tzinfo=CHINA)
    for minutes, ref in [(0, "b"), (0, "a"), (5, "c"), (10, "d"), (60 * 24, "far")]:
        agenda.schedule(at + timedelta(minutes=minutes), ref)
    agenda.schedule(at + timedelta(minutes=5), "c")  # once, however often it is asked

    due = agenda.due(at, at + timedelta(minutes=10))
    utc = at.astimezone(UTC)

    # Not those at the start itself (judged by the pass that ended there), both ends in UTC.
    assert due == [(utc + timedelta(minutes=5), "c"), (utc + timedelta(minutes=10), "d")]
    assert agenda.due(at - timedelta(seconds=1), at) == [(utc, "a"), (utc, "b")]
    assert agenda.due(at + timedelta(minutes=11), at + timedelta(hours=1)) == []
    assert agenda.due(at + timedelta(minutes=10), at) == []  # an empty window
