"""Group commit: concurrent requests coalesced into one store transaction.

The library serialises writers on each events table (one ``LOCK TABLE`` per save), so one save
per request caps ingest near a thousand saves a second.  One writer thread per service takes
every batch waiting in its queue, decides them in arrival order and saves them together.
Atomicity stays per request (``IngestingApplication.record_group`` rolls back a rejected batch
alone); if the combined save fails (e.g. another process wrote the same case), each batch is
retried on its own so one request's trouble never becomes another's.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future

from eventsourcing.persistence import IntegrityError, OperationalError

from hall.metrics import GROUP_BATCHES, WRITER_SECONDS
from hall.writerlock import WriterLock
from services.ingest import IngestingApplication, Outcome, Posted

log = logging.getLogger(__name__)

_Job = tuple[Sequence[Posted], "Future[Outcome]"]
RETRIES = 3


class GroupCommitter:
    """The single writer of one service's posted events."""

    def __init__(
        self,
        app: IngestingApplication,  # type: ignore[type-arg]
        max_events: int = 2000,
        lock: WriterLock | None = None,
    ) -> None:
        self.app = app
        self.max_events = max_events
        # Held for a turn (a group, retries included, and those queued meanwhile) while
        # another writer shows (hall/writerlock.py).
        self.lock = lock
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"commit-{app.name}", daemon=True)
        self._stopped = False
        self._stepped = 0.0  # seconds of the group being written, by the steps it told
        self._holding = False  # the writer lock, in the turn under way
        self.groups = 0  # how many transactions carried how many batches: for metrics
        self.batches = 0
        self.on_commit: list[Callable[[], None]] = []  # e.g. wake the followers
        self._thread.start()

    def submit(self, batch: Sequence[Posted]) -> Future[Outcome]:
        """Queue one request's batch; the future resolves once it is durable (or rejected)."""
        if self._stopped:
            raise RuntimeError("the service is shutting down")
        future: Future[Outcome] = Future()
        self._queue.put((batch, future))
        return future

    def stop(self) -> None:
        """Finish every queued batch, then end the writer thread."""
        self._stopped = True
        self._queue.put(None)
        self._thread.join()
        if self.lock is not None:
            self.lock.close()

    def _run(self) -> None:
        group, stop = self._waiting(block=True)
        while group:
            started, self._stepped = time.perf_counter(), 0.0
            try:
                with self._turn() as pass_turn:
                    self._commit(group)
                    # Batches that queued meanwhile follow in the same turn, a writer waiting in
                    # another process going first (``WriterLock.held``).  They are taken after
                    # the turn is handed on, so that those queued during it join them.
                    while not stop and not self._queue.empty() and self._turn_fits():
                        group = []  # none taken yet, should handing on fail
                        pass_turn()
                        group, stop = self._waiting(block=False)
                        if group:
                            self._commit(group)
            except OperationalError as error:  # the lock: nothing was decided; 503, retry
                for _, future in group:
                    future.set_exception(error)
            # The rest of the turn's time: the lock's round trips, retries' and answers'.
            self._step("other", max(0.0, time.perf_counter() - started - self._stepped))
            if stop:
                return
            group, stop = self._waiting(block=True)

    def _waiting(self, block: bool) -> tuple[list[_Job], bool]:
        """The batches queued, up to ``max_events`` (waiting for one if ``block``), and
        whether the committer was asked to stop after them."""
        group: list[_Job] = []
        size = 0
        while size < self.max_events:
            try:
                job = self._queue.get() if block and not group else self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return group, True
            group.append(job)
            size += len(job[0])
        return group, False

    @contextlib.contextmanager
    def _turn(self) -> Iterator[Callable[[], None]]:
        """The writer lock held, if the service has one and another writer shows (and it is
        not held already); the body gets its ``pass_turn``."""
        if self.lock is None or self._holding or not self.lock.wanted:
            yield lambda: None
            return
        with self.lock.held() as pass_turn:
            self._holding = True
            try:
                yield pass_turn
            finally:
                self._holding = False

    def _outside_turn(self) -> str | None:
        """The lock whose turns a write must wait out: the service's, unless held (a turn's
        own write must not wait for itself)."""
        return None if self.lock is None or self._holding else self.lock.key

    def _turn_fits(self) -> bool:
        """Whether the turn under way takes turns as it should (another writer seen or not)."""
        return self.lock is None or self.lock.wanted == self._holding

    def _another_writer(self) -> None:
        if self.lock is not None:
            self.lock.another_writer()

    def _commit(self, group: list[_Job]) -> None:
        try:
            outcomes = self.app.record_group(
                [batch for batch, _ in group], self._step, self._outside_turn()
            )
            if self.app.written_elsewhere:
                self.app.written_elsewhere = False
                self._another_writer()
        except Exception:
            if len(group) == 1:
                self._commit_alone(group[0])
            else:
                log.info("group of %d failed; retrying each batch alone", len(group))
                for job in group:
                    self._commit_alone(job)
            return
        self.groups += 1
        self.batches += len(group)
        GROUP_BATCHES.labels(self.app.name).observe(len(group))
        self._committed()
        for (_, future), outcome in zip(group, outcomes, strict=True):
            future.set_result(outcome)

    def _step(self, step: str, seconds: float) -> None:
        self._stepped += seconds
        WRITER_SECONDS.labels(self.app.name, step).inc(seconds)

    def _committed(self) -> None:
        for callback in self.on_commit:
            callback()

    def _commit_alone(self, job: _Job) -> None:
        batch, future = job
        for attempt in range(RETRIES):
            try:
                with self._turn():
                    (outcome,) = self.app.record_group([batch], self._step, self._outside_turn())
            except IntegrityError:
                # Another process wrote the same case or event id meanwhile: decide again
                # on fresh state (the repository fast-forwards its cached aggregates), in
                # turn from now on where the service takes turns.
                log.info("conflict on attempt %d; deciding again", attempt + 1)
                self._another_writer()
                continue
            except Exception as error:
                future.set_exception(error)
                return
            self.groups += 1
            self.batches += 1
            self._committed()
            future.set_result(outcome)
            return
        future.set_exception(IntegrityError("gave up after repeated write conflicts"))
