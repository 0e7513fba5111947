"""The events recorder's own write and lookup: events and their keys commit together or not at all.

On PostgreSQL the transaction is one statement (the events table's write function) and the
group commit's two lookups one query; these tests hold both to what the library's path gave.
"""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from hall.runtime import Hall
from services.ingest import EventKey

TOPIC = "services.intake.domainmodel:Case.Accepted"


def stored(case_id: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(case_id, version, TOPIC, b"{}")


def test_events_and_keys_are_written_and_found_together(hall: Hall) -> None:
    recorder = hall.intake.recorder
    case, key = uuid.uuid4(), uuid.uuid4()

    positions = recorder.insert_events(
        [stored(case, 1), stored(case, 2)], event_keys=[EventKey(key, "d1", case, 2)]
    )

    known, versions = recorder.select_known([key, uuid.uuid4()], [case, uuid.uuid4()])
    assert len(positions) == 2 and positions[0] < positions[1]
    assert versions == {case: 2}
    assert set(known) == {key}
    assert (known[key].digest, known[key].position) == ("d1", positions[1])
    assert recorder.select_known([], []) == ({}, {})
    assert recorder.select_known([], [case]) == ({}, {case: 2})
    assert set(recorder.select_known([key], [])[0]) == {key}


def test_a_rejected_write_leaves_no_key_and_the_store_keeps_working(hall: Hall) -> None:
    recorder = hall.intake.recorder
    case = uuid.uuid4()
    first = recorder.insert_events(
        [stored(case, 1)], event_keys=[EventKey(uuid.uuid4(), "a", case, 1)]
    )
    lost_key, other_case = uuid.uuid4(), uuid.uuid4()

    # Version 1 again, as a second writer with a stale copy of the case would write it: the
    # whole transaction fails, so the other case's event and the new key are not kept either.
    with pytest.raises(IntegrityError):
        recorder.insert_events(
            [stored(other_case, 1), stored(case, 1)],
            event_keys=[EventKey(lost_key, "b", case, 1)],
        )

    assert recorder.select_known([lost_key], [other_case]) == ({}, {})
    # Every connection of the pool still works (a failed one was rolled back, not left broken).
    for _ in range(3):
        later = recorder.insert_events([stored(uuid.uuid4(), 1)])
        assert later[0] > first[0]
