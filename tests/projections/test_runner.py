"""Projections apply each event exactly once, resume after a crash, and equal a rebuild."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from hall.runtime import Hall
from projections.case_list import CaseList
from projections.runner import Projector, rebuild
from projections.sources import Message
from projections.viewstore import Cursor
from tests.projections.harness import followers, rows
from tests.support import Desk, event


def random_workload(desk: Desk, cases: int, seed: int) -> None:
    """Given cases accepted and moved along at random, in batches as terminals would post."""
    rng = random.Random(seed)
    for n in range(cases):
        case_no = f"2026-R{seed}-{n:04d}"
        walk = [event("case.accepted", case_no, occurred_at="2026-09-28T09:00:00+08:00")]
        for _ in range(rng.randint(0, 3)):
            walk.append(event("case.signed", case_no, occurred_at="2026-09-29T09:00:00+08:00"))
        if rng.random() < 0.3:
            walk.append(
                event("case.procedure_started", case_no, occurred_at="2026-10-08T09:00:00+08:00")
            )
        elif rng.random() < 0.6:
            walk.append(
                event(
                    "case.completed",
                    case_no,
                    location="hall",
                    occurred_at="2026-10-09T09:00:00+08:00",
                )
            )
        desk.record(*walk)


class Crash(Exception):
    pass


class CrashingCaseList(CaseList):
    """The case list, but the process dies while applying its third batch."""

    batches = 0

    def apply(self, cur: Cursor, messages: Sequence[Message]) -> None:
        super().apply(cur, messages)
        CrashingCaseList.batches += 1
        if CrashingCaseList.batches == 3:
            raise Crash


def test_a_projector_that_crashes_mid_batch_resumes_and_ends_equal_to_a_rebuild(
    desk: Desk, hall: Hall
) -> None:
    random_workload(desk, cases=60, seed=7)
    CrashingCaseList.batches = 0
    f = followers(hall, CaseList)
    crashing = Projector(CrashingCaseList, f.store, f.sources, batch=25, context=f.context)
    crashing.ensure()

    with pytest.raises(Crash):
        crashing.catch_up()
    restarted = Projector(CaseList, f.store, f.sources, batch=25, context=f.context)
    restarted.catch_up()
    live = rows(f, CaseList, "cases", "case_no")
    rebuild(CaseList, f.store, f.sources, context=f.context)
    rebuilt = rows(f, CaseList, "cases", "case_no")
    f.stop()

    assert len(live) == 60
    assert live == rebuilt


def test_new_events_reach_the_case_list_and_a_restart_resumes_where_it_stopped(
    desk: Desk, hall: Hall
) -> None:
    f = followers(hall, CaseList)
    desk.record(event("case.accepted", "2026-000700", occurred_at="2026-09-28T09:00:00+08:00"))
    f.catch_up()
    desk.record(
        event(
            "case.completed",
            "2026-000700",
            location="hall",
            occurred_at="2026-09-29T09:00:00+08:00",
        )
    )
    again = followers(hall, CaseList)  # a new process: positions come from the store

    applied = again.projectors["case_list"].catch_up()
    (row,) = rows(again, CaseList, "cases", "case_no")
    f.stop()
    again.stop()

    assert applied == 1
    assert (row[0], row[1], row[10]) == ("2026-000700", "completed", "2026-10-10")


def test_two_projectors_taking_turns_on_the_same_cases_end_equal_to_a_rebuild(
    desk: Desk, hall: Hall
) -> None:
    # Each keeps the rows it wrote between batches; a batch the other one wrote in between
    # must not be overwritten with what it remembers.
    f = followers(hall, CaseList)
    first = Projector(CaseList, f.store, f.sources, batch=1, context=f.context)
    second = Projector(CaseList, f.store, f.sources, batch=1, context=f.context)
    case_no = "2026-000701"
    desk.record(event("case.accepted", case_no, occurred_at="2026-09-28T09:00:00+08:00"))
    first.catch_up()
    desk.record(event("case.procedure_started", case_no, occurred_at="2026-10-08T09:00:00+08:00"))
    second.catch_up()
    desk.record(event("case.procedure_ended", case_no, occurred_at="2026-10-09T09:00:00+08:00"))
    desk.record(
        event("case.completed", case_no, location="hall", occurred_at="2026-10-13T09:00:00+08:00")
    )
    first.catch_up()
    live = rows(f, CaseList, "cases", "case_no")
    rebuild(CaseList, f.store, f.sources, context=f.context)
    rebuilt = rows(f, CaseList, "cases", "case_no")
    f.stop()

    assert live == rebuilt
    assert live[0][1] == "completed" and live[0][10] == "2026-10-13"  # paused 2 days: due 10-13
