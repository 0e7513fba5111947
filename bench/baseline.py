"""(c) The raw baseline: what PostgreSQL itself does with one transaction per request.

Rows are shaped like the library's stored events (uuid originator id, version, topic, a bytea
state as long as hall's stored events, a notification id sequence with a unique index), and each
is its own INSERT + COMMIT from ``clients`` connections at once: the same concurrency as (a), with
no table lock, no HTTP, no decoding.  The ratio a/c is then what the service costs over the disk.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

import psycopg
from psycopg import sql

from bench.load import Phase

TOPIC = "services.intake.domainmodel:Case.Transferred"


def stored_state_length(url: str, schema: str, table: str = "intake_events") -> int:
    """The mean length of hall's stored event states (encrypted, compressed), else 600."""
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT avg(octet_length(state))::int FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        try:
            row = conn.execute(query).fetchone()
        except psycopg.Error:
            return 600
    return int(row[0]) if row and row[0] else 600


def create_rows_table(conn: psycopg.Connection[Any], table: sql.Identifier) -> None:
    """A table shaped like the library's stored events (no hall keys, no lock)."""
    conn.execute(
        sql.SQL(
            "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
            " topic text, state bytea, notification_id bigserial,"
            " PRIMARY KEY (originator_id, originator_version))"
        ).format(table)
    )
    conn.execute(sql.SQL("CREATE UNIQUE INDEX ON {} (notification_id)").format(table))


def raw_inserts(url: str, schema: str, count: int, clients: int, state_length: int) -> Phase:
    """Insert ``count`` rows, one transaction each, from ``clients`` threads (a connection each)."""
    phase = Phase(f"(c) raw INSERT+COMMIT, {clients} connections", clients)
    table = sql.Identifier(schema, "bench_raw")
    with psycopg.connect(url, autocommit=True) as conn:
        create_rows_table(conn, table)
    insert = sql.SQL(
        "INSERT INTO {} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)"
    ).format(table)
    connections = [psycopg.connect(url) for _ in range(clients)]
    shares = [count // clients + (1 if c < count % clients else 0) for c in range(clients)]
    gate = threading.Barrier(clients + 1)
    lock = threading.Lock()

    def worker(conn: psycopg.Connection[tuple[object, ...]], n: int) -> None:
        # States are generated up front so the timed loop is INSERT + COMMIT only.
        states = [os.urandom(state_length) for _ in range(n)]
        mine: list[float] = []
        gate.wait()
        try:
            for state in states:
                sent = time.perf_counter()
                conn.execute(insert, (uuid.uuid4(), 1, TOPIC, state), prepare=True)
                conn.commit()
                mine.append(time.perf_counter() - sent)
        except psycopg.Error as error:
            with lock:
                phase.fail(f"{type(error).__name__}: {error}")
        with lock:
            phase.latencies.extend(mine)
            phase.events += len(mine)

    threads = [
        threading.Thread(target=worker, args=(conn, n))
        for conn, n in zip(connections, shares, strict=True)
    ]
    for thread in threads:
        thread.start()
    gate.wait()
    start, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - start
    phase.cpu = {"load_generator": (time.process_time() - cpu) / phase.seconds}
    for conn in connections:
        conn.close()
    return phase
