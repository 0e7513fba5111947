"""The read models' store: upserts row by row for a few rows, staged in bulk for many; on
PostgreSQL, statements stay prepared from one read to the next."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hall.followers import view_store
from hall.settings import Settings
from projections.viewstore import STAGED, PostgresViews, upsert
from tests.conftest import store_settings


@pytest.mark.parametrize("count", [3, STAGED + 50])
def test_an_upsert_inserts_new_rows_and_updates_existing_ones(
    settings: Settings, count: int
) -> None:
    store = view_store(settings)
    try:
        with store.transaction() as cur:
            cur.execute("CREATE TABLE t_upsert (k TEXT PRIMARY KEY, n INTEGER, note TEXT)")
            upsert(
                cur,
                "t_upsert",
                ("k", "n", "note"),
                1,
                [(f"k{i}", i, None) for i in range(0, count, 2)],
            )
        with store.transaction() as cur:
            # every key once, the even ones existing; then again in the same transaction
            upsert(
                cur, "t_upsert", ("k", "n", "note"), 1, [(f"k{i}", -i, "a") for i in range(count)]
            )
            upsert(
                cur,
                "t_upsert",
                ("k", "n", "note"),
                1,
                [(f"k{i}", 10 * i, "b") for i in range(1, count, 3)],
                updates="n = t_upsert.n + excluded.n, note = excluded.note",
            )
        with store.read() as cur:
            cur.execute("SELECT k, n, note FROM t_upsert")
            rows = {k: (n, note) for k, n, note in cur.fetchall()}
    finally:
        store.close()

    expected = {f"k{i}": (-i, "a") for i in range(count)}
    expected |= {f"k{i}": (9 * i, "b") for i in range(1, count, 3)}
    assert rows == expected


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    yield from store_settings("postgres", tmp_path)  # SQLite prepares nothing across reads


def test_a_query_run_at_every_read_stays_prepared(pg_settings: Settings) -> None:
    """Every projector's step begins with a read of the same queries.  psycopg prepares a
    query after its fifth run and drops every prepared statement after a ROLLBACK; a read that
    ended by rolling back had them parsed afresh on each step."""
    store = view_store(pg_settings)
    assert isinstance(store, PostgresViews)
    try:
        store.pool.resize(1, 1)  # every read on the one connection
        for _ in range(8):
            with store.read() as cur:
                cur.execute("SELECT count(*) FROM pg_class WHERE relname = ?", ("pg_proc",))
                assert cur.fetchone() == (1,)
        with store.read() as cur:
            cur.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [statement for (statement,) in cur.fetchall()]
    finally:
        store.close()

    assert any("relname = $1" in statement for statement in prepared), prepared
