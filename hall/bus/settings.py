"""The bus's knobs: hall's settings plus what only relays and consumers need (prefix ``HALL_``)."""

from __future__ import annotations

from pydantic import Field

from hall.settings import Settings


class BusSettings(Settings):
    """Every knob has a default that works on one machine (and with the Tansu test broker)."""

    kafka_topic_prefix: str = Field(
        "hall", description="Topics are <prefix>.intake, <prefix>.billing, <prefix>.supervision."
    )
    kafka_partitions: int = Field(
        3, ge=1, description="Partitions of each topic the relay creates; never change it later."
    )
    kafka_replication: int = Field(1, ge=1, description="Replication factor of created topics.")
    kafka_consumer_api_version: str = Field(
        "2.5", description="Protocol version consumers pin (Tansu needs 2.5); empty: probe."
    )
    kafka_session_timeout_ms: int = Field(
        6000,
        ge=1000,
        description="Consumer session timeout: how soon a dead worker's "
        "partitions move to the others.",
    )
    kafka_max_poll_interval_ms: int = Field(
        30000, ge=1000, description="Longest pause between polls before a worker is expelled."
    )
    relay_batch: int = Field(
        1000, ge=1, description="Events per produce-and-acknowledge round of a relay."
    )
    relay_delivery_timeout_ms: int = Field(
        30_000,
        ge=1000,
        description="How long the producer retries a record before the relay "
        "gives up on the chunk and resends it from its stored position.",
    )
    relay_linger_ms: int = Field(5, ge=0, description="Producer linger before a batch is sent.")
    relay_poll_seconds: float = Field(
        0.05, gt=0, description="How often an idle relay looks for new events in its store."
    )

    def topic(self, service: str) -> str:
        return f"{self.kafka_topic_prefix}.{service}"

    def consumer_api_version(self) -> tuple[int, ...] | None:
        text = self.kafka_consumer_api_version.strip()
        return tuple(int(part) for part in text.split(".")) if text else None
