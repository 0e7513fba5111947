"""A file's facts noted one after another are one stored event (its first ones, its opening
event), and read back as noted."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from services.supervision.files import File

RECORDED = datetime.fromisoformat("2026-11-02T09:00:00+08:00")


def fact(kind: str, amount: str, minutes: int) -> dict[str, Any]:
    at = RECORDED + timedelta(minutes=minutes)
    return {"id": str(uuid4()), "type": kind, "at": at, "rec": at, "amount": amount}


def stored(file: File) -> File:
    """The file as a later process reads it: saved, then folded from its stored events."""
    app: Application[Any] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.save(file)
    found = app.repository.get(file.id)
    assert isinstance(found, File)
    return found


def test_facts_noted_in_a_row_are_one_event_until_something_else_is_recorded() -> None:
    file = File("receipt:R-1")
    file.note(fact("fee.paid", "80.00", 0))
    file.note(fact("fee.refunded", "30.00", 1))
    file.judged({}, [], None)
    file.note(fact("fee.refunded", "10.00", 2))

    kinds = [type(e).__name__ for e in file.pending_events]
    assert kinds == ["Opened", "NotedFacts", "Judged", "NotedFacts"]
    assert [len(getattr(e, "facts", None) or ()) for e in file.pending_events] == [0, 2, 0, 1]
    assert file.facts.net == Decimal("40.00")  # type: ignore[attr-defined]

    assert stored(file).facts == file.facts


def test_a_file_stored_with_one_event_per_fact_reads_as_before() -> None:
    file = File("receipt:R-2")
    file._noted_one(fact("fee.paid", "80.00", 0))  # as every fact was stored until December 2026
    file._noted_one(fact("fee.refunded", "80.00", 1))
    assert [type(e).__name__ for e in file.pending_events] == ["Opened", "Noted", "Noted"]

    again = stored(file)

    assert again.facts == file.facts
    assert again.facts.net == Decimal("0.00")  # type: ignore[attr-defined]


def test_a_new_files_first_facts_and_judgement_travel_in_its_opening_event() -> None:
    file = File.open("receipt:R-3")
    file.note(fact("fee.paid", "80.00", 0))
    file.note(fact("fee.refunded", "30.00", 1))
    file.judged({"unremitted": "finding-1"}, [], RECORDED + timedelta(days=1))
    file.note(fact("fee.refunded", "10.00", 2))

    (opened,) = file.pending_events
    assert type(opened).__name__ == "Opened"
    assert len(opened.facts) == 3  # type: ignore[attr-defined]
    assert file.facts.net == Decimal("40.00")  # type: ignore[attr-defined]
    assert file.held == {"unremitted": "finding-1"}

    again = stored(file)
    assert again.facts == file.facts
    assert (again.held, again.raised, again.next_at) == (file.held, file.raised, file.next_at)
    assert again.next_at == RECORDED + timedelta(days=1)


def test_a_second_judgement_or_one_after_another_event_is_an_event_of_its_own() -> None:
    later = RECORDED + timedelta(days=2)
    twice = File.open("receipt:R-5")
    twice.judged({"unremitted": "finding-1"}, [], RECORDED + timedelta(days=1))
    twice.judged({}, ["unremitted"], later)
    assert [type(e).__name__ for e in twice.pending_events] == ["Opened", "Judged"]
    assert (twice.held, twice.raised, twice.next_at) == ({}, {"unremitted": 1}, later)

    again = stored(twice)
    assert (again.held, again.raised, again.next_at) == (twice.held, twice.raised, later)

    app: Application[Any] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.save(File.open("receipt:R-6"))  # opened in an earlier transaction
    kept = app.repository.get(File.create_id("receipt:R-6"))
    kept.judged({"unremitted": "finding-2"}, [], later)
    assert [type(e).__name__ for e in kept.pending_events] == ["Judged"]
    app.save(kept)
    assert app.repository.get(kept.id).held == {"unremitted": "finding-2"}


def test_a_file_opened_before_its_opening_held_facts_reads_as_before() -> None:
    app: Application[Any] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    file = File.open("receipt:R-4")
    file._noted([fact("fee.paid", "80.00", 0)])
    opened, noted = (app.mapper.to_stored_event(e) for e in file.collect_events())
    # Its opening event as stored until December 2026: no facts, no class version.
    state = json.loads(opened.state)
    del state["facts"], state["class_version"]
    old = StoredEvent(opened.originator_id, 1, opened.topic, json.dumps(state).encode())
    app.recorder.insert_events([old, noted])

    again = app.repository.get(file.id)

    assert isinstance(again, File) and again.facts == file.facts
    assert again.facts.net == Decimal("80.00")  # type: ignore[attr-defined]


def test_a_file_opened_before_its_opening_held_a_judgement_reads_as_before() -> None:
    app: Application[Any] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    file = File.open("receipt:R-7")
    file.note(fact("fee.paid", "80.00", 0))
    file._judged({"unremitted": "finding-3"}, [], RECORDED)
    opened, judged = (app.mapper.to_stored_event(e) for e in file.collect_events())
    # Its opening event as stored until December 2026: facts, but no judgement.
    state = json.loads(opened.state)
    del state["judgement"]
    state["class_version"] = 2
    old = StoredEvent(opened.originator_id, 1, opened.topic, json.dumps(state).encode())
    app.recorder.insert_events([old, judged])

    again = app.repository.get(file.id)

    assert isinstance(again, File) and again.facts == file.facts
    assert (again.held, again.raised, again.next_at) == (
        {"unremitted": "finding-3"},
        {"unremitted": 1},
        RECORDED,
    )
