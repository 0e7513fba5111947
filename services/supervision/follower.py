"""The supervision process: reads intake's and billing's streams in recorded order and lets
supervision's time pass, in a thread of its own or step by step (tests, replays).

Each step judges a run of one stream's messages in one transaction.  With several streams it
takes the stream whose next message was recorded first, and only the run recorded before the
other streams' next messages, so a live run and a replay from position 0 see the same order.
A tick (every minute by default) lets time reach ``now - settle``: a message committed a moment
after it was stamped is still judged before time passes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from eventsourcing.persistence import IntegrityError

from projections.runner import gather
from projections.sources import Message, Sources
from services.supervision.application import Supervision
from services.supervision.facts import relevant

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
_LIBRARY_FIELDS = {"originator_version", "timestamp", "originator_topic"}


EARLIEST = datetime.min.replace(tzinfo=UTC)
CONFLICT, MAX_CONFLICTS = -1, 10


def utc_now() -> datetime:
    return datetime.now(UTC)


def _first_relevant(messages: list[Message]) -> datetime | None:
    # Messages no rule reads (the catalogue, billing's indexes) impose no order.
    return next((m.recorded_at for m in messages if relevant(m)), None)


class Follower:
    """Feeds supervision from its sources and ticks its clock."""

    def __init__(
        self,
        app: Supervision,
        sources: Sources,
        *,
        clock: Clock = utc_now,
        batch: int = 2000,  # a run costs a few reads and writes, whatever its size
        settle: timedelta = timedelta(seconds=2),
        tick_every: float = 60.0,
        poll: float = 0.5,
        wake: threading.Event | None = None,
        names: tuple[str, ...] | None = None,
    ) -> None:
        self.app, self.sources, self.clock = app, sources, clock
        # The logical streams followed ("intake", "billing"); on Kafka the streams read are
        # their currently assigned partitions, which change with rebalances.
        self.names = names or sources.streams
        self.batch, self.settle, self.tick_every, self.poll = batch, settle, tick_every, poll
        self.wake = wake or threading.Event()
        self.errors = self.conflicts = self.judged = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self) -> int:
        """Judge the next run of one stream in one transaction; how many messages (0: none)."""
        sources = self.sources.only(self.names)
        heads: dict[str, list[Message]] = {}
        for stream in sources.streams:
            read = sources.read(stream, self._position(sources, stream), self.batch)
            if read:
                heads[stream] = read
        if not heads:
            return 0
        firsts = {s: _first_relevant(heads[s]) for s in heads}
        stream = min(heads, key=lambda s: (firsts[s] or EARLIEST, s))
        others = [first for s, first in firsts.items() if s != stream and first is not None]
        limit = min(others, default=None)
        if len(heads) < len(sources.streams):  # a caught-up stream may still get older news
            settled = self.clock() - self.settle
            limit = settled if limit is None else min(limit, settled)
        run: list[Message] = []
        for message in heads[stream]:
            if relevant(message) and limit is not None and message.recorded_at > limit:
                break
            run.append(message)
        if not run:
            return 0
        try:
            self.app.take(stream, run)
        except IntegrityError:  # another writer got there first; what was read is evicted
            self.conflicts += 1
            log.info("supervision: write conflict on %s, reading again", stream)
            return CONFLICT
        self.judged += len(run)
        return len(run)

    def _position(self, sources: Sources, stream: str) -> int:
        """Where ``stream`` resumes: its tracked position, or, for a Kafka partition never
        tracked, the position its service's log was judged to from the store."""
        tracked = self.app.position(stream)
        if tracked or stream in self.names:
            return tracked
        logical = {name: self.app.position(name) for name in self.names}
        return sources.start(stream, {name: p for name, p in logical.items() if p})

    def tick(self) -> bool:
        """Let supervision's time reach now (less the settling delay)."""
        try:
            return self.app.advance(self.clock() - self.settle)
        except IntegrityError:  # another writer got there first: the next tick tries again
            self.conflicts += 1
            return False

    def catch_up(self) -> int:
        """Judge everything there is, then tick; how many messages were judged."""
        total, conflicts = 0, 0
        while (taken := self.step()) != 0:
            conflicts = conflicts + 1 if taken == CONFLICT else 0
            if conflicts > MAX_CONFLICTS:
                raise IntegrityError("supervision: the same transaction keeps conflicting")
            total += max(taken, 0)
        self.tick()
        return total

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="supervision", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        next_tick = 0.0
        while not self._stop.is_set():
            try:
                while not self._stop.is_set():
                    started = time.monotonic()
                    if (judged := self.step()) == 0:
                        break
                    if 0 < judged < self.batch:  # caught up: let the next ones gather
                        gather(self._stop, started)
                if time.monotonic() >= next_tick:
                    self.tick()
                    next_tick = time.monotonic() + self.tick_every
            except Exception:  # a store hiccup or a write conflict: retry from the stored positions
                self.errors += 1
                log.exception("supervision failed; retrying")
            self.wake.wait(min(self.poll, max(next_tick - time.monotonic(), 0.01)))
            self.wake.clear()
