"""Billing's case directory in the distributed layout: kept from intake's Kafka topic.

A billing-only API (``hall serve --role billing``) runs one projection worker for the
:class:`~projections.case_directory.CaseDirectory` in consumer group
``<prefix>.billing.cases``; replicas share the table and split the partitions.  A fee assessed
a moment after its case was accepted may arrive before the case does, so an unknown case is
waited for, briefly, before billing refuses it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection

from eventsourcing.persistence import OperationalError

from hall.bus.settings import BusSettings
from hall.bus.worker import KafkaProjector
from projections.base import Context
from projections.case_directory import CaseDirectory
from projections.sources import Sources
from projections.viewstore import ViewStore

log = logging.getLogger(__name__)


class KafkaCaseDirectory:
    """Billing's ``CaseDirectory`` port, answered from the directory kept from Kafka."""

    def __init__(self, store: ViewStore, settings: BusSettings, wait: float) -> None:
        self.store, self.wait = store, wait
        group = f"{settings.kafka_topic_prefix}.billing.cases"
        self.worker = KafkaProjector(CaseDirectory, store, settings, Context(), group=group)
        self._stopping, self._lock = threading.Event(), threading.Lock()
        self.ready = threading.Event()  # built and following: its answers mean something
        self._thread: threading.Thread | None = None

    def start(self, stores: Sources | None) -> KafkaCaseDirectory:
        """In the background: build the directory from intake's store if it is missing, wait
        for intake's topic (the relay creates it), then follow it.  The API serves meanwhile."""
        self._thread = threading.Thread(
            target=self._prepare_then_follow, args=(stores,), name="case-directory", daemon=True
        )
        self._thread.start()
        return self

    def _prepare_then_follow(self, stores: Sources | None) -> None:
        while not self._stopping.is_set():
            try:
                self.worker.prepare(stores, wait=5.0)
            except Exception as error:  # no topic yet, or the broker is down: keep trying
                log.warning("case directory: not following intake's topic yet: %s", error)
                self._stopping.wait(1.0)
                continue
            with self._lock:
                if not self._stopping.is_set():
                    self.worker.start()
                    self.ready.set()
            return

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.worker.stop()

    def department_of(self, case_no: str) -> str | None:
        deadline = time.monotonic() + self.wait
        if not self.ready.wait(self.wait):
            # Not "no such case": billing does not know yet (503 and the terminal retries).
            raise OperationalError("billing has not read intake's cases yet: is the relay up?")
        worker = self.worker
        while True:
            seen = worker.applied

            def moved(seen: int = seen) -> bool:
                return worker.applied != seen

            with self.store.read() as cur:
                found = CaseDirectory.department_of(cur, case_no)
            remaining = deadline - time.monotonic()
            if found is not None or remaining <= 0:
                return found
            with worker.progressed:  # until the worker applies more, or time is up
                worker.progressed.wait_for(moved, remaining)

    def departments_of(self, case_nos: Collection[str]) -> dict[str, str | None]:
        return {case_no: self.department_of(case_no) for case_no in case_nos}
