"""Supervision's agenda: which subjects are due again in a window of time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hall.runtime import Hall
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


def stored_again(hall: Hall, agenda: Agenda) -> Agenda:
    """The agenda as another process reads it: written through hall's store (its transcoder
    and cipher), then folded from the stored events."""
    hall.supervision.save(agenda)
    again: Any = None
    for stored in hall.supervision.events.get(agenda.id):  # never the writer's cache
        again = stored.mutate(again)
    assert isinstance(again, Agenda)
    return again


def test_entries_scheduled_in_a_row_are_one_event_and_read_back_alike(hall: Hall) -> None:
    agenda = Agenda(day="2026-12-02")
    at = datetime(2026, 12, 2, 9, 0, tzinfo=CHINA)
    agenda.schedule(at + timedelta(minutes=5), "case:2")
    agenda.schedule(at, "case:1")
    agenda.schedule(at, "case:1")  # once, even within the event being built
    agenda.schedule(at + timedelta(minutes=1), "receipt:R-1")

    kinds = [type(e).__name__ for e in agenda.pending_events]
    assert kinds == ["Opened", "ScheduledEntries"]
    utc = at.astimezone(UTC)
    expected = [
        (utc, "case:1"),
        (utc + timedelta(minutes=1), "receipt:R-1"),
        (utc + timedelta(minutes=5), "case:2"),
    ]
    assert agenda.entries == expected

    assert stored_again(hall, agenda).entries == expected


def test_an_agenda_stored_with_one_event_per_entry_reads_as_before(hall: Hall) -> None:
    agenda = Agenda(day="2026-12-02")
    at = datetime(2026, 12, 2, 9, 0, tzinfo=CHINA)
    agenda._scheduled(at + timedelta(minutes=5), "case:2")  # as stored until December 2026
    agenda._scheduled(at, "case:1")
    assert [type(e).__name__ for e in agenda.pending_events] == ["Opened", "Scheduled", "Scheduled"]

    again = stored_again(hall, agenda)

    utc = at.astimezone(UTC)
    assert again.entries == [(utc, "case:1"), (utc + timedelta(minutes=5), "case:2")]
