"""The bulk reads of an events table probe its indexes id by id, whatever the planner believes.

A group commit asks which event ids are known and which aggregates exist; supervision, and
billing's look-up of cases' departments, read many aggregates at once.  Written as plain joins
from the ids asked, a table that autovacuum had not analysed yet was scanned whole for each
read (a parallel hash join for 20 ids, a merge join along the whole primary key for 300).  The
planner is told here to avoid nested loops, the one plan that probes: the reads must probe
anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from psycopg.rows import tuple_row

from hall.followers import view_store
from hall.runtime import Hall
from services.ingest import EventKey
from tests.conftest import store_settings

TOPIC = "services.intake.domainmodel:Case.Accepted"


@pytest.fixture
def pg_hall(tmp_path: Path) -> Iterator[Hall]:
    for settings in store_settings("postgres", tmp_path):
        running = Hall.start(settings, follow=False)
        try:
            yield running
        finally:
            running.close()


def plan_nodes(hall: Hall, query: Any, params: list[Any]) -> list[dict[str, Any]]:
    """Every node of the plan PostgreSQL would run, planned as if nested loops were costly."""
    recorder: Any = hall.intake.recorder
    with (
        recorder.datastore.get_connection() as conn,
        conn.transaction(),
        conn.cursor(row_factory=tuple_row) as cursor,
    ):
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(b"EXPLAIN (FORMAT JSON) " + query.as_bytes(conn), params)
        (plan,) = cursor.fetchone()
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo += node.get("Plans", [])
    return nodes


def whole_table_reads(nodes: list[dict[str, Any]], tables: set[str]) -> list[str]:
    return [
        f"{n['Node Type']} on {n.get('Relation Name')}"
        for n in nodes
        if n["Node Type"] in {"Seq Scan", "Merge Join", "Hash Join"}
        and (n["Node Type"] != "Seq Scan" or n.get("Relation Name") in tables)
    ]


def test_reading_many_aggregates_probes_each(pg_hall: Hall) -> None:
    recorder: Any = pg_hall.intake.recorder
    cases = [uuid.uuid4() for _ in range(50)]
    recorder.insert_events([StoredEvent(c, v, TOPIC, b"{}") for c in cases for v in (1, 2)])

    nodes = plan_nodes(pg_hall, recorder._select_aggregates, [cases[:20]])

    assert whole_table_reads(nodes, {recorder.events_table_name}) == []
    found = recorder.select_aggregates([cases[3], uuid.uuid4(), cases[7]])
    assert {k: [e.originator_version for e in v] for k, v in found.items()} == {
        cases[3]: [1, 2],
        cases[7]: [1, 2],
    }


def test_looking_up_event_ids_probes_each(pg_hall: Hall) -> None:
    recorder: Any = pg_hall.intake.recorder
    keys = [EventKey(uuid.uuid4(), "d", uuid.uuid4(), 1) for _ in range(50)]
    recorder.insert_events(
        [StoredEvent(k.originator_id, 1, TOPIC, b"{}") for k in keys], event_keys=keys
    )

    asked = [k.event_id for k in keys[:20]]
    cases = [k.originator_id for k in keys[20:40]]
    nodes = plan_nodes(pg_hall, recorder._select_known, [asked, cases])

    tables = {recorder.events_table_name, recorder.keys_table_name}
    assert whole_table_reads(nodes, tables) == []
    known, versions = recorder.select_known([*asked, uuid.uuid4()], [*cases, uuid.uuid4()])
    assert set(known) == set(asked)
    assert versions == dict.fromkeys(cases, 1)


def test_the_stores_and_read_models_sessions_compile_no_queries(pg_hall: Hall) -> None:
    # A young table's estimates made the server JIT-compile a 2 ms bulk read for 39 ms and more
    # (hall/pgevents.py): every store's sessions, and the read models', run with JIT off.
    settings: list[str] = []
    for app in (pg_hall.intake, pg_hall.billing, pg_hall.access, pg_hall.supervision):
        recorder: Any = app.recorder
        with recorder.datastore.get_connection() as conn:
            settings.append(conn.execute("SHOW jit").fetchone()["jit"])
    views: Any = view_store(pg_hall.settings)
    try:
        with views.read() as cursor:
            cursor.execute("SHOW jit")
            settings.append(cursor.fetchone()[0])
    finally:
        views.close()

    assert settings == ["off"] * 5
