"""The relay: a tracked follower of one service's store that publishes its events to Kafka.

It reads the service's log in chunks and sends them (acks=all, idempotent producer), one chunk
being acknowledged while the next is read; a position is stored in the service's own database
only once the broker acknowledged every record up to it.  A crash or a broker failure at any
point means resending from the stored position: duplicates, which consumers skip by position;
a record lost in a failed produce is resent with everything after it, in order.

The topic's id is stored with the position.  If the broker comes back without the log (a
memory-only broker restarted, or the topic deleted), the id differs: the relay republishes the
whole log from position 0, and consumers skip what they already applied.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kafka.partitioner.default import murmur2

from hall.bus import metrics
from hall.bus.broker import BrokerSession, LogLost
from hall.bus.codec import PREV, encode
from hall.bus.settings import BusSettings
from projections.sources import Message, StoreLog
from projections.viewstore import ViewStore

log = logging.getLogger(__name__)

TRACKING = (
    "CREATE TABLE IF NOT EXISTS relay_tracking (relay TEXT PRIMARY KEY, "
    "position BIGINT NOT NULL, tails TEXT NOT NULL, topic_id TEXT)"
)


@dataclass(frozen=True)
class Tracked:
    """How far the relay got: everything up to ``position`` is acknowledged in ``topic_id``."""

    position: int = 0
    tails: dict[int, int] = field(default_factory=dict)  # partition -> last position sent there
    topic_id: str | None = None


class RelayTracking:
    """The relay's durable position, in the service's own database."""

    def __init__(self, store: ViewStore, relay: str) -> None:
        self.store, self.relay = store, relay
        with store.transaction() as cur:
            cur.execute(TRACKING)

    def load(self) -> Tracked:
        with self.store.read() as cur:
            cur.execute(
                "SELECT position, tails, topic_id FROM relay_tracking WHERE relay = ?",
                (self.relay,),
            )
            row = cur.fetchone()
        if row is None:
            return Tracked()
        tails = {int(p): int(pos) for p, pos in json.loads(row[1]).items()}
        return Tracked(int(row[0]), tails, row[2])

    def close(self) -> None:
        self.store.close()

    def save(self, tracked: Tracked) -> None:
        with self.store.transaction() as cur:
            cur.execute(
                "INSERT INTO relay_tracking (relay, position, tails, topic_id) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (relay) DO UPDATE SET "
                "position = excluded.position, tails = excluded.tails, "
                "topic_id = excluded.topic_id",
                (self.relay, tracked.position, json.dumps(tracked.tails), tracked.topic_id),
            )


class Relay:
    """Publishes one service's log to ``<prefix>.<service>``."""

    def __init__(
        self,
        service: str,
        store_log: StoreLog,
        tracking: RelayTracking,
        settings: BusSettings,
        wake: threading.Event | None = None,
    ) -> None:
        self.service, self.log, self.tracking, self.settings = (
            service,
            store_log,
            tracking,
            settings,
        )
        self.topic = settings.topic(service)
        self.wake = wake or threading.Event()
        self.connected_at: float | None = None  # when this session last reached the broker
        self.failures = 0  # sessions ended by an error
        self.rewinds = 0  # times a new topic made it republish from 0
        self._partitions: dict[bytes, int] = {}  # key -> partition

    def run(self, stop: threading.Event) -> None:
        """Publish until ``stop`` is set, starting a new session after any failure."""
        backoff = 0.2
        while not stop.is_set():
            began = time.monotonic()
            try:
                self._session(stop)
            except Exception as error:  # broker down, log lost, store hiccup: resume from disk
                self.connected_at = None
                self.failures += 1
                metrics.RELAY_FAILURES.labels(self.service).inc()
                log.warning("relay %s: %s; resuming from the stored position", self.topic, error)
                backoff = 0.2 if time.monotonic() - began > 30 else min(backoff * 2, 5.0)
                stop.wait(backoff)
            else:
                return

    def _session(self, stop: threading.Event) -> None:
        session = BrokerSession(self.settings)
        try:
            acked = self.tracking.load()
            topic_id = session.ensure_topic(self.topic)
            if acked.topic_id not in (None, topic_id):
                log.warning("relay %s: the topic was recreated; republishing from 0", self.topic)
                metrics.RELAY_REWINDS.labels(self.service).inc()
                self.rewinds += 1
                acked = Tracked()
            sent = Tracked(acked.position, acked.tails, topic_id)
            # Two chunks in flight: the next one is read and encoded while the broker
            # acknowledges the previous one; a position is stored only once acknowledged.
            in_flight: list[tuple[list[Any], Tracked]] = []
            while not stop.is_set():
                self.connected_at = time.monotonic()
                (stream,) = self.log.streams
                messages = self.log.read(stream, sent.position, self.settings.relay_batch)
                if messages:
                    futures, sent = self._send(session, messages, sent)
                    in_flight.append((futures, sent))
                if in_flight and (len(in_flight) > 1 or not messages):
                    self._acknowledged(session, *in_flight.pop(0))
                elif not messages:
                    metrics.RELAY_LAG.labels(self.service).set(0)
                    self.wake.wait(self.settings.relay_poll_seconds)
                    self.wake.clear()
            for futures, done in in_flight:  # stopping: keep what the broker has taken
                self._acknowledged(session, futures, done)
        finally:
            session.close()

    def _send(
        self, session: BrokerSession, messages: list[Message], sent: Tracked
    ) -> tuple[list[Any], Tracked]:
        partitions = session.partitions(self.topic)
        tails = dict(sent.tails)
        futures = []
        for m in messages:
            key, value, headers = encode(m, self.service)
            partition = self._partitions.get(key)
            if partition is None:  # Kafka's default partitioner (murmur2), cached per case
                partition = (murmur2(key) & 0x7FFFFFFF) % partitions
                if len(self._partitions) > 100_000:
                    self._partitions.clear()
                self._partitions[key] = partition
            headers.append((PREV, str(tails.get(partition, 0)).encode()))
            tails[partition] = m.position
            futures.append(
                session.producer.send(
                    self.topic, value=value, key=key, headers=headers, partition=partition
                )
            )
        return futures, Tracked(messages[-1].position, tails, sent.topic_id)

    def _acknowledged(self, session: BrokerSession, futures: list[Any], done: Tracked) -> None:
        """Wait for the broker's acknowledgements, then store the position durably."""
        timeout = self.settings.relay_delivery_timeout_ms / 1000 + 10
        for future in futures:
            future.get(timeout=timeout)  # raises what the broker answered, if it refused any
        if session.topic_id(self.topic) != done.topic_id:
            raise LogLost(f"topic {self.topic} changed while publishing")
        self.tracking.save(done)
        (stream,) = self.log.streams
        metrics.RELAYED.labels(self.service).inc(len(futures))
        metrics.RELAY_POSITION.labels(self.service).set(done.position)
        metrics.RELAY_LAG.labels(self.service).set(max(0, self.log.head(stream) - done.position))

    def healthy(self, within: float = 30.0) -> bool:
        """Whether the relay reached the broker recently."""
        return self.connected_at is not None and time.monotonic() - self.connected_at < within
