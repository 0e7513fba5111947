"""The relay publishes every acknowledged event, keyed by case, in case order, and loses
nothing when it is killed or when the broker goes away."""

from __future__ import annotations

import signal
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from events.schema import SCHEMA_VERSION
from hall.bus.codec import Record
from hall.bus.relay import RelayTracking, Tracked
from hall.bus.services import InProcessRelays, tracking_store
from hall.bus.settings import BusSettings
from hall.bus.worker import KafkaProjector
from hall.followers import intake_log, view_store
from hall.runtime import Hall
from hall.settings import Settings
from projections.base import Context
from tests.kafka.conftest import Tansu, bus_settings
from tests.kafka.support import (
    AppliedOnce,
    Role,
    applied,
    bus_env,
    keys_of,
    read_topic,
    relayed,
    relaying,
    wait_for,
    workload,
)
from tests.support import Desk


@pytest.mark.parametrize("settings", ["sqlite", "postgres"], indirect=True)
def test_every_acknowledged_event_reaches_its_topic_keyed_by_case_in_case_order(
    desk: Desk, hall: Hall, bus: BusSettings
) -> None:
    recorded = workload(desk, cases=40, seed=1)
    head = hall.intake.recorder.max_notification_id()

    with relaying(hall, bus):
        wait_for(lambda: relayed(bus) == head, what="the relay to catch up")
    records = read_topic(bus, "intake", until=lambda got: len(got) >= head)
    raw = keys_of(bus, "intake", len(records))

    case_events = [r for r in records if r.message.type.startswith("case.")]
    assert len(case_events) == recorded
    assert sorted(r.message.position for r in records) == sorted(
        {r.message.position for r in records}
    )  # each once: no crash, no duplicate
    by_case: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in case_events:
        partition = int(r.message.stream.rsplit("/", 1)[1])
        by_case[r.message.body["case_no"]].append((partition, r.message.position))
    for case_no, places in by_case.items():
        assert len({p for p, _ in places}) == 1, f"{case_no} spread over partitions"
        assert [pos for _, pos in places] == sorted(pos for _, pos in places)
    keys = {key.decode() for _, key, _ in raw}
    assert set(by_case) <= keys
    headers = raw[-1][2]
    assert headers["schema-version"].decode() == SCHEMA_VERSION
    assert {"event-id", "type", "prev-position"} <= set(headers)


