"""Projections read Kafka as they read the stores: same messages, each applied once, the
partitions split between workers, and a batch read before a rebalance never applied twice."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from events import OWNERS, parse_event
from events.masking import mask_payload
from hall.bus.codec import decode, encode
from hall.bus.settings import BusSettings
from hall.bus.worker import KafkaProjector
from hall.followers import intake_log, view_store
from hall.runtime import Hall
from projections.base import Context
from projections.case_list import CaseList
from projections.runner import install, rebuild
from projections.sources import Message, Sources
from projections.viewstore import SQLiteViews, ViewStore
from tests.contract.conftest import NOW
from tests.contract.examples import EXAMPLES
from tests.kafka.support import (
    AppliedOnce,
    applied,
    keys_of,
    read_topic,
    relayed,
    relaying,
    rows,
    store_log,
    wait_for,
    workload,
)
from tests.support import Desk, event


def every_type_walk() -> list[dict[str, Any]]:
    """Given cases that between them carry every intake event type of the contract (a new
    type needs a step here: the test below checks that none is missing)."""

    def at(day: int, hour: int = 9) -> str:  # day 1 is Tue 2026-09-01
        return f"{date(2026, 9, 1) + timedelta(days=day - 1)}T{hour:02d}:00:00+08:00"

    a = "2026-E1"
    return [
        event("case.received", a, occurred_at=at(28)),
        event("case.accepted", a, occurred_at=at(28, 10)),
        event("case.supplement_requested", a, occurred_at=at(28, 11)),
        event("case.supplement_received", a, occurred_at=at(29)),
        event("case.transferred", a, to_unit="LAND", occurred_at=at(29, 10)),
        event("case.signed", a, step="undertake", occurred_at=at(29, 11)),
        event("case.procedure_started", a, occurred_at=at(30)),
        event("case.procedure_ended", a, occurred_at=at(38)),
        event("case.suspended", a, occurred_at=at(39)),
        event("case.resumed", a, occurred_at=at(40)),
        event("case.extended", a, occurred_at=at(40, 10), applicant_notified_at=at(40, 11)),
        event("case.completed", a, location="hall", occurred_at=at(41)),
        event("case.delivered", a, occurred_at=at(42)),
        event("evaluation.submitted", a, rating=2, occurred_at=at(42, 10)),
        event("evaluation.followed_up", a, occurred_at=at(43)),
        event("evaluation.rectified", a, occurred_at=at(44)),
        event("case.received", "2026-E2", occurred_at=at(28)),
        event("case.refused", "2026-E2", occurred_at=at(28, 10)),
        event("case.accepted", "2026-E3", occurred_at=at(28)),
        event("case.withdrawn", "2026-E3", occurred_at=at(28, 10)),
    ]


def _native(value: Any) -> Any:
    """A contract model's fields as a store gives them: enums as their text."""
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_native(v) for v in value]
    return value.value if isinstance(value, enum.Enum) else value


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_contract_event_type_crosses_the_bus_unchanged(kind: str) -> None:
    body = _native(parse_event(EXAMPLES[kind], now=NOW).model_dump())
    sent = Message("intake", 41, kind, body, datetime.fromisoformat("2026-03-02T09:15:01+08:00"))

    key, value, headers = encode(sent, "intake", prev=17)
    got = decode("hall.intake", 2, 7, value, headers)

    assert got.message == Message("hall.intake/2", 41, kind, mask_payload(body), sent.recorded_at)
    assert (got.offset, got.prev) == (7, 17)
    assert key.decode() == body.get("case_no", body.get("batch_no"))


def test_a_message_from_kafka_equals_the_one_from_the_store_log(
    desk: Desk, hall: Hall, bus: BusSettings
) -> None:
    desk.record(*every_type_walk())
    log = intake_log(hall.intake)
    from_store = log.read("intake", 0, 1000)

    with relaying(hall, bus):
        wait_for(lambda: relayed(bus) == from_store[-1].position, what="the relay")
    records = read_topic(bus, "intake", until=lambda got: len(got) >= len(from_store))
    from_kafka = {r.message.position: r.message for r in records}

    types = {m.type for m in from_store}
    assert {kind for kind, owner in OWNERS.items() if owner == "intake"} <= types
    for m in from_store:
        k = from_kafka[m.position]
        assert (k.type, k.recorded_at) == (m.type, m.recorded_at)
        assert k.body == mask_payload(m.body), m.type  # id numbers and phones masked on the bus


def test_money_events_and_billing_bookkeeping_cross_the_bus_keyed_by_case_or_batch(
    desk: Desk, hall: Hall, bus: BusSettings
) -> None:
    desk.record(event("case.accepted", "2026-M1", occurred_at="2026-09-28T09:00:00+08:00"))
    desk.record(event("fee.assessed", "2026-M1", occurred_at="2026-09-28T09:10:00+08:00"))
    money = [
        event("fee.paid", "2026-M1", receipt_no="R-9", occurred_at="2026-09-28T09:20:00+08:00"),
        event(
            "fee.refunded",
            "2026-M1",
            receipt_no="R-9",
            amount="10.00",
            occurred_at="2026-09-28T09:30:00+08:00",
        ),
        event(
            "remittance.made",
            batch_no="RB-9",
            receipts=["R-9"],
            amount="70.00",
            occurred_at="2026-09-28T10:00:00+08:00",
        ),
    ]
    for posted in money:
        desk.record(posted, by="CASHIER")
    from_store = store_log(hall, "billing").read("billing", 0, 1000)

    with relaying(hall, bus, "billing"):
        wait_for(lambda: relayed(bus, "billing") == from_store[-1].position, what="the relay")
    records = read_topic(bus, "billing", until=lambda got: len(got) >= len(from_store))
    from_kafka = {r.message.position: r for r in records}
    keys = {(p, key) for p, key, _ in keys_of(bus, "billing", len(records))}

    assert {m.position for m in from_store} == set(from_kafka)
    for m in from_store:
        assert from_kafka[m.position].message.body == m.body, m.type
    remittance = next(r for r in records if r.message.type == "remittance.made")
    assert (int(remittance.message.stream.rsplit("/", 1)[1]), b"RB-9") in keys
    fees = {r.message.stream for r in records if r.message.type.startswith("fee.")}
    assert len(fees) == 1  # one case: one partition


