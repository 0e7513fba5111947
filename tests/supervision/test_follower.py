"""The running follower: it works in its own thread, and a supervisor's command from another
process never makes it lose or repeat an effect."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from hall.runtime import Hall
from hall.settings import Settings
from tests.supervision.harness import StoryClock, Teller, Watch, open_supervision


def at(day: str, clock: str = "09:00:00") -> str:
    return f"2026-11-{day}T{clock}+08:00"


def test_the_follower_thread_judges_what_the_hall_records_and_stops_cleanly(
    teller: Teller, watch: Watch
) -> None:
    judged = threading.Event()
    take = watch.app.take

    def take_and_tell(*args: Any) -> None:
        take(*args)
        judged.set()

    watch.app.take = take_and_tell  # type: ignore[method-assign]
    watch.follower.start()
    try:
        teller.at(at("02")).tell("case.received", "TH-1")
        teller.tell("case.refused", "TH-1", legal_basis="")
        watch.follower.wake.set()
        assert judged.wait(timeout=30)
    finally:
        watch.follower.stop()

    watch.run()
    assert watch.subjects("refusal_without_basis") == ["TH-1"]
    assert watch.follower.errors == 0


def test_a_finding_closed_by_another_process_meanwhile_is_not_closed_again(
    teller: Teller, watch: Watch, settings: Settings, hall: Hall, clock: StoryClock
) -> None:
    # Given a stalled case, known to this process's cache
    teller.at(at("02")).accept("CF-1")
    watch.run(at("06", "08:00:00"))
    (stalled,) = watch.open("step_stalled")

    # When a supervisor's terminal, served by another process, closes it
    elsewhere = open_supervision(settings, hall)
    elsewhere.close_finding(UUID(stalled["id"]), "SUP-2", "已处理")
    elsewhere.close()
    # and the case is then signed, which would clear the finding
    teller.at(at("06", "10:00:00")).tell("case.signed", "CF-1", location="hall")
    watch.run()

    # Then the stale write is retried from the store, and the supervisor's reason stands
    (after,) = watch.flags("step_stalled")
    assert after["closed"]["by"] == "SUP-2" and after["closed"]["reason"] == "已处理"
    assert watch.follower.conflicts >= 1