def test_a_relay_killed_mid_stream_resumes_and_consumers_apply_each_event_once(
    desk: Desk, hall: Hall, bus: BusSettings, tmp_path: Path
) -> None:
    workload(desk, cases=150, seed=7)
    head = hall.intake.recorder.max_notification_id()
    env = bus_env(bus, relay_batch=5)
    log = tmp_path / "relay.log"

    killed = Role("relay", env, log).start()
    wait_for(lambda: relayed(bus) >= head // 4, what="a quarter to be relayed")
    killed.stop(signal.SIGKILL)
    stopped_at = relayed(bus)
    resumed = Role("relay", env, log).start()
    metrics_text = httpx.get(f"{resumed.url}/metrics").text
    wait_for(lambda: relayed(bus) == head, what="the resumed relay to catch up")
    exit_code = resumed.stop()
    records = read_topic(
        bus, "intake", until=lambda got: _positions(got) == set(range(1, head + 1))
    )

    assert 0 < stopped_at < head
    assert exit_code == 0  # SIGTERM: a clean stop
    assert "hall_relay_events_total" in metrics_text
    store = view_store(hall.settings)
    worker = KafkaProjector(AppliedOnce, store, bus, Context(calendar=hall.intake.calendar))
    worker.prepare(None)
    wait_for(lambda: worker.round() >= 0 and len(applied(store)) == head, what="the consumer")
    counts = applied(store)
    worker.stop()
    store.close()
    assert set(counts.values()) == {1}, f"{len(records) - head} duplicates on the topic"


def test_events_resent_after_a_crash_between_acknowledgement_and_store_are_applied_once(
    desk: Desk, hall: Hall, bus: BusSettings
) -> None:
    workload(desk, cases=30, seed=10)
    head = hall.intake.recorder.max_notification_id()
    store = view_store(hall.settings)
    worker = KafkaProjector(AppliedOnce, store, bus, Context(calendar=hall.intake.calendar))
    with relaying(hall, bus):
        wait_for(lambda: relayed(bus) == head, what="the relay")
    worker.prepare(None)
    wait_for(lambda: worker.round() >= 0 and len(applied(store)) == head, what="the consumer")

    # Given the relay died after the broker acknowledged the last half and before it stored
    # its position: it restarts from the position it stored before (and its chain tails).
    tracking = RelayTracking(tracking_store(bus, "intake"), bus.topic("intake"))
    done = tracking.load()
    published = read_topic(bus, "intake", lambda got: len(got) >= head)
    tracking.save(Tracked(head // 2, _tails_at(published, head // 2), done.topic_id))
    tracking.close()
    workload(desk, cases=10, seed=11)
    new_head = hall.intake.recorder.max_notification_id()
    with relaying(hall, bus):
        wait_for(lambda: relayed(bus) == new_head, what="the relay to resend and go on")
    records = read_topic(bus, "intake", until=lambda got: len(got) >= new_head + head - head // 2)
    wait_for(lambda: worker.round() >= 0 and len(applied(store)) == new_head, what="the consumer")
    counts = applied(store)
    worker.stop()
    store.close()

    assert len(records) == new_head + head - head // 2  # the second half is on the topic twice
    assert set(counts.values()) == {1}


def _tails_at(records: list[Record], position: int) -> dict[int, int]:
    """Per partition, the last position at or before ``position``: what the relay had stored."""
    tails: dict[int, int] = {}
    for r in sorted(records, key=lambda r: r.message.position):
        if r.message.position <= position:
            tails[int(r.message.stream.rsplit("/", 1)[1])] = r.message.position
    return tails


def _positions(records: list[Record]) -> set[int]:
    return {r.message.position for r in records}


def test_the_broker_down_then_back_without_its_log_loses_nothing(
    desk: Desk, hall: Hall, settings: Settings, tmp_path: Path
) -> None:
    tansu = Tansu(tmp_path / "tansu.log").start()
    bus = bus_settings(settings, tansu.bootstrap, relay_delivery_timeout_ms=3000)
    store = view_store(hall.settings)
    worker = KafkaProjector(AppliedOnce, store, bus, Context(calendar=hall.intake.calendar))
    try:
        with relaying(hall, bus) as relay:
            workload(desk, cases=30, seed=12)
            first_head = hall.intake.recorder.max_notification_id()
            worker.prepare(None)
            worker.start()
            wait_for(lambda: len(applied(store)) == first_head, what="the consumer")

            tansu.stop()  # memory storage: it comes back empty, as a broker that lost its disk
            workload(desk, cases=30, seed=13)  # the service keeps taking events meanwhile
            head = hall.intake.recorder.max_notification_id()
            wait_for(lambda: relay.failures > 0, what="the relay to notice")
            tansu.start()

            wait_for(lambda: len(applied(store)) == head, 120, "the consumer to catch up")
            rewinds = relay.rewinds
            records = read_topic(
                bus, "intake", lambda got: _positions(got) >= set(range(1, head + 1))
            )
    finally:
        worker.stop()
        tansu.stop()
    counts = applied(store)
    store.close()

    assert head > first_head
    assert rewinds == 1  # the relay saw a new topic and republished from position 0
    assert set(counts.values()) == {1}
    assert _positions(records) == set(range(1, head + 1))  # republished whole to the new log


def test_a_serving_process_relays_in_threads_woken_by_its_commits(
    desk: Desk, hall: Hall, bus: BusSettings
) -> None:
    slow = bus.model_copy(update={"relay_poll_seconds": 30.0})  # only the commits wake it
    relays = InProcessRelays({"intake": intake_log(hall.intake)}, slow).start()
    hall.committers["intake"].on_commit.append(relays.wake)
    try:
        wait_for(lambda: relays.relays["intake"].healthy(), what="the relay to connect")
        workload(desk, cases=10, seed=30)
        head = hall.intake.recorder.max_notification_id()
        wait_for(lambda: relayed(bus) == head, 20, "the woken relay")
    finally:
        relays.stop()
