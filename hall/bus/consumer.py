"""What every Kafka consumer of hall's runs on: poll-and-apply rounds in a thread of its own.

A subclass says what one round does (poll, apply, commit offsets) and what a failed round
counts as; a failure never ends the thread: the next round starts again from the positions
tracked in the database.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod

from hall.bus.kafka_source import KafkaSource

log = logging.getLogger(__name__)


class ConsumerLoop(ABC):
    """Rounds until stopped; healthy while rounds keep completing."""

    def __init__(self, source: KafkaSource, name: str) -> None:
        self.source, self.name = source, name
        self.last_round: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def round(self) -> int:
        """Poll once and apply what arrived; how many events were applied."""

    @abstractmethod
    def failed(self) -> None:
        """Count a failed round (in the subclass's metrics)."""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"kafka-{self.name}")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.round()
                self.last_round = time.monotonic()
            except Exception:  # a store or broker hiccup must not end the consumer
                self.failed()
                log.exception("%s failed; retrying from the tracked positions", self.name)
                self._stop.wait(1.0)
        self.source.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        else:
            self.source.close()

    def healthy(self, within: float = 30.0) -> bool:
        return self.last_round is not None and time.monotonic() - self.last_round < within
