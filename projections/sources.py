"""Ordered sources of events with positions: what every consumer reads.

Projections and supervision are written once against :class:`EventSource`.  In one process the
source is a service's notification log (:class:`StoreLog`); in the distributed layout it is a Kafka
topic.  Either way a consumer sees :class:`Message`s — the event in the contract's shape — in
order within each stream, and tracks one position per stream.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
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
    """A service's notification log, read directly from its store."""

    def __init__(self, stream: str, recorder: Any, decode: Decoder) -> None:
        self.streams: tuple[str, ...] = (stream,)
        self.recorder = recorder
        self.decode = decode

    def read(self, stream: str, after: int, limit: int) -> list[Message]:
        assert stream == self.streams[0]
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        messages = []
        for n in notifications:
            type_, body, recorded_at = self.decode(n)
            messages.append(Message(stream, n.id, type_, body, recorded_at))
        return messages

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
    """Writers ring after each commit; every follower in the process wakes at once.

    Writers in other processes are not heard: followers also poll, so the poll interval bounds
    the lag in that case.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[threading.Event] = []

    def listener(self) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._listeners.append(event)
        return event

    def ring(self) -> None:
        with self._lock:
            for event in self._listeners:
                event.set()
