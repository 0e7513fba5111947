"""PostgreSQL events tables as hall writes and reads them, for every service's recorder.

The library's recorders are kept for everything they do (locking, notifying, tracking); this
mixin only changes how rows travel and adds the reads hall needs: existence of aggregates in
bulk (one query per group commit or supervision run), one aggregate's events with positions
(history), and the log read by followers and rebuilds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier

# The sessions that run hall's queries (the event stores' and the read models') run without JIT
# compilation; the writer lock's and the listener's run none worth it.  The server JIT-compiles
# a query whose estimated cost passes ``jit_above_cost``, and a young events table that has not
# been analysed yet (or was analysed when it looked very different) is estimated at thousands of
# rows per aggregate: billing's read of 357 cases from intake's table, which runs in 2 ms, was
# compiled first, for 39 ms (117 ms on the session's first run), on every group of assessments
# (``EXPLAIN ANALYZE``; ``python -m bench.ingest --money``).  Hall's queries are short probes
# that compilation never pays back.
SESSION_OPTIONS = "-c jit=off"


def by_aggregate(rows: Iterable[tuple[UUID, int, str, Any]]) -> dict[UUID, list[StoredEvent]]:
    """Rows of (originator id, version, topic, state), in order, as each aggregate's events."""
    found: dict[UUID, list[StoredEvent]] = {}
    for originator_id, version, topic, state in rows:
        stored = StoredEvent(originator_id, version, topic, bytes(state))
        found.setdefault(originator_id, []).append(stored)
    return found


class PostgresEvents:
    """Mixed into a library PostgreSQL recorder (before it, so these methods win)."""

    datastore: Any
    events_table_name: str

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        # The library opens the datastore's pool on first use, after its recorders are made: so
        # each of its connections starts with these options.
        datastore.pool.kwargs["options"] = SESSION_OPTIONS
        super().__init__(datastore, **kwargs)  # type: ignore[call-arg]

    def _sql(self, template: str) -> Composed:
        return SQL(template).format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )

    @cached_property
    def _insert_rows(self) -> Composed:
        return self._sql(
            "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        )

    @cached_property
    def _select_aggregates(self) -> Composed:
        # Each id's events are one forward probe of the primary key (``LATERAL``), whatever the
        # planner believes of the table.  As a plain join, on a young table that autovacuum had
        # not yet analysed, it hash-joined a parallel scan of the whole events table for 20 ids
        # (56 ms) or merge-joined a walk of its whole primary key; supervision's reads of its
        # files then fetched ~750,000 rows a second and were most of PostgreSQL's work under
        # single money posts (``python -m bench.ingest --money``).  ``OFFSET 0`` keeps the
        # planner from flattening the subquery back into that join.  (The outer sort is of the
        # rows found: a few per aggregate.)
        return self._sql(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state "
            "FROM unnest(%b::uuid[]) AS asked(id) CROSS JOIN LATERAL "
            "(SELECT * FROM {0}.{1} WHERE originator_id = asked.id OFFSET 0) e "
            "ORDER BY e.originator_id, e.originator_version"
        )

    @cached_property
    def _select_all(self) -> Composed:
        return self._sql(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        )

    @cached_property
    def _select_some(self) -> Composed:
        return self._sql(
            "SELECT notification_id, originator_id, originator_version, topic, "
            "CASE WHEN get_byte(uuid_send(originator_id), 15) %% %s = %s "
            "AND (topic <> ALL(%s::text[]) "
            "OR lead(notification_id) OVER (ORDER BY notification_id) IS NULL) THEN state END "
            "FROM {0}.{1} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        )

    @cached_property
    def _select_aggregate(self) -> Composed:
        return self._sql(
            "SELECT * FROM {0}.{1} WHERE originator_id = %s ORDER BY originator_version"
        )

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # The library's statement, but with four typed arrays sent in binary (``%b``): its
        # array of a composite type is dumped as text, escaping every event's encrypted bytes
        # (about a fifth of the write path's time in a profile of 500-event batches).  Only
        # ``%b`` makes parameters binary; ``binary=True`` is about the rows returned.
        self._lock_table(curs)  # type: ignore[attr-defined]
        self._notify_channel(curs)  # type: ignore[attr-defined]
        curs.execute(
            self._insert_rows,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
        )

    def select_aggregates(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every event of these aggregates, oldest first, in one query."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._select_aggregates, (list(originator_ids),), prepare=False)
            return by_aggregate(curs.fetchall())

    def select_log(
        self,
        after: int,
        limit: int,
        upto: int | None = None,
        parts: int = 1,
        part: int = 0,
        skip: frozenset[str] = frozenset(),
    ) -> tuple[list[Notification], int]:
        """The notifications among the next ``limit`` after position ``after`` (none past
        ``upto``) of the aggregates in ``part`` of ``parts`` (see
        :func:`hall.eventkeys.partition_of`), but for those of the topics in ``skip``, and the
        position read up to.

        Rows come back as tuples, not the library's dicts: every follower and rebuild reads
        the log through here.  The SQL is the library's one-sided, ordered, limited scan on
        purpose: a second bound, or the partition as a filter, made the planner expect a few
        rows of a young table and sort them on disk instead of reading its index in order
        (20x slower).  So the partition is only computed per row, and other partitions' rows
        come back without their state (nothing is decrypted to tell them apart), as do the
        skipped topics' rows, but for the newest row of the log: a reader tracks the last
        event it was given, and must be able to reach the head however the log ends.  (The
        window function looks one row ahead of the index scan; the plan stays streaming.)
        """
        some = parts > 1 or bool(skip)
        query = self._select_some if some else self._select_all
        params = [parts, part, sorted(skip)] if some else []
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(query, [*params, after, limit], prepare=True)
            rows = curs.fetchall()
        found = [
            Notification(
                id=position,
                originator_id=originator_id,
                originator_version=version,
                topic=topic,
                state=bytes(state),
            )
            for position, originator_id, version, topic, state in rows
            if state is not None and (upto is None or position <= upto)
        ]
        reached = rows[-1][0] if rows else after
        return found, reached if upto is None else min(reached, max(upto, after))

    def select_aggregate_notifications(self, originator_id: UUID) -> list[Notification]:
        """One aggregate's events with their log positions, oldest first."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_aggregate, (originator_id,), prepare=True)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]


class TrackedPostgresRecorder(PostgresEvents, PostgresProcessRecorder):
    """Supervision's recorder: events and the positions followed, in one transaction."""
