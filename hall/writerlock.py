"""One writer at a time, across processes, for a service whose every batch writes the same
aggregates.

Billing's day (每日收付) and its list of open days are changed by every payment, so two API
processes deciding payments at once nearly always both write the day's next version: one
commit wins and the other is decided again, and under a steady stream of payments that
happened three times running (measured with ``python -m bench.ingest --money --workers 2``:
50 of 6,463 single posts answered 503 ``store_error``, p99 1.7 s).  Taken around each group's
whole decision (read, decide, write), a PostgreSQL advisory lock makes the writers take turns
instead; billing's repository fast-forwards cached aggregates on every read, so each turn
decides on what the previous one wrote.  Intake's cases are each written by the terminals of
one case and need no lock: conflicts there are rare and are simply decided again.

The writers take turns only while another writer shows: a group finds the day written past
this process's copy, or a write collides.  A lone writer (one ``hall serve``) takes no lock.
A collision costs the loser one decision again, taken in turn.  Meanwhile the winner, which has
seen no other writer, still writes outside turns; so every write made outside a turn first
takes the lock in shared mode for its transaction (first in the write's one statement,
``hall.eventkeys``: no round trip of its own).  It waits while another writer holds its turn,
and a turn waits for the writes under way: a turn's decision is never overtaken.  A write that
waited may then collide, and its writer takes turns too.  (Without this, under a steady stream
of payments on two writers, the loser's decisions in turn were overtaken three times running:
503.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from eventsourcing.persistence import OperationalError

TURNS_AFTER = 600.0  # seconds the writers keep taking turns after another one was last seen


class WriterLock:
    """A session advisory lock named after the deployment's schema and the service."""

    # A write outside a turn takes the same lock in shared mode until its transaction ends (the
    # write function of ``hall.eventkeys`` hashes the key alike): session and transaction
    # advisory locks of one key block each other.
    _TAKE = "SELECT pg_advisory_lock(hashtextextended(%(key)s, 0))"
    _RELEASE = "SELECT pg_advisory_unlock(hashtextextended(%(key)s, 0))"
    # Evaluated left to right: the release (which grants the lock to whoever waits), then
    # the request to take it again.
    _HAND_ON = (
        "SELECT pg_advisory_unlock(hashtextextended(%(key)s, 0)), "
        "pg_advisory_lock(hashtextextended(%(key)s, 0))"
    )

    def __init__(self, url: str, schema: str, service: str) -> None:
        self.url = url
        self.service = service
        self.key = f"hall:{schema}:{service}"  # hashed by PostgreSQL into the lock's number
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._mutex = threading.Lock()  # one holder per process too (the committer's thread)
        self._others_until = 0.0  # (monotonic) when to stop taking turns, another writer unseen

    @property
    def wanted(self) -> bool:
        """Whether another process has written this service's events lately: only then do
        the writers take turns.  A lone writer would pay the lock's round trips for nothing
        (in ``bench.ingest --money``'s (a), about 200 µs of its wall time per event, and about
        a third of its time)."""
        return time.monotonic() < self._others_until

    def another_writer(self) -> None:
        """Another process writes too (its write was seen, or collided with ours): take turns
        from now on, until none has been seen for ``TURNS_AFTER`` seconds."""
        self._others_until = time.monotonic() + TURNS_AFTER

    @contextmanager
    def held(self) -> Iterator[Callable[[], None]]:
        """Hold the lock for the body; a store that can't be reached is OperationalError
        (503 ``store_unavailable``), as the event store's own failures are.

        The body gets ``pass_turn``: it lets a writer waiting in another process go first,
        then queues for the lock again, in one round trip instead of a release and a take
        (a busy writer's groups follow each other; each round trip costs the writer's thread
        its wait for the interpreter's lock too).  PostgreSQL grants a released lock to the
        sessions already waiting for it before a new request, so nobody waits longer for it.
        """
        with self._mutex:
            connection = self._run(self._TAKE, "take")
            try:
                yield self._pass_turn
            finally:
                try:
                    connection.execute(self._RELEASE, {"key": self.key})
                except psycopg.Error:
                    self._drop()  # a lost session holds no lock any more

    def _pass_turn(self) -> None:
        self._run(self._HAND_ON, "take back")

    def _run(self, statement: str, doing: str) -> psycopg.Connection[tuple[object, ...]]:
        try:
            connection = self._connect()
            connection.execute(statement, {"key": self.key})
        except psycopg.Error as error:
            self._drop()
            why = f"could not {doing} {self.service}'s writer lock: {error}"
            raise OperationalError(why) from error
        return connection

    def close(self) -> None:
        with self._mutex:
            self._drop()

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
