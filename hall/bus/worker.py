"""Projection workers fed from Kafka: one consumer group per read model, many workers each.

A worker builds the read model from the stores when it is missing or its version changed (Kafka
need not keep the whole log), then follows the topics.  Workers of one group split the
partitions; the projector's optimistic check on tracked positions means a batch read by a
worker that lost its partitions meanwhile is never applied on top of the new owner's.
"""

from __future__ import annotations

import logging
import threading
import time

from kafka import KafkaConsumer

from hall.bus import metrics
from hall.bus.consumer import ConsumerLoop
from hall.bus.kafka_source import KafkaSource, KafkaSources, consumer_config, wait_for_topics
from hall.bus.settings import BusSettings
from hall.followers import narrowed
from projections.base import Context, Projection
from projections.runner import Projector, install, live_generation, rebuild
from projections.sources import Sources
from projections.viewstore import ViewStore

log = logging.getLogger(__name__)
ROUND_STEPS = 50  # projector steps per poll, so rebalances and heartbeats keep up


def group_of(settings: BusSettings, projection: type[Projection]) -> str:
    return f"{settings.kafka_topic_prefix}.project.{projection.name}"


class KafkaProjector(ConsumerLoop):
    """One read model kept up to date from Kafka, in its own thread."""

    def __init__(
        self,
        cls: type[Projection],
        store: ViewStore,
        settings: BusSettings,
        context: Context,
        *,
        batch: int = 2000,
        poll_ms: int = 100,
        group: str | None = None,
    ) -> None:
        self.cls, self.store, self.context, self.poll_ms = cls, store, context, poll_ms
        self.settings = settings
        topics = {name: settings.topic(name) for name in cls.streams}
        group = group or group_of(settings, cls)
        consumer = KafkaConsumer(**consumer_config(settings, group))
        super().__init__(KafkaSource(consumer, topics), cls.name)
        self.projector = Projector(
            cls, store, KafkaSources(self.source), batch=batch, context=context
        )
        self.applied = 0
        self.progressed = threading.Condition()  # notified after each round that applied events

    def prepare(self, stores: Sources | None, wait: float = 300.0) -> None:
        """Build the read model from the stores if it is missing or its version changed.

        Without the stores, a missing model starts empty and is built from the topics alone,
        which then must still hold every event (retention without limit).
        """
        wait_for_topics(self.settings, sorted(self.source.logical), wait, self.cls.name)
        self.source.subscribe()
        for attempt in range(5):
            try:
                self._build(stores)
                return
            except Exception:  # two workers creating tables at once: the loser retries
                if attempt == 4:
                    raise
                log.warning("%s: building failed; retrying", self.cls.name, exc_info=True)
                time.sleep(1.0 + attempt)

    def _build(self, stores: Sources | None) -> None:
        install(self.store)
        with self.store.read() as cur:
            live = live_generation(cur, self.cls.name)
        if live is not None and live[1] == self.cls.version:
            return
        if stores is not None:
            log.info("%s: building from the stores", self.cls.name)
            rebuild(self.cls, self.store, narrowed(stores, [self.cls]), context=self.context)
        elif live is None:
            self.projector.ensure()
        else:
            raise RuntimeError(f"{self.cls.name} changed version: rebuild it from the stores")

    def round(self) -> int:
        """Poll once, apply what arrived; returns how many events were applied."""
        self.source.poll(self.poll_ms)
        applied = 0
        for _ in range(ROUND_STEPS):
            n = self.projector.step()
            if n == 0:
                break
            applied += max(n, 0)  # -1: positions moved under us (a rebalance): read again
        self.source.commit()
        self.source.lag()
        if applied:
            with self.progressed:
                self.applied += applied
                self.progressed.notify_all()
        metrics.PROJECTED.labels(self.cls.name).inc(applied)
        return applied

    def failed(self) -> None:
        metrics.PROJECTION_ERRORS.labels(self.cls.name).inc()