@pytest.fixture
def views(tmp_path: Path) -> Iterator[dict[str, ViewStore]]:
    """Separate read-model databases to compare."""
    made: dict[str, ViewStore] = {}

    def store(name: str) -> ViewStore:
        made[name] = SQLiteViews(tmp_path / f"{name}.sqlite")
        install(made[name])
        return made[name]

    yield {name: store(name) for name in ("single", "rebuilt")}
    for s in made.values():
        s.close()


def test_two_workers_in_one_group_split_the_partitions_and_equal_one_worker_and_a_rebuild(
    desk: Desk, hall: Hall, bus: BusSettings, views: dict[str, ViewStore]
) -> None:
    context = Context(calendar=hall.intake.calendar)
    shared = view_store(hall.settings)
    install(shared)
    pair = [KafkaProjector(CaseList, shared, bus, context, batch=40) for _ in range(2)]
    single = KafkaProjector(
        CaseList, views["single"], bus, context, batch=40, group=f"{bus.kafka_topic_prefix}.one"
    )
    workload(desk, cases=30, seed=2)
    with relaying(hall, bus):
        for worker in [*pair, single]:
            worker.prepare(None)
            worker.start()
        workload(desk, cases=30, seed=3)  # while they run
        head = hall.intake.recorder.max_notification_id()
        rebuild(CaseList, views["rebuilt"], Sources(intake_log(hall.intake)), context=context)
        rebuilt = rows(views["rebuilt"], CaseList, "cases", "case_no")
        wait_for(lambda: rows(shared, CaseList, "cases", "case_no") == rebuilt, what="the pair")
        wait_for(lambda: rows(views["single"], CaseList, "cases", "case_no") == rebuilt)
        split = [set(w.source.streams) for w in pair]
        for worker in [*pair, single]:
            worker.stop()
    shared.close()

    assert len(rebuilt) == 60
    assert split[0] and split[1] and not split[0] & split[1]
    assert len(split[0] | split[1]) == bus.kafka_partitions
    assert relayed(bus) == head


def test_a_batch_read_before_its_partitions_moved_is_not_applied_twice(
    desk: Desk, hall: Hall, bus: BusSettings
) -> None:
    workload(desk, cases=40, seed=4)
    head = hall.intake.recorder.max_notification_id()
    context = Context(calendar=hall.intake.calendar)
    store = view_store(hall.settings)
    first = KafkaProjector(AppliedOnce, store, bus, context, batch=25)
    second = KafkaProjector(AppliedOnce, store, bus, context, batch=25)
    with relaying(hall, bus):
        wait_for(lambda: relayed(bus) == head, what="the relay")
    first.prepare(None)
    wait_for(lambda: first.source.poll(100) >= 0 and _buffered(first) > 0, what="a fetch")

    # When the first worker has read a batch and, before it commits, loses its partitions to
    # the second, which applies everything ...
    reads = 0
    original = first.source.read

    def read_then_lose_partitions(stream: str, after: int, limit: int) -> list[Message]:
        nonlocal reads
        batch = original(stream, after, limit)
        reads += 1
        if reads == len(first.source.streams):
            first.source.consumer.close()  # leaves the group: the partitions move
            second.prepare(None)
            wait_for(lambda: second.source.poll(100) >= 0 and len(second.source.streams) == 3)
            wait_for(lambda: second.round() >= 0 and len(applied(store)) == head)
        return batch

    first.source.read = read_then_lose_partitions  # type: ignore[method-assign]
    outcome = first.projector.step()
    counts = applied(store)
    second.stop()
    store.close()

    # ... then the first one's commit finds the positions moved and applies nothing.
    assert outcome == -1
    assert len(counts) == head
    assert set(counts.values()) == {1}


def _buffered(worker: KafkaProjector) -> int:
    return sum(len(p.buffer) for p in worker.source.partitions.values())


def test_a_read_model_built_from_the_stores_continues_from_kafka_without_reapplying(
    desk: Desk, hall: Hall, bus: BusSettings
) -> None:
    workload(desk, cases=20, seed=5)
    context = Context(calendar=hall.intake.calendar)
    store = view_store(hall.settings)
    worker = KafkaProjector(AppliedOnce, store, bus, context)
    with relaying(hall, bus):  # publishes everything, including what the build applies
        worker.prepare(Sources(intake_log(hall.intake)))  # built from the stores up to here
        worker.start()
        workload(desk, cases=20, seed=6)
        head = hall.intake.recorder.max_notification_id()
        wait_for(lambda: len(applied(store)) == head, what="the worker")
        worker.stop()
    counts = applied(store)
    store.close()

    assert set(counts.values()) == {1}
