"""Supervision fed from Kafka: intake's and billing's topics, read in one consumer group.

The follower is the embedded one (``services.supervision.follower``) over Kafka partitions
instead of store logs: it tracks a position per partition in supervision's own store, in the
transaction that records the findings, so effects are exactly once whatever Kafka redelivers.
A partition never tracked resumes where supervision got to reading the store, so a hall that
moves from one process to the distributed layout judges nothing twice.

Run one ``hall supervise`` per supervision store.  Time passes (the tick) only when every
assigned partition is applied to its end, so a backlog is judged before its due dates are.
What the broker does not have yet (a relay stalled by a broker outage) it cannot wait for: such
events are judged after time has passed them, when they arrive.
"""

from __future__ import annotations

import time
from datetime import timedelta

from kafka import KafkaConsumer

from hall.bus import metrics
from hall.bus.consumer import ConsumerLoop
from hall.bus.kafka_source import KafkaSource, KafkaSources, consumer_config, wait_for_topics
from hall.bus.services import CONSUMED
from hall.bus.settings import BusSettings
from services.supervision.application import Supervision
from services.supervision.follower import CONFLICT, Clock, Follower, utc_now

ROUND_STEPS = 50  # follower steps per poll, so rebalances and heartbeats keep up


def group_of(settings: BusSettings) -> str:
    return f"{settings.kafka_topic_prefix}.supervise"


class KafkaSupervisor(ConsumerLoop):
    """Supervision's follower reading Kafka, in its own thread."""

    def __init__(
        self,
        app: Supervision,
        settings: BusSettings,
        *,
        poll_ms: int = 100,
        tick_every: float = 60.0,
        settle: timedelta = timedelta(seconds=5),
        clock: Clock = utc_now,
    ) -> None:
        self.settings, self.poll_ms, self.tick_every = settings, poll_ms, tick_every
        topics = {name: settings.topic(name) for name in CONSUMED}
        consumer = KafkaConsumer(**consumer_config(settings, group_of(settings)))
        super().__init__(KafkaSource(consumer, topics), "supervision")
        self.follower = Follower(
            app, KafkaSources(self.source), names=CONSUMED, settle=settle, clock=clock
        )
        self._next_tick = 0.0

    def prepare(self, wait: float = 300.0) -> None:
        wait_for_topics(self.settings, sorted(self.source.logical), wait, "supervision")
        self.source.subscribe()

    def round(self) -> int:
        """Poll once, judge what arrived, let time pass if nothing is left; how many judged."""
        self.source.poll(self.poll_ms)
        judged = 0
        for _ in range(ROUND_STEPS):
            taken = self.follower.step()
            if taken == 0:
                break
            judged += 0 if taken == CONFLICT else taken
        self.source.commit()
        if self.source.caught_up() and time.monotonic() >= self._next_tick:
            self.follower.tick()
            self._next_tick = time.monotonic() + self.tick_every
        return judged

    def failed(self) -> None:
        self.follower.errors += 1
        metrics.SUPERVISION_ERRORS.inc()
