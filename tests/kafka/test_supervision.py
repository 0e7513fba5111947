"""Supervision fed from Kafka raises exactly the findings supervision fed from the stores
raises, on the same story told on the same clock; a restart of the Kafka-fed supervisor judges
nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from hall.bus.codec import Record
from hall.bus.services import CONSUMED
from hall.bus.settings import BusSettings
from hall.bus.supervisor import KafkaSupervisor
from hall.runtime import Hall
from hall.settings import Settings
from services.supervision.application import Supervision
from tests.conftest import fresh_schema
from tests.kafka.support import keys_of, read_topic, relayed, relaying, wait_for
from tests.supervision.harness import YEAR, StoryClock, Teller, Watch, open_supervision
from tests.supervision.test_exactly_once import first_week, second_week


@pytest.fixture
def elsewhere(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty supervision store beside the hall's."""
    with fresh_schema() as schema:
        yield settings.model_copy(update={"database_schema": schema})


class FromKafka:
    """A Kafka-fed supervisor on the story's clock, looked at when the story says."""

    def __init__(self, app: Supervision, bus: BusSettings, hall: Hall, clock: StoryClock) -> None:
        self.app, self.bus, self.hall, self.clock = app, bus, hall, clock
        self.supervisor = KafkaSupervisor(app, bus, settle=timedelta(0), clock=clock, tick_every=0)
        self.supervisor.prepare(wait=30)

    def look(self, until: str) -> None:
        """Once the relays published everything, judge it all, then let time reach ``until``."""
        heads = {s: self.hall.ingesting[s].recorder.max_notification_id() or 0 for s in CONSUMED}
        wait_for(lambda: all(relayed(self.bus, s) >= heads[s] for s in heads), 60, "the relays")
        self.clock.set(until)
        wait_for(lambda: self._round_reached(heads), 60, "supervision to judge what was relayed")

    def _round_reached(self, heads: dict[str, int]) -> bool:
        self.supervisor.round()  # ticks at the end of a round that left nothing behind
        for service, head in heads.items():
            topic = self.bus.topic(service)
            tracked = [self.app.position(f"{topic}/{p}") for p in range(self.bus.kafka_partitions)]
            if max(tracked) < head:
                return False
        return True

    def close(self) -> None:
        self.supervisor.stop()


def both(watch: Watch, kafka: FromKafka) -> Callable[[str], None]:
    """Where the story looks: supervision from the stores, then from Kafka, at the same time."""

    def look(until: str) -> None:
        watch.run(until)
        kafka.look(until)

    return look


def test_supervision_from_kafka_raises_the_findings_supervision_from_the_stores_raises(
    teller: Teller,
    watch: Watch,
    hall: Hall,
    clock: StoryClock,
    bus: BusSettings,
    elsewhere: Settings,
) -> None:
    app = open_supervision(elsewhere, hall)
    raised: list[str] = []
    app.on_raised.append(raised.append)
    with relaying(hall, bus, "intake"), relaying(hall, bus, "billing"):
        kafka = FromKafka(app, bus, hall, clock)
        try:
            first_week(teller, both(watch, kafka), money=True)
            second_week(teller, both(watch, kafka), money=True)
        finally:
            kafka.close()
    from_kafka = app.flags(*YEAR)
    app.close()

    from_stores = watch.flags()
    assert {f["rule"] for f in from_stores} >= {"overdue", "fee_bypass", "unremitted_fee"}
    assert from_kafka == from_stores
    assert sorted(raised) == sorted(f["rule"] for f in from_kafka)  # the metric's hook


def test_a_restarted_kafka_supervisor_resumes_and_judges_nothing_twice(
    teller: Teller,
    watch: Watch,
    hall: Hall,
    clock: StoryClock,
    bus: BusSettings,
    elsewhere: Settings,
) -> None:
    with relaying(hall, bus, "intake"), relaying(hall, bus, "billing"):
        before = open_supervision(elsewhere, hall)
        kafka = FromKafka(before, bus, hall, clock)

        first_week(teller, both(watch, kafka), money=True)
        kafka.close()
        before.close()

        after = open_supervision(elsewhere, hall)  # a new process: same store, same group
        kafka = FromKafka(after, bus, hall, clock)

        second_week(teller, both(watch, kafka), money=True)
        kafka.close()
    from_kafka = after.flags(*YEAR)
    after.close()

    assert from_kafka == watch.flags()
    assert len({f["id"] for f in from_kafka}) == len(from_kafka)


def test_the_relay_publishes_every_finding_keyed_by_the_finding(
    teller: Teller, watch: Watch, hall: Hall, clock: StoryClock, bus: BusSettings
) -> None:
    first_week(teller, lambda until: watch.run(until) and None, money=True)
    findings = {f["id"]: f for f in watch.flags()}
    head = hall.supervision.recorder.max_notification_id() or 0

    with relaying(hall, bus, "supervision"):
        records = read_topic(bus, "supervision", lambda got: _last(got) >= head)

    raised = [r for r in records if r.message.type == "supervision.finding.raised"]
    assert {str(r.message.body["originator_id"]) for r in raised} == set(findings)
    assert {r.message.body["rule"] for r in raised} == {f["rule"] for f in findings.values()}
    assert all(r.message.type.startswith("supervision.") for r in records)
    keys = keys_of(bus, "supervision", len(records))
    by_key: dict[bytes, set[int]] = {}
    for partition, key, _ in keys:
        by_key.setdefault(key, set()).add(partition)
    assert all(len(partitions) == 1 for partitions in by_key.values())  # each finding in order
    assert {key.decode() for key in by_key} >= set(findings)


def _last(records: list[Record]) -> int:
    return max((r.message.position for r in records), default=0)
