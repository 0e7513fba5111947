"""Where read models live: one SQLite file, or hall's PostgreSQL database.

Projections write portable SQL (``?`` placeholders, ``INSERT … ON CONFLICT … DO UPDATE``), which
both engines accept once placeholders are translated, so each projection is written once.
Every write happens in :meth:`ViewStore.transaction`, where a projection's view rows and its
tracking positions commit together (exactly-once effect).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg_pool import ConnectionPool

from hall.pgevents import SESSION_OPTIONS

_PLACEHOLDER = re.compile(r"\?")
STAGED = 200  # rows from which an upsert goes through a scratch table (where one is offered)


class Cursor(Protocol):
    """The part of a DB-API cursor projections use."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...

    def fetchone(self) -> tuple[Any, ...] | None: ...

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows known to be new, in bulk."""

    def stage(self, table: str) -> str | None:
        """An empty scratch table shaped like ``table`` for this transaction, if the engine
        gains by staging bulk upserts (PostgreSQL); None to upsert row by row."""


class ViewStore(Protocol):
    """A database for read models."""

    dialect: str

    def transaction(self) -> Any:
        """A context manager yielding a :class:`Cursor`; commits on success."""

    def read(self) -> Any:
        """A context manager yielding a :class:`Cursor` for queries."""

    def close(self) -> None: ...


def upsert(
    cur: Cursor,
    table: str,
    columns: Sequence[str],
    keys: int,
    rows: Sequence[Sequence[Any]],
    updates: str | None = None,
    new: bool = False,
) -> None:
    """Insert ``rows`` or, where the first ``keys`` columns exist already, update the rest
    (``updates`` replaces the default ``c = excluded.c``); rows the caller knows are ``new``
    (a rebuild's first write of them) go in by ``COPY``.

    A few rows: one statement per row through ``executemany`` (psycopg pipelines them;
    measured on a 50,000-event rebuild, many-row ``VALUES`` statements took several times
    longer).  From ``STAGED`` rows on, where the engine offers it, the rows are copied into a
    scratch table and merged by one ``INSERT … SELECT``: measured on PostgreSQL with 200,000
    rows in the table, 17 µs a row one by one against 7–10 µs staged, from 500 rows a batch
    (``rows`` must not repeat a key: one statement cannot update a row twice).
    """
    if new:
        cur.copy(table, columns, rows)
        return
    if updates is None:
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns[keys:])
    names = ", ".join(columns)
    conflict = f"ON CONFLICT ({', '.join(columns[:keys])}) DO UPDATE SET {updates}"
    stage = cur.stage(table) if len(rows) >= STAGED else None
    if stage is None:
        cur.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))}) {conflict}",  # noqa: S608
            rows,
        )
        return
    cur.copy(stage, columns, rows)
    cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} {conflict}")  # noqa: S608
    cur.execute(f"DELETE FROM {stage}")  # noqa: S608  (a later upsert in this transaction)


class _SQLiteCursor(sqlite3.Cursor):
    """sqlite3's cursor, with the bulk insert of the protocol."""

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        marks = ", ".join("?" * len(columns))
        self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608

    def stage(self, table: str) -> str | None:
        return None  # in-process: row by row costs no round trips


class SQLiteViews:
    """Read models in one SQLite file (WAL: readers never wait for the projector)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        conn = self._conn()
        with self._write_lock:
            # IMMEDIATE: take the write lock first, so two writers (e.g. a rebuild's swap and
            # the live projector in another process) queue instead of failing mid-way.
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn.cursor(factory=_SQLiteCursor)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        yield self._conn().cursor(factory=_SQLiteCursor)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _PgCursor:
    """psycopg with ``?`` placeholders."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(_PLACEHOLDER.sub("%s", sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        return self._cursor.executemany(_PLACEHOLDER.sub("%s", sql), rows)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cursor.fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cursor.fetchone()

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self._cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def stage(self, table: str) -> str:
        # A temporary table lives as long as the pooled connection; emptied at every commit
        # (and by ``upsert`` after each use), so it never holds more than one batch.
        name = f"stage_{table}"
        self._cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} (LIKE {table}) ON COMMIT DELETE ROWS"
        )
        return name


class PostgresViews:
    """Read models in hall's PostgreSQL schema."""

    dialect = "postgres"

    def __init__(self, conninfo: str, schema: str, pool_size: int = 4) -> None:
        self.schema = schema
        self.pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            # Custom plans always: psycopg prepares a statement after a few runs, and a generic
            # plan made while a rebuild's fresh table was nearly empty (a sequential scan) would
            # serve every later batch; a 1,000,000-case rebuild slowed to a crawl that way.
            # And no JIT compilation, as the event stores (``SESSION_OPTIONS``).
            kwargs={
                "options": f"-c search_path={schema} -c plan_cache_mode=force_custom_plan "
                f"{SESSION_OPTIONS}"
            },
            open=True,
        )

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            yield _PgCursor(cursor)

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        with self.pool.connection() as conn, conn.cursor() as cursor:
            yield _PgCursor(cursor)
            # Ends the queries' transaction.  Not ``rollback()``: after a ROLLBACK psycopg
            # drops the connection's prepared statements (DEALLOCATE ALL), and every
            # projector's step begins with a read, so its statements were parsed afresh each
            # step.  A transaction that only read commits as cheaply.
            conn.commit()

    def close(self) -> None:
        self.pool.close()
