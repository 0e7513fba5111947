"""Upserts of the read models' store: row by row for a few rows, staged in bulk for many."""

from __future__ import annotations

import pytest

from hall.followers import view_store
from hall.settings import Settings
from projections.viewstore import STAGED, upsert


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
