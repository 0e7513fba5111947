"""Story helpers for the bus tests: a workload, a relay in a thread, reading a topic back."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaConsumer, TopicPartition

from hall.bus.codec import Record, decode
from hall.bus.relay import Relay, RelayTracking
from hall.bus.services import tracking_store
from hall.bus.settings import BusSettings
from hall.followers import billing_log, intake_log, supervision_log
from hall.runtime import Hall
from projections.base import Projection
from projections.sources import Message, StoreLog
from projections.viewstore import Cursor, ViewStore
from tests.operations.server import free_port
from tests.support import ADMIN_TOKEN, Desk, event, wait_for


def walks(cases: int, seed: int, prefix: str = "2026-K") -> list[list[dict[str, Any]]]:
    """Cases accepted and moved along at random, each a batch as a terminal would post it."""
    rng = random.Random(seed)
    made = []
    for n in range(cases):
        case_no = f"{prefix}{seed}-{n:04d}"
        walk = [event("case.accepted", case_no, occurred_at="2026-09-28T09:00:00+08:00")]
        for _ in range(rng.randint(0, 3)):
            walk.append(event("case.signed", case_no, occurred_at="2026-09-29T09:00:00+08:00"))
        if rng.random() < 0.3:
            walk.append(
                event("case.supplement_requested", case_no, occurred_at="2026-09-30T09:00:00+08:00")
            )
            walk.append(
                event("case.supplement_received", case_no, occurred_at="2026-10-09T09:00:00+08:00")
            )
        if rng.random() < 0.6:
            walk.append(
                event(
                    "case.completed",
                    case_no,
                    location="hall",
                    occurred_at="2026-10-12T09:00:00+08:00",
                )
            )
        made.append(walk)
    return made


def workload(desk: Desk, cases: int, seed: int, prefix: str = "2026-K") -> int:
    """Given cases accepted and moved along at random; returns how many events were recorded."""
    return sum(len(desk.record(*walk)) for walk in walks(cases, seed, prefix))


def store_log(hall: Hall, service: str) -> StoreLog:
    logs = {"intake": intake_log, "billing": billing_log, "supervision": supervision_log}
    return logs[service](getattr(hall, service))


@contextmanager
def relaying(hall: Hall, bus: BusSettings, service: str = "intake") -> Iterator[Relay]:
    """A service's relay running in a thread, stopped afterwards."""
    tracking = RelayTracking(tracking_store(bus, service), bus.topic(service))
    relay = Relay(service, store_log(hall, service), tracking, bus)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        stop.set()
        thread.join(timeout=60)
        tracking.close()


def relayed(bus: BusSettings, service: str = "intake") -> int:
    """The relay's durable position (0 before its first acknowledged chunk)."""
    store = tracking_store(bus, service)
    try:
        return RelayTracking(store, bus.topic(service)).load().position
    finally:
        store.close()


def read_topic(
    bus: BusSettings, service: str, until: Callable[[list[Record]], bool], timeout: float = 60
) -> list[Record]:
    """Every record of a topic from its beginning (no group), once ``until`` holds."""
    topic = bus.topic(service)
    consumer = KafkaConsumer(
        bootstrap_servers=bus.kafka_bootstrap, api_version=(2, 5), fetch_max_wait_ms=50
    )
    try:
        wait_for(lambda: bool(consumer.partitions_for_topic(topic)), 30, f"topic {topic}")
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        while not until(records):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(records)} records on {topic}; wanted more")
            for tp, batch in consumer.poll(timeout_ms=200).items():
                for r in batch:
                    records.append(decode(tp.topic, tp.partition, r.offset, r.value, r.headers))
        return records
    finally:
        consumer.close()


Raw = tuple[int, bytes, dict[str, bytes]]


def keys_of(bus: BusSettings, service: str, count: int) -> list[Raw]:
    """(partition, key, headers) of the first ``count`` records, raw."""
    topic = bus.topic(service)
    consumer = KafkaConsumer(bootstrap_servers=bus.kafka_bootstrap, api_version=(2, 5))
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        seen: list[Raw] = []
        deadline = time.monotonic() + 30
        while len(seen) < count and time.monotonic() < deadline:
            for tp, batch in consumer.poll(timeout_ms=200).items():
                seen += [(tp.partition, r.key, dict(r.headers)) for r in batch]
        return seen
    finally:
        consumer.close()


def rows(store: ViewStore, cls: type[Projection], table: str, order: str) -> list[tuple[Any, ...]]:
    with store.read() as cur:
        cur.execute(f"SELECT * FROM {cls.view(table)} ORDER BY {order}")
        return cur.fetchall()


def bus_env(bus: BusSettings, **extra: object) -> dict[str, str]:
    """The environment of a role process configured like ``bus``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALL_")}
    env |= {
        "HALL_ADMIN_TOKEN": ADMIN_TOKEN,
        "HALL_DATA_DIR": str(bus.data_dir),
        "HALL_KAFKA_BOOTSTRAP": str(bus.kafka_bootstrap),
        "HALL_KAFKA_TOPIC_PREFIX": bus.kafka_topic_prefix,
        "HALL_KAFKA_PARTITIONS": str(bus.kafka_partitions),
    }
    if bus.database_url:
        env |= {
            "HALL_DATABASE_URL": bus.database_url,
            "HALL_DATABASE_SCHEMA": bus.database_schema,
            "HALL_POOL_SIZE": str(bus.pool_size),  # many processes, two test workers, one server
        }
    return env | {f"HALL_{k.upper()}": str(v) for k, v in extra.items()}


def hall_command(role: str) -> list[str]:
    """``python -m hall <role>`` once the roles are mounted into ``hall``; until then the
    roles' own entry point."""
    from hall.cli import app

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    module = "hall" if role in names else "hall.bus.roles"
    return [sys.executable, "-m", module, role]


class Role:
    """A ``hall relay`` / ``hall project`` process, with its health endpoint."""

    def __init__(self, role: str, env: dict[str, str], log: Path, *args: str) -> None:
        self.metrics_port = free_port()
        self.command = [*hall_command(role), "--metrics-port", str(self.metrics_port), *args]
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, healthy: bool = True, timeout: float = 60) -> Role:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        wait_for(lambda: self._answers(healthy), timeout, f"{self.command[3]} to be healthy")
        return self

    def _answers(self, healthy: bool) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.command} exited: {self.log.read_text()[-3000:]}")
        try:
            status = httpx.get(f"{self.url}/healthz", timeout=1).status_code
        except httpx.TransportError:
            return False
        return status == 200 or not healthy

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}"

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=60)


class AppliedOnce(Projection):
    """Counts how often each event was applied: every count must be 1."""

    name = "applied_once"
    tables = {"applied": "position BIGINT PRIMARY KEY, times INTEGER NOT NULL"}  # noqa: RUF012

    def apply(self, cur: Cursor, messages: Sequence[Message]) -> None:
        cur.executemany(
            f"INSERT INTO {self.t('applied')} (position, times) VALUES (?, 1) "
            f"ON CONFLICT (position) DO UPDATE SET times = {self.t('applied')}.times + 1",
            [(m.position,) for m in messages],
        )


def applied(store: ViewStore) -> dict[int, int]:
    return dict(rows(store, AppliedOnce, "applied", "position"))  # type: ignore[arg-type]
