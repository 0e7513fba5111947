"""Kafka topics read in a consumer group, as the ``EventSource`` projections already consume.

Streams are the partitions assigned to this worker (``hall.intake/2``), so they change with
rebalances.  A message's position is the event's position in the service's log (carried in the
value), not its Kafka offset: the same event published twice (a relay resending after a crash,
or republishing to a broker that lost its log) has one position, so the projector's tracked
positions absorb duplicates, and a read model built from the stores continues from Kafka where
its store position left off.  Exactly-once comes from the projector's transaction; offsets
committed to Kafka only say where to resume reading, and are committed only for records already
covered by the tracked positions.

Per partition the relay chains events (``prev-position``): a record is applied only if its
predecessor is applied already; one that follows a lost record is skipped, because the relay
resends both, in order, after the failure.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from hall.bus import metrics
from hall.bus.codec import Record, decode
from hall.bus.settings import BusSettings
from projections.sources import Message, Sources

log = logging.getLogger(__name__)
JOIN_POLL_MS = 5000


def consumer_config(settings: BusSettings, group: str) -> dict[str, Any]:
    """A consumer that never commits on its own and starts at the beginning when it has no
    committed offset; timeouts short enough that a dead worker's partitions move within seconds."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_session_timeout_ms // 3,
        "max_poll_interval_ms": settings.kafka_max_poll_interval_ms,
        "fetch_max_wait_ms": 50,
        "max_poll_records": 5000,
        "reconnect_backoff_max_ms": 1000,
        "metadata_max_age_ms": 10_000,
        "allow_auto_create_topics": False,  # the relay creates topics, with their partitions
    }
    api_version = settings.consumer_api_version()
    if api_version is not None:
        config["api_version"] = api_version  # Tansu needs 2.5 for group membership
    return config


