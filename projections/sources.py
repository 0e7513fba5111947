"""Ordered sources of events with positions: what every consumer reads.

Projections and supervision are written once against :class:`EventSource`.  In one process the
source is a service's notification log (:class:`StoreLog`); in the distributed layout it is a Kafka
topic.  Either way a consumer sees :class:`Message`s — the event in the contract's shape — in
order within each stream, and tracks one position per stream.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from eventsourcing.persistence import Notification


@dataclass(frozen=True, slots=True)
class Message:
    """One event as consumers see it."""

    stream: str  # the ordered log it came from, e.g. "intake", or "hall.intake/3" on Kafka
    position: int  # its place in that stream; increasing, with gaps
    type: str  # the contract type, e.g. "case.accepted"
    body: Mapping[str, Any]  # the contract's fields (native types: datetime, Decimal, UUID)
    recorded_at: datetime


class EventSource(Protocol):
    """An ordered source of events with positions."""

    streams: tuple[str, ...]

    def read(self, stream: str, after: int, limit: int) -> list[Message]:
        """Up to ``limit`` messages of ``stream`` after position ``after``, in order."""


Decoder = Callable[[Notification], tuple[str, Mapping[str, Any], datetime]]


class StoreLog:
    """A service's notification log, read directly from its store.

    The followers of one process (four projections and supervision) read the same events, a
    moment apart, and a commit wakes them all at once.  So the log keeps a window of the latest
    messages, holding every event between two positions (a position's event never changes),
    and serves reads inside it: each event is read and decoded once, not five times.  Reads
    from outside the window (a rebuild from 0, a follower far behind) go to the store.
    Consumers only read messages.
    """

    KEEP = 20_000  # messages: several seconds of a busy hall's events

    def __init__(
        self, stream: str, recorder: Any, decode: Decoder, skip: frozenset[str] = frozenset()
    ) -> None:
        self.streams: tuple[str, ...] = (stream,)
        self.recorder = recorder
        self.decode = decode
        self.skip = skip  # topics of events no consumer here reads: passed over, undecoded
        self._window: list[Message] = []  # every message after _low up to _high, in order
        self._positions: list[int] = []  # their positions, for bisecting
        self._low = self._high = -1  # -1: no window yet
        self._lock = threading.Lock()

    def read(self, stream: str, after: int, limit: int) -> list[Message]:
        assert stream == self.streams[0]
        if not hasattr(self.recorder, "select_log"):  # a library recorder: no window
            notifications = self.recorder.select_notifications(
                start=after, limit=limit, inclusive_of_start=False
            )
            return self._messages(notifications)  # ``skip`` is for hall's recorders only
        with self._lock:
            if not self._low <= after <= self._high:  # outside: not kept, and not worth it
                if self._high >= 0 and after < self._low:
                    return self._fetch(after, limit)[0]
                self._window, self._positions, self._low = [], [], after  # a new window here
                self._high = after
            start = bisect_right(self._positions, after)
            found = self._window[start : start + limit]
            if len(found) < limit:  # the window's end: what came after it, from the store
                more, reached = self._fetch(self._high, limit - len(found))
                self._window += more
                self._positions += [m.position for m in more]
                self._high = max(self._high, reached)
                found += more
                self._trim()
            return found

    def read_part(
        self, after: int, limit: int, upto: int, parts: int, part: int
    ) -> tuple[list[Message], int]:
        """The messages of the aggregates in ``part`` of ``parts`` among the next ``limit``
        after ``after`` (none past ``upto``), and the position read up to (a partitioned
        rebuild: each worker decodes only its part)."""
        notifications, reached = self.recorder.select_log(
            after, limit, upto, parts, part, skip=self.skip
        )
        return self._messages(notifications), reached

    def _fetch(self, after: int, limit: int) -> tuple[list[Message], int]:
        # Rows all passed over (``skip``) are read past: an empty answer means the head.
        while True:
            notifications, reached = self.recorder.select_log(after, limit, skip=self.skip)
            if notifications or reached <= after:
                return self._messages(notifications), reached
            after = reached

    def _messages(self, notifications: Any) -> list[Message]:
        messages = []
        for n in notifications:
            type_, body, recorded_at = self.decode(n)
            messages.append(Message(self.streams[0], n.id, type_, body, recorded_at))
        return messages

    def _trim(self) -> None:
        extra = len(self._window) - self.KEEP
        if extra > 0:
            self._low = self._positions[extra - 1]
            del self._window[:extra], self._positions[:extra]

    def head(self, stream: str) -> int:
        """The newest position (0 when empty)."""
        return int(self.recorder.max_notification_id() or 0)


class Sources:
    """Several sources seen as one (e.g. intake's and billing's logs)."""

    def __init__(self, *sources: EventSource) -> None:
        self.by_stream = {stream: s for s in sources for stream in s.streams}
        self.streams = tuple(self.by_stream)

    def read(self, stream: str, after: int, limit: int) -> list[Message]:
        return self.by_stream[stream].read(stream, after, limit)

    def start(self, stream: str, after: Mapping[str, int]) -> int:
        """Where reading ``stream`` resumes, given the tracked positions (0 when untracked).

        Kafka partitions override this: an untracked partition resumes from the position of
        the store log the model was built from (``hall.bus.kafka_source.KafkaSources``).
        """
        return after.get(stream, 0)

    def only(self, streams: tuple[str, ...]) -> Sources:
        """The same sources limited to ``streams``."""
        chosen = Sources()
        chosen.by_stream = {s: self.by_stream[s] for s in streams}
        chosen.streams = streams
        return chosen


class Doorbell:
    """Writers ring after each commit, naming the log they wrote; the followers of that log
    wake at once.

    Writers in other processes are heard where a ``hall.listen.Listener`` rings for them;
    followers also poll, so the poll interval bounds the lag otherwise.  A follower of other
    logs sleeps on: a read model woken with nothing to read runs its queries all the same.
    Three of the four read models follow intake alone; in one run of single money posts
    (``python -m bench.ingest --money --duration 10``) each woke about 830 times for nothing,
    at about 0.6 ms of CPU a time, more in all than the fee ledger's own work.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[tuple[threading.Event, frozenset[str] | None]] = []

    def listener(self, streams: Iterable[str] | None = None) -> threading.Event:
        """An event set when one of ``streams`` is written (any of them: None)."""
        event = threading.Event()
        with self._lock:
            self._listeners.append((event, None if streams is None else frozenset(streams)))
        return event

    def ring(self, stream: str | None = None) -> None:
        """``stream`` was written (None: something was, or may have been)."""
        with self._lock:
            for event, streams in self._listeners:
                if stream is None or streams is None or stream in streams:
                    event.set()
