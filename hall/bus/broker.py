"""The relay's connection to Kafka: one idempotent producer and an admin client."""

from __future__ import annotations

import logging
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaTimeoutError, TopicAlreadyExistsError

from hall.bus.settings import BusSettings

log = logging.getLogger(__name__)


class LogLost(Exception):
    """The topic is not the one the stored position refers to."""


def producer_config(settings: BusSettings) -> dict[str, Any]:
    """Durable, ordered, idempotent publishing (kafka-python 3 supports idempotence)."""
    return {
        "bootstrap_servers": settings.kafka_bootstrap,
        "acks": "all",  # every in-sync replica has it before it counts
        "enable_idempotence": True,  # broker drops retried duplicates, keeps per-partition order
        "max_in_flight_requests_per_connection": 5,  # the most idempotence keeps in order
        "retries": 2**31 - 1,  # bounded by delivery_timeout_ms instead
        "delivery_timeout_ms": settings.relay_delivery_timeout_ms,
        "request_timeout_ms": min(10_000, settings.relay_delivery_timeout_ms // 2),
        "max_block_ms": 10_000,
        "linger_ms": settings.relay_linger_ms,
        "batch_size": 256 * 1024,
        "reconnect_backoff_max_ms": 1000,
        "allow_auto_create_topics": False,  # created by the relay, with its partition count
    }


class BrokerSession:
    """One producer and admin connection; thrown away whole on any failure."""

    def __init__(self, settings: BusSettings) -> None:
        self.settings = settings
        self.admin = KafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10_000
        )
        try:
            self.producer = KafkaProducer(**producer_config(settings))
        except Exception:
            self.admin.close()
            raise

    def ensure_topic(self, topic: str) -> str:
        """Create the topic if missing; return its id."""
        if self.topic_id(topic) is None:
            new = NewTopic(topic, self.settings.kafka_partitions, self.settings.kafka_replication)
            try:
                self.admin.create_topics([new])
                log.info("created topic %s (%d partitions)", topic, new.num_partitions)
            except TopicAlreadyExistsError:
                pass
        topic_id = self.topic_id(topic)
        if topic_id is None:
            raise LogLost(f"topic {topic} could not be created")
        return topic_id

    def topic_id(self, topic: str) -> str | None:
        (described,) = self.admin.describe_topics([topic])
        return None if described["error_code"] else str(described["topic_id"])

    def partitions(self, topic: str) -> int:
        return len(self.producer.partitions_for(topic))

    def close(self) -> None:
        """Drop whatever is unacknowledged (the relay resends it from its stored position)."""
        try:
            self.producer.close(timeout=1)
        except KafkaTimeoutError:
            # kafka-python's close() raises when its final flush times out (a broker down)
            # and leaves the sender reconnecting forever: stop it, fail what it held, close.
            self.producer._sender.force_close()
            self.producer._sender.join(5)
            self.producer.close(timeout=0)
        finally:
            self.admin.close()
