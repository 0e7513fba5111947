"""Event ids as permanent idempotency keys, written in the same transaction as the events.

Terminals retry, so every posted event carries an ``event_id``.  We keep one row per id with a
digest of the event's content and the stored event it became.  The row is inserted by the same
transaction that inserts the events (the library's recorder hook), so "recorded" and "remembered"
can never disagree: there is no cache to lose on restart.  The primary key makes a concurrent
duplicate from another process fail the whole transaction with ``IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from hall.pgevents import PostgresEvents, by_aggregate
from hall.writerlock import WAIT_OUT_TURN
from services.ingest import EventKey


@dataclass(frozen=True)
class KnownEvent:
    """A recorded key (an event id, or another key a decision claimed: a receipt number), its
    digest, and the log position and aggregate of the event that claimed it."""

    digest: str
    position: int
    originator_id: UUID


class KeyedSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite events table plus an ``event_keys`` table filled in the same transaction."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS event_keys ("
            "event_id TEXT PRIMARY KEY, digest TEXT NOT NULL, "
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        keys: Iterable[EventKey] = kwargs.get("event_keys", ())
        c.executemany(
            "INSERT INTO event_keys VALUES (?, ?, ?, ?)",
            [(k.event_id.hex, k.digest, k.originator_id.hex, k.originator_version) for k in keys],
        )
        return ids

    def select_event_keys(self, event_ids: Sequence[UUID]) -> dict[UUID, KnownEvent]:
        """The known ids among ``event_ids`` with their digest and position."""
        if not event_ids:
            return {}
        found: dict[UUID, KnownEvent] = {}
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(event_ids, 500):
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"SELECT k.event_id, k.digest, e.rowid AS position, k.originator_id "  # noqa: S608
                    f"FROM event_keys k "
                    f"JOIN {self.events_table_name} e ON e.originator_id = k.originator_id "
                    f"AND e.originator_version = k.originator_version "
                    f"WHERE k.event_id IN ({marks})",
                    [i.hex for i in chunk],
                )
                for row in c.fetchall():
                    found[UUID(row["event_id"])] = KnownEvent(
                        row["digest"], row["position"], UUID(row["originator_id"])
                    )
        return found

    def select_known(
        self, event_ids: Sequence[UUID], originator_ids: Sequence[UUID]
    ) -> tuple[dict[UUID, KnownEvent], dict[UUID, int]]:
        """What a group commit asks first: which event ids are known, and the last stored
        version of each of these aggregates that exists."""
        return self.select_event_keys(event_ids), self.select_versions(originator_ids)

    def select_versions(self, originator_ids: Sequence[UUID]) -> dict[UUID, int]:
        """The last stored version of each of these aggregates that has any event."""
        found: dict[UUID, int] = {}
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(originator_ids, 500):
                c.execute(
                    f"SELECT originator_id, MAX(originator_version) AS version "  # noqa: S608
                    f"FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) "
                    "GROUP BY originator_id",
                    [i.hex for i in chunk],
                )
                found |= {UUID(row["originator_id"]): row["version"] for row in c.fetchall()}
        return found

    def select_aggregates(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every event of these aggregates, oldest first (as the PostgreSQL recorder's)."""
        rows = []
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(originator_ids, 500):
                c.execute(
                    f"SELECT originator_id, originator_version, topic, state "  # noqa: S608
                    f"FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) "
                    "ORDER BY originator_id, originator_version",
                    [i.hex for i in chunk],
                )
                rows += [(UUID(r[0]), r[1], r[2], r[3]) for r in c.fetchall()]
        return by_aggregate(rows)

    def select_log(
        self,
        after: int,
        limit: int,
        upto: int | None = None,
        parts: int = 1,
        part: int = 0,
        skip: frozenset[str] = frozenset(),
    ) -> tuple[list[Notification], int]:
        """As the PostgreSQL recorder's: the notifications among the next ``limit`` after
        ``after`` (none past ``upto``) in ``part`` of ``parts`` but for the topics in
        ``skip`` (the log's newest row comes back whatever its topic), and the position read
        up to."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
                f"FROM {self.events_table_name} WHERE rowid > ? AND rowid <= ? "
                "ORDER BY rowid LIMIT ?",
                [after, upto if upto is not None else 2**62, limit + 1],
            )
            rows = c.fetchall()
        newest = rows[-1][0] if len(rows) <= limit and rows else None  # no row after it
        rows = rows[:limit]
        found = []
        for rowid, originator_id, version, topic, state in rows:
            ident = UUID(originator_id)
            wanted = topic not in skip or rowid == newest  # the newest always: see pgevents
            if wanted and (parts == 1 or partition_of(ident, parts) == part):
                found.append(
                    Notification(
                        id=rowid,
                        originator_id=ident,
                        originator_version=version,
                        topic=topic,
                        state=state,
                    )
                )
        return found, rows[-1][0] if rows else after

    def select_aggregate_notifications(self, originator_id: UUID) -> list[Notification]:
        """One aggregate's events with their log positions, oldest first."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, * FROM {self.events_table_name} "  # noqa: S608
                "WHERE originator_id = ? ORDER BY originator_version",
                [originator_id.hex],
            )
            return [
                Notification(
                    id=row["rowid"],
                    originator_id=originator_id,
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]


class KeyedPostgresRecorder(PostgresEvents, PostgresApplicationRecorder):
    """PostgreSQL events table plus ``<app>_event_keys`` filled in the same transaction."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        # The library names the channel it notifies on each commit after the table alone: two
        # halls in one database (schemas of their own) would wake each other's followers.
        # PostgreSQL cuts a channel's name at 63 bytes; cut here too, so a notification's
        # channel is the name listened to (``hall.listen``).
        self.channel_name = f"{self.datastore.schema}_{self.channel_name}"[:63]
        self.keys_table_name = events_table_name.removesuffix("_events") + "_event_keys"
        schema, table = Identifier(self.datastore.schema), Identifier(self.keys_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (event_id uuid PRIMARY KEY, "
                "digest text NOT NULL, originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL)"
            ).format(schema, table)
        )
        self._insert_keys = SQL(
            "INSERT INTO {0}.{1} (event_id, digest, originator_id, originator_version) "
            "SELECT * FROM unnest(%b::uuid[], %b::text[], %b::uuid[], %b::bigint[])"
        ).format(schema, table)
        # Both lookups start from the ids asked (``unnest``) and probe the indexes per id
        # (``LATERAL``), planned afresh each time (never prepared): written as ``= ANY(%s)``,
        # or planned once while the tables were small, they scanned whole tables for every
        # group as the tables grew (38 -> 184 µs of PostgreSQL CPU per posted event after a
        # few thousand single posts); as plain joins, a young table not yet analysed was
        # scanned whole too (see ``PostgresEvents._select_aggregates``; ``OFFSET 0`` keeps each
        # subquery a probe).
        self._select_keys = SQL(
            "SELECT k.event_id, k.digest, e.notification_id, k.originator_id "
            "FROM unnest(%b::uuid[]) AS asked(event_id) "
            "CROSS JOIN LATERAL (SELECT * FROM {0}.{1} WHERE event_id = asked.event_id OFFSET 0) k "
            "CROSS JOIN LATERAL (SELECT notification_id FROM {0}.{2} WHERE originator_id = "
            "k.originator_id AND originator_version = k.originator_version OFFSET 0) e"
        ).format(schema, table, Identifier(self.events_table_name))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's transaction (keys, table lock, notify, events) in ONE round trip.

        The library syncs its pipeline three times per transaction (entering the
        transaction, after the insert, at commit).  The group committer's thread waits out
        each round trip and then waits again for the GIL, which the API's event loop holds
        while it parses requests.  Measured with ``HALL_FOLLOWERS=false python -m
        bench.ingest``: 4.9-5.1 ms per group commit's write before, 4.1 ms after, and (a)
        1,301-1,407 -> 1,499-1,529 events/s, on the same machine within minutes.

        Here BEGIN ... COMMIT are plain statements queued in one pipeline and synced once; a
        failure (e.g. a key or version another process wrote) skips the rest, COMMIT
        included, and is rolled back before the connection goes back to the pool.
        """
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn:
            try:
                with conn.pipeline() as pipeline, conn.cursor() as curs, conn.cursor() as rows:
                    curs.execute("BEGIN")
                    self._insert_events(curs, stored_events, **kwargs)
                    self._insert_stored_events(rows, stored_events, **kwargs)
                    curs.execute("COMMIT")
                    pipeline.sync()
                    return self._fetch_ids_after_insert_events(rows, stored_events, **kwargs)
            except BaseException:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.rollback()
                raise

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # Runs inside the transaction, before the events insert and its table lock.
        turns: str | None = kwargs.get("outside_turn_of")
        if turns is not None:
            # Not while another writer holds its turn (``hall.writerlock``): waits for it to
            # end, holding nothing yet that the turn's own write could wait for.
            curs.execute(WAIT_OUT_TURN, {"key": turns})
        keys: Sequence[EventKey] = kwargs.get("event_keys", ())
        if keys:
            curs.execute(
                self._insert_keys,
                (
                    [k.event_id for k in keys],
                    [k.digest for k in keys],
                    [k.originator_id for k in keys],
                    [k.originator_version for k in keys],
                ),
            )
        super()._insert_events(curs, stored_events, **kwargs)

    def select_known(
        self, event_ids: Sequence[UUID], originator_ids: Sequence[UUID]
    ) -> tuple[dict[UUID, KnownEvent], dict[UUID, int]]:
        """The known ids among ``event_ids`` with their digest and position, and the last
        stored version of each aggregate among ``originator_ids`` that exists: both queries
        sent in one pipeline, one round trip (under load the round trip costs the writer more
        than the queries do; see ``insert_events``)."""
        if not event_ids and not originator_ids:
            return {}, {}
        with (
            self.datastore.get_connection() as conn,
            conn.pipeline() as pipeline,
            conn.cursor() as keys,
            conn.cursor() as versions,
        ):
            if event_ids:
                keys.execute(self._select_keys, (list(event_ids),), prepare=False)
            if originator_ids:
                versions.execute(self._select_versions, (list(originator_ids),), prepare=False)
            pipeline.sync()
            known = {
                row["event_id"]: KnownEvent(
                    row["digest"], row["notification_id"], row["originator_id"]
                )
                for row in (keys.fetchall() if event_ids else ())
            }
            last = {
                row["originator_id"]: row["version"]
                for row in (versions.fetchall() if originator_ids else ())
            }
            return known, last


def partition_of(originator_id: UUID, parts: int) -> int:
    """Which of ``parts`` partitions an aggregate's events fall in (its id's last byte): all of
    one case's events, or one catalogue entry's, always fall in the same one."""
    return originator_id.bytes[15] % parts


def _chunks(items: Sequence[UUID], size: int) -> Iterable[Sequence[UUID]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