def wait_for_topics(settings: BusSettings, topics: list[str], wait: float, who: str) -> None:
    """The relays create the topics; a consumer started first waits for them."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    deadline = time.monotonic() + wait
    try:
        while True:
            described = admin.describe_topics(topics)
            missing = [t["name"] for t in described if t["error_code"] or not t["partitions"]]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"no topic {', '.join(missing)}: is the relay running?")
            log.info("%s: waiting for %s", who, ", ".join(missing))
            time.sleep(1.0)  # the broker has no "topic created" notification to wait on
    finally:
        admin.close()


def stream_of(tp: TopicPartition) -> str:
    return f"{tp.topic}/{tp.partition}"


@dataclass
class _Partition:
    tp: TopicPartition
    buffer: list[Record] = field(default_factory=list)  # fetched, not yet covered by tracking
    checked: bool = False  # whether the first record after assignment was looked at
    resolved: int | None = None  # every record before this offset is covered by tracking
    committed: int | None = None  # the last offset committed to Kafka
    fetched: int | None = None  # the next offset the consumer will fetch
    waiting_for: int | None = None  # a position this partition is waiting to see resent
    paused: bool = False


class KafkaSource:
    """The assigned partitions of some topics: ``{"intake": "hall.intake", ...}``."""

    def __init__(
        self, consumer: KafkaConsumer, topics: Mapping[str, str], buffer_limit: int = 20_000
    ) -> None:
        self.consumer, self.topics, self.buffer_limit = consumer, dict(topics), buffer_limit
        self.logical = {topic: name for name, topic in self.topics.items()}
        self.group = str(consumer.config["group_id"])
        self.partitions: dict[str, _Partition] = {}
        self.streams: tuple[str, ...] = ()  # the assigned partitions, e.g. "hall.intake/2"

    def subscribe(self) -> None:
        """Join the group (once the topics exist: some brokers create a missing topic a
        consumer asks for, with their default partition count)."""
        self.consumer.subscribe(topics=sorted(self.logical), listener=_Rebalance(self))

    def poll(self, timeout_ms: int) -> int:
        """Fetch what the broker has (rebalances happen here); returns how many records."""
        fetched = 0
        if not self.partitions:
            # Joining the group: kafka-python 3.0 restarts a join whose poll timed out before
            # the SyncGroup answer was handled (with Tansu, each join takes ~3 s).
            timeout_ms = max(timeout_ms, JOIN_POLL_MS)
        for tp, records in self.consumer.poll(timeout_ms=timeout_ms).items():
            part = self.partitions.get(stream_of(tp))
            if part is None:
                continue
            for r in records:
                part.buffer.append(decode(tp.topic, tp.partition, r.offset, r.value, r.headers))
                part.fetched = r.offset + 1
            fetched += len(records)
        for part in self.partitions.values():
            self._flow(part)
        return fetched

    def read(self, stream: str, after: int, limit: int) -> list[Message]:
        """Up to ``limit`` messages following position ``after``, from what was fetched."""
        part = self.partitions.get(stream)
        if part is None:
            return []  # revoked meanwhile
        position, chosen, covered = after, [], 0
        for i, record in enumerate(part.buffer):
            m = record.message
            if not part.checked:
                part.checked = True
                if m.position > after and record.prev > after and record.offset > 0:
                    # The committed offset is past events the tracked positions lack (tracking
                    # restored from a backup, say): read the partition from its beginning.
                    log.info("%s: resuming from the beginning of %s", self.group, stream)
                    self.consumer.seek_to_beginning(part.tp)
                    part.buffer.clear()
                    return []
            if m.position <= position:  # applied already: a duplicate
                if position == after:
                    covered = i + 1
            elif record.prev <= position:
                chosen.append(m)
                position = m.position
                if len(chosen) >= limit:
                    break
            elif part.waiting_for != record.prev:  # follows a lost record: the resend comes later
                part.waiting_for = record.prev
                log.warning(
                    "%s: %s offset %d follows position %d, not yet seen; waiting for the resend",
                    self.group,
                    stream,
                    record.offset,
                    record.prev,
                )
        if covered:
            part.resolved = part.buffer[covered - 1].offset + 1
            del part.buffer[:covered]
            self._flow(part)
        return chosen

    def commit(self) -> None:
        """Tell Kafka where to resume: only past records the tracked positions cover."""
        offsets = {
            p.tp: OffsetAndMetadata(p.resolved, "", -1)
            for p in self.partitions.values()
            if p.resolved is not None and p.resolved != p.committed
        }
        if offsets:
            self.consumer.commit_async(offsets)
            for tp, offset in offsets.items():
                self.partitions[stream_of(tp)].committed = offset.offset

    def lag(self) -> dict[str, int]:
        """Records not yet applied, per assigned partition (where the broker told us its end)."""
        lags = {}
        for stream, part in self.partitions.items():
            end = self.consumer.highwater(part.tp)
            start = part.buffer[0].offset if part.buffer else part.fetched
            if start is None and end is not None:  # nothing fetched yet: maybe nothing there
                start = self.consumer.position(part.tp, timeout_ms=1000)
            if end is not None and start is not None:
                lags[stream] = max(0, end - start)
                metrics.CONSUMER_LAG.labels(self.group, part.tp.topic, part.tp.partition).set(
                    lags[stream]
                )
        return lags

    def caught_up(self) -> bool:
        """Whether partitions are assigned and each is applied to the end the broker reported
        (a partition whose end is not known yet is not caught up)."""
        lags = self.lag()
        return (
            bool(self.partitions) and set(lags) == set(self.partitions) and not any(lags.values())
        )

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.consumer.close()

    def _flow(self, part: _Partition) -> None:
        # Bound memory: stop fetching a partition whose projection is far behind.
        if not part.paused and len(part.buffer) >= self.buffer_limit:
            self.consumer.pause(part.tp)
            part.paused = True
        elif part.paused and len(part.buffer) < self.buffer_limit // 2:
            self.consumer.resume(part.tp)
            part.paused = False

    def assigned(self, tps: list[TopicPartition]) -> None:
        for tp in tps:
            self.partitions[stream_of(tp)] = _Partition(tp)
        self.streams = tuple(self.partitions)
        log.info("%s: assigned %s", self.group, ", ".join(sorted(self.partitions)) or "nothing")

    def revoked(self, tps: list[TopicPartition]) -> None:
        for tp in tps:
            part = self.partitions.pop(stream_of(tp), None)
            if part is not None:
                with contextlib.suppress(KeyError):  # never reported
                    metrics.CONSUMER_LAG.remove(self.group, tp.topic, str(tp.partition))
        self.streams = tuple(self.partitions)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, source: KafkaSource) -> None:
        self.source = source

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.source.commit()
        self.source.revoked(list(revoked))

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.source.assigned(list(assigned))


class KafkaSources(Sources):
    """A :class:`KafkaSource` as a projector's ``Sources``: a projection's stream names
    (``"intake"``) select the partitions of their topics currently assigned."""

    def __init__(self, source: KafkaSource, names: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.source = source
        wanted = {source.topics[name] for name in (names or tuple(source.topics))}
        self.by_stream = {s: source for s in source.streams if s.rsplit("/", 1)[0] in wanted}
        self.streams = tuple(self.by_stream)

    def only(self, streams: tuple[str, ...]) -> KafkaSources:
        return KafkaSources(self.source, streams)

    def start(self, stream: str, after: Mapping[str, int]) -> int:
        """A partition not tracked yet starts where the store-built model left off."""
        if stream in after:
            return after[stream]
        return after.get(self.source.logical[stream.rsplit("/", 1)[0]], 0)
