"""Completion statistics after a random workload: a crash and restart, a rebuild, and ``as_of``.

``as_of`` is checked against an independent replay: the same projection fed only the events that
occurred by then, read as of that instant, must give the same report.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hall.followers import Followers
from hall.runtime import Hall
from projections.completion import Completion
from projections.runner import Projector, rebuild
from projections.sources import Message, Sources
from projections.viewstore import Cursor, SQLiteViews
from services.intake.clock import CHINA
from tests.projections.harness import completion, followers, rows
from tests.support import Desk, event

TABLES = {"daily": "accepted_on, department, window_no, item_code, kind",
          "departments": "accepted_on, department, kind", "cases": "case_no",
          "pending": "case_no", "names": "kind, code"}  # fmt: skip


def random_workload(desk: Desk, cases: int, seed: int) -> None:
    """Given immediate and promised cases walked at random through their lifecycle."""
    rng = random.Random(seed)
    for n in range(cases):
        case_no = f"2026-C{seed}-{n:04d}"
        immediate = rng.random() < 0.4
        where = {"item_code": "CIVIL-MARRY", "window_no": "3"} if immediate else {}
        clock = datetime(2026, 9, 1, 8, tzinfo=CHINA) + timedelta(hours=rng.randint(0, 30 * 24))

        def step(kind: str, case_no: str = case_no, **fields: Any) -> dict[str, Any]:
            nonlocal clock
            clock += timedelta(hours=rng.choice((2, 2, 5, 16, 24, 40, 72, 120)))
            return event(kind, case_no, occurred_at=clock.isoformat(), **fields)

        walk = []
        if rng.random() < 0.2:
            walk += [step("case.received", **where), step("case.supplement_requested"),
                     step("case.supplement_received")]  # fmt: skip
        walk.append(step("case.accepted", **where))
        for _ in range(rng.randint(0, 2)):
            pair = rng.choice([("case.suspended", "case.resumed"),
                               ("case.procedure_started", "case.procedure_ended"),
                               ("case.supplement_requested", "case.supplement_received"),
                               ("case.extended", None)])  # fmt: skip
            walk.append(step(pair[0], extra_days=rng.randint(1, 5))
                        if pair[0] == "case.extended" else step(pair[0]))  # fmt: skip
            if pair[1] is not None and rng.random() < 0.8:
                walk.append(step(pair[1]))
            elif pair[1] is not None:
                break  # the clock stays stopped: the case stays open
        else:
            ending = rng.random()
            if ending < 0.6:
                # immediate cases mostly within the hour; promised ones take up to two weeks
                clock += timedelta(hours=-1 if immediate else rng.randint(0, 14 * 24))
                where = rng.choice(["hall", "hall", "back_office"])
                walk.append(step("case.completed", location=where))
                if rng.random() < 0.5:
                    walk.append(step("evaluation.submitted", rating=rng.randint(1, 5)))
            elif ending < 0.7:
                walk.append(step("case.withdrawn"))
        desk.record(*walk, by="W-3" if immediate else "W-12")


class Crash(Exception):
    pass


class CrashingCompletion(Completion):
    """The completion statistics, but the process dies while applying its fourth batch."""

    batches = 0

    def apply(self, cur: Cursor, messages: Sequence[Message]) -> None:
        super().apply(cur, messages)
        CrashingCompletion.batches += 1
        if CrashingCompletion.batches == 4:
            raise Crash


def snapshot(f: Followers) -> dict[str, list[tuple[Any, ...]]]:
    return {table: rows(f, Completion, table, order) for table, order in TABLES.items()}


def test_a_crash_mid_way_and_a_restart_end_equal_to_a_rebuild(desk: Desk, hall: Hall) -> None:
    random_workload(desk, cases=80, seed=11)
    CrashingCompletion.batches = 0
    f = followers(hall, Completion)
    crashing = Projector(CrashingCompletion, f.store, f.sources, batch=23, context=f.context)

    with pytest.raises(Crash):
        crashing.catch_up()
    Projector(Completion, f.store, f.sources, batch=37, context=f.context).catch_up()
    live, report = snapshot(f), completion(f, "2026-09-01", "2026-10-31", group_by="item")
    rebuild(Completion, f.store, f.sources, context=f.context)
    rebuilt = completion(f, "2026-09-01", "2026-10-31", group_by="item")
    again = snapshot(f)
    f.stop()

    assert len(live["cases"]) == 80
    assert live == again
    assert {**report, "as_of": None} == {**rebuilt, "as_of": None}


class OccurredBy:
    """A source that passes on only the events that occurred by an instant (and the catalogue)."""

    def __init__(self, sources: Sources, until: datetime) -> None:
        self.sources, self.until = sources, until
        self.streams = sources.streams

    def read(self, stream: str, after: int, limit: int) -> list[Message]:
        while batch := self.sources.read(stream, after, limit):
            kept = [m for m in batch if m.body.get("occurred_at", self.until) <= self.until]
            if kept:
                return kept
            after = batch[-1].position
        return []


INSTANTS = ["2026-09-20T12:00:00+08:00", "2026-10-08T18:30:00+08:00",
            "2026-10-20T09:00:00+08:00", "2026-11-10T00:00:00+08:00"]  # fmt: skip


@pytest.mark.parametrize("instant", INSTANTS)
def test_a_report_as_of_an_instant_equals_a_replay_of_the_events_that_occurred_by_then(
    desk: Desk, hall: Hall, tmp_path: Path, instant: str
) -> None:
    random_workload(desk, cases=80, seed=5)
    live = followers(hall, Completion)
    live.catch_up()
    until = datetime.fromisoformat(instant)
    replay = Followers(
        SQLiteViews(tmp_path / "replay.sqlite"),
        Sources(OccurredBy(live.sources, until)),
        live.context,
        [Completion],
    )
    replay.catch_up()

    for group in (None, "department", "window", "item"):
        asked = completion(live, "2026-09-01", "2026-10-31", group_by=group, as_of=instant)
        replayed = completion(replay, "2026-09-01", "2026-10-31", group_by=group, now=instant)
        assert asked == replayed
    live.stop()
    replay.stop()


@pytest.mark.parametrize(
    ("first", "last"),
    [("2026-09-01", "2026-10-31"), ("2026-09-10", "2026-10-20"), ("2026-09-30", "2026-10-01"),
     ("2026-09-15", "2026-09-15"), ("2026-08-31", "2026-11-30")],
)  # fmt: skip
def test_the_counters_equal_the_facts_as_of_now(
    desk: Desk, hall: Hall, first: str, last: str
) -> None:
    # whole months come from the monthly counters, the days at either end from the daily ones
    random_workload(desk, cases=60, seed=3)
    f = followers(hall, Completion)
    f.catch_up()
    now = datetime.now(CHINA).isoformat()

    for group in (None, "department", "window", "item"):
        counters = completion(f, first, last, group_by=group, now=now)
        facts = completion(f, first, last, group_by=group, as_of=now)
        assert counters == facts
    f.stop()
