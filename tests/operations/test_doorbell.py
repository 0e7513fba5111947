"""Followers wake for commits to the logs they follow, and only those (``Doorbell``)."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.listen import Listener
from hall.runtime import Hall, commit_channels
from hall.settings import Settings
from projections.sources import Doorbell
from tests.conftest import store_settings
from tests.support import Desk, event


def test_a_follower_wakes_for_the_logs_it_follows() -> None:
    bell = Doorbell()
    fees, cases, everything = bell.listener(["billing"]), bell.listener(["intake"]), bell.listener()

    bell.ring("intake")
    assert (fees.is_set(), cases.is_set(), everything.is_set()) == (False, True, True)

    for woken in (cases, everything):
        woken.clear()
    bell.ring("billing")
    assert (fees.is_set(), cases.is_set(), everything.is_set()) == (True, False, True)

    for woken in (fees, everything):
        woken.clear()
    bell.ring(None)  # something may have been written: everyone reads
    assert fees.is_set() and cases.is_set() and everything.is_set()


@pytest.fixture
def desk_on_postgres(on_postgres: Settings) -> Iterator[tuple[Hall, Desk]]:
    hall = Hall.start(on_postgres, follow=False)
    try:
        with TestClient(create_app(hall=hall)) as client:
            yield hall, Desk(client).with_catalogue()
    finally:
        hall.close()


def test_the_listener_rings_for_the_log_each_commit_went_to(
    desk_on_postgres: tuple[Hall, Desk], on_postgres: Settings
) -> None:
    hall, desk = desk_on_postgres
    rung: queue.Queue[str | None] = queue.Queue()
    assert on_postgres.database_url is not None
    listener = Listener(on_postgres.database_url, commit_channels(hall), rung.put).start()
    try:
        assert rung.get(timeout=10) is None  # on listening: whatever came before is read

        desk.record(event("case.received", "2026-000001"))
        assert rung.get(timeout=10) == "intake"

        desk.record(event("case.accepted", "2026-000002"))
        desk.record(event("fee.assessed", "2026-000002"), by="CASHIER")
        assert [rung.get(timeout=10), rung.get(timeout=10)] == ["intake", "billing"]
    finally:
        listener.stop()


def test_a_hall_in_another_schema_of_the_database_does_not_ring_this_one(
    desk_on_postgres: tuple[Hall, Desk], on_postgres: Settings, tmp_path: Path
) -> None:
    # Notifications reach a listener in the order they were committed: had the other hall's
    # intake commit rung here, "intake" would come before this hall's "billing".
    hall, desk = desk_on_postgres
    desk.record(event("case.accepted", "2026-000004"))
    rung: queue.Queue[str | None] = queue.Queue()
    assert on_postgres.database_url is not None
    listener = Listener(on_postgres.database_url, commit_channels(hall), rung.put).start()
    try:
        assert rung.get(timeout=10) is None
        with contextmanager(store_settings)("postgres", tmp_path / "other") as elsewhere:
            assert elsewhere.database_schema != on_postgres.database_schema
            other = Hall.start(elsewhere, follow=False)
            try:
                with TestClient(create_app(hall=other)) as client:
                    Desk(client).with_catalogue().record(event("case.received", "2026-000005"))
            finally:
                other.close()

        desk.record(event("fee.assessed", "2026-000004"), by="CASHIER")
        assert rung.get(timeout=10) == "billing"
    finally:
        listener.stop()


def test_a_recorded_batch_rings_for_its_service_log(hall: Hall, desk: Desk) -> None:
    # The read models' wake-ups: were the names wrong, they would still catch up at their next
    # poll, so no test of what they show could tell.
    assert hall.followers is not None
    cases, fees = (
        hall.followers.doorbell.listener(["intake"]),
        hall.followers.doorbell.listener(["billing"]),
    )

    desk.record(event("case.accepted", "2026-000003"))
    assert cases.is_set() and not fees.is_set()

    cases.clear()
    desk.record(event("fee.assessed", "2026-000003"), by="CASHIER")
    assert fees.is_set() and not cases.is_set()
