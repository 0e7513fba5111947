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
from psycopg.sql import SQL, Identifier

from hall.pgevents import PostgresEvents, by_aggregate
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
        # Both lookups start from the ids asked (``unnest``) and probe the indexes per id
        # (``LATERAL``), planned afresh each time (never prepared): written as ``= ANY(%s)``,
        # or planned once while the tables were small, they scanned whole tables for every
        # group as the tables grew (38 -> 184 µs of PostgreSQL CPU per posted event after a
        # few thousand single posts); as plain joins, a young table not yet analysed was
        # scanned whole too (see ``PostgresEvents._select_aggregates``; ``OFFSET 0`` keeps each
        # subquery a probe).  One statement answers both: a row with a digest is a known key,
        # a row without one an aggregate's last version (see ``select_known``).
        events = Identifier(self.events_table_name)
        self._select_known = SQL(
            "SELECT k.event_id AS id, k.digest, e.notification_id AS number, k.originator_id "
            "FROM unnest(%b::uuid[]) AS asked(event_id) "
            "CROSS JOIN LATERAL (SELECT * FROM {0}.{1} WHERE event_id = asked.event_id OFFSET 0) k "
            "CROSS JOIN LATERAL (SELECT notification_id FROM {0}.{2} WHERE originator_id = "
            "k.originator_id AND originator_version = k.originator_version OFFSET 0) e "
            "UNION ALL "
            "SELECT asked.id, NULL, last.version, NULL FROM unnest(%b::uuid[]) AS asked(id) "
            "CROSS JOIN LATERAL (SELECT v.originator_version AS version FROM {0}.{2} v "
            "WHERE v.originator_id = asked.id ORDER BY v.originator_version DESC LIMIT 1) last"
        ).format(schema, table, events)
        # The write: the keys, the table lock, the notification and the events, in one
        # function called by one statement (``insert_events``).
        self._write_function = Identifier(f"{events_table_name}_write"[:63])
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {0}.{1}(turn_key text, lock_timeout text, "
                "key_ids uuid[], key_digests text[], key_originators uuid[], "
                "key_versions bigint[], ids uuid[], versions bigint[], topics text[], "
                "states bytea[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $body$ "
                "BEGIN "
                # Not while another writer holds its turn (``hall.writerlock``, whose key this
                # hashes alike): waits for it to end, holding nothing yet that the turn's own
                # write could wait for.
                "IF turn_key IS NOT NULL THEN "
                "PERFORM pg_advisory_xact_lock_shared(hashtextextended(turn_key, 0)); "
                "END IF; "
                "INSERT INTO {0}.{2} (event_id, digest, originator_id, originator_version) "
                "SELECT * FROM unnest(key_ids, key_digests, key_originators, key_versions); "
                # The library's table lock: insert order is commit order, so that followers
                # never pass a position that a slower transaction fills in later.
                "PERFORM set_config('lock_timeout', lock_timeout, true); "
                "LOCK TABLE {0}.{3} IN EXCLUSIVE MODE; "
                "NOTIFY {4}; "
                "RETURN QUERY INSERT INTO {0}.{3} "
                "(originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id; "
                "END $body$"
            ).format(schema, self._write_function, table, events, Identifier(self.channel_name))
        )
        self._write = SQL(
            "SELECT notification_id FROM {0}.{1}(%b::text, %b::text, %b::uuid[], %b::text[], "
            "%b::uuid[], %b::bigint[], %b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
            "AS notification_id"
        ).format(schema, self._write_function)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's transaction (keys, table lock, notify, events) as ONE statement.

        The library sends each of them as a statement of its own (in a pipeline it syncs three
        times; hall synced its pipeline once until December 2026).  Each statement costs the
        writer's thread CPU in psycopg, and each wait on the socket gives up the interpreter's
        lock, which the API's event loop then holds while it parses requests.  Measured in
        process, a pipeline of eight trivial statements took 306-380 µs of CPU against 55-60
        for one (scratch loop), and a write of 16 events 598-705 µs against 302-313 (see
        bench/README.md, writer benchmark).  The statements are now those of the function made
        with the tables (``__init__``), called in autocommit: one transaction, and a failure (a
        key or version another process wrote) rolls back all of it.

        ``outside_turn_of`` names the writers' lock whose turns the write waits out first
        (``hall.writerlock``); ``event_keys`` are written before the events.
        """
        if not stored_events:
            return []
        keys: Sequence[EventKey] = kwargs.get("event_keys", ())
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                self._write,
                (
                    kwargs.get("outside_turn_of"),
                    f"{self.datastore.lock_timeout}s",
                    [k.event_id for k in keys],
                    [k.digest for k in keys],
                    [k.originator_id for k in keys],
                    [k.originator_version for k in keys],
                    [e.originator_id for e in stored_events],
                    [e.originator_version for e in stored_events],
                    [e.topic for e in stored_events],
                    [e.state for e in stored_events],
                ),
            )
            return [row["notification_id"] for row in curs.fetchall()]

    def select_known(
        self, event_ids: Sequence[UUID], originator_ids: Sequence[UUID]
    ) -> tuple[dict[UUID, KnownEvent], dict[UUID, int]]:
        """The known ids among ``event_ids`` with their digest and position, and the last
        stored version of each aggregate among ``originator_ids`` that exists: both queries
        asked in one statement, one round trip (under load the round trip costs the writer more
        than the queries do; see ``insert_events``)."""
        if not event_ids and not originator_ids:
            return {}, {}
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_known, (list(event_ids), list(originator_ids)), prepare=False)
            known: dict[UUID, KnownEvent] = {}
            last: dict[UUID, int] = {}
            for row in curs.fetchall():
                if row["digest"] is None:
                    last[row["id"]] = row["number"]
                else:
                    position, originator_id = row["number"], row["originator_id"]
                    known[row["id"]] = KnownEvent(row["digest"], position, originator_id)
            return known, last


def partition_of(originator_id: UUID, parts: int) -> int:
    """Which of ``parts`` partitions an aggregate's events fall in (its id's last byte): all of
    one case's events, or one catalogue entry's, always fall in the same one."""
    return originator_id.bytes[15] % parts


def _chunks(items: Sequence[UUID], size: int) -> Iterable[Sequence[UUID]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
