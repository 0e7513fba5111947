"""Rows a projection keeps decoded between its batches.

Without it each batch reads every row it touches back from the database, decodes it (clocks
and event lists are JSON), folds the batch into it and writes it again: a case's five events in
five batches cost five round trips.  A projection's runner is the only writer of its generation,
so what it wrote last is what the table holds, and it can keep that instead of reading it back.

- **write-through** (a live projector): every batch still writes the rows it changed, in the
  transaction that records its positions; memory only saves the reads.  The projector forgets
  everything when a batch fails or the tables moved under it (a swap, another runner).
- **deferred** (a rebuild): nothing is written until :meth:`Memory.flush`; only the rebuild
  writes its fresh tables, and it flushes before it swaps them in.  A key never seen and never
  evicted is known not to be in the table, so a new case costs no read at all.

Both keep at most ``capacity`` rows a table, dropping the least recently used (flushed first
when deferred).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from projections.viewstore import Cursor

Row = dict[str, Any]
Loader = Callable[[Cursor, set[str]], dict[str, Row]]
Writer = Callable[[Cursor, list[Row], bool], None]  # (cursor, rows, all new to the table)
LIVE_CAPACITY, REBUILD_CAPACITY = 20_000, 200_000  # rows a table


class Table:
    """One keyed table's rows (keyed as the projection keys them, e.g. by case number)."""

    def __init__(self, deferred: bool, capacity: int) -> None:
        self.deferred, self.capacity = deferred, capacity
        self.rows: OrderedDict[str, Row] = OrderedDict()
        self.dirty: set[str] = set()
        self.evicted: set[str] = set()  # deferred: flushed, then dropped from memory
        self.stored: set[str] = set()  # deferred: written to the table at some flush
        self.write: Writer | None = None  # how the projection writes these rows

    def get(self, cur: Cursor, keys: Iterable[str], load: Loader) -> dict[str, Row]:
        """The rows for ``keys`` that exist: held ones, the others read with ``load``."""
        found: dict[str, Row] = {}
        missing: set[str] = set()
        for key in keys:
            row = self.rows.get(key)
            if row is not None:
                self.rows.move_to_end(key)
                found[key] = row
            elif not self.deferred or key in self.evicted:
                missing.add(key)
        if missing:
            loaded = load(cur, missing)
            for key, row in loaded.items():
                self.rows[key] = row
                self.evicted.discard(key)
                self.stored.add(key)
            found |= loaded
        return found

    def put(self, cur: Cursor, rows: dict[str, Row], write: Writer) -> None:
        """The rows a batch changed: written now (write-through) or at the next flush."""
        self.write = write
        for key, row in rows.items():
            self.rows[key] = row
            self.rows.move_to_end(key)
        if self.deferred:
            self.dirty |= rows.keys()
        else:
            write(cur, list(rows.values()), False)
        if len(self.rows) > self.capacity:
            self._shrink(cur)

    def flush(self, cur: Cursor) -> None:
        """Write the rows held back: by ``COPY`` those never written before."""
        if self.dirty:
            assert self.write is not None
            new = [key for key in self.dirty if key not in self.stored]
            again = [self.rows[key] for key in self.dirty if key in self.stored]
            self.write(cur, [self.rows[key] for key in new], True)
            self.write(cur, again, False)
            self.stored.update(new)
            self.dirty.clear()

    def _shrink(self, cur: Cursor) -> None:
        self.flush(cur)
        while len(self.rows) > self.capacity * 3 // 4:
            key, _ = self.rows.popitem(last=False)
            if self.deferred:
                self.evicted.add(key)


class Memory:
    """A projection's memory: its keyed tables, and counter changes not yet written."""

    def __init__(self, deferred: bool = False, capacity: int | None = None) -> None:
        self.deferred = deferred
        self.capacity = capacity or (REBUILD_CAPACITY if deferred else LIVE_CAPACITY)
        self.tables: dict[str, Table] = {}
        self.counts: dict[str, dict[Any, list[Any]]] = {}  # deferred: summed until the flush

    def table(self, name: str) -> Table:
        if name not in self.tables:
            self.tables[name] = Table(self.deferred, self.capacity)
        return self.tables[name]

    def flush(self, cur: Cursor) -> None:
        """Write every table's rows held back (deferred; nothing is held back otherwise)."""
        for table in self.tables.values():
            table.flush(cur)

    def add(self, counters: str, deltas: dict[Any, list[Any]]) -> None:
        """Changes to one set of counters, to write at the next flush."""
        counts = self.counts.setdefault(counters, {})
        for key, vector in deltas.items():
            total = counts.setdefault(key, [0] * len(vector))
            total[:] = [a + b for a, b in zip(total, vector, strict=True)]

    def take(self, counters: str) -> dict[Any, list[Any]]:
        """The changes to one set of counters since the last take."""
        return self.counts.pop(counters, {})
