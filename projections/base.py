"""A read model: its tables, and how a batch of events changes them.

Physical tables carry a *generation* suffix (``completion_cases_g1a2b3``); readers use a view
without it (``completion_cases``).  A rebuild fills a fresh generation from position 0 while the
live one keeps answering, then repoints the views in one transaction: no reader ever sees a
half-built model, and no table or index is renamed.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from projections.memory import Loader, Memory, Row, Writer
from projections.sources import Message
from projections.viewstore import Cursor
from services.intake.clock import WorkCalendar

REGISTRY = (
    "CREATE TABLE IF NOT EXISTS projection_registry ("
    "projection TEXT PRIMARY KEY, generation TEXT NOT NULL, version INTEGER NOT NULL)"
)
TRACKING = (
    "CREATE TABLE IF NOT EXISTS projection_tracking ("
    "tracker TEXT NOT NULL, stream TEXT NOT NULL, position BIGINT NOT NULL, "
    "PRIMARY KEY (tracker, stream))"
)


@dataclass(frozen=True)
class Context:
    """What projections may need besides events: the working-day calendar, thresholds."""

    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    # the alert board's levels: warning with this few working days left or this share used;
    # red card when overdue by this many working days
    warning_days_left: int = 1
    warning_share: float = 0.9
    red_after_days: int = 5


def new_generation() -> str:
    return "g" + secrets.token_hex(4)


class Projection(ABC):
    """One read model with its own tables and tracking."""

    name: ClassVar[str]
    version: ClassVar[int] = 1  # bump when the tables or the meaning change: forces a rebuild
    streams: ClassVar[tuple[str, ...]] = ("intake",)
    tables: ClassVar[dict[str, str]]  # short name -> column definitions
    indexes: ClassVar[Sequence[tuple[str, str]]] = ()  # (short table name, column list)
    # The contract types ``apply`` uses (None: it looks at every one).  A rebuild leaves the
    # events of no reader's types unread and undecoded (``hall.followers.narrowed``).
    reads: ClassVar[frozenset[str] | None] = None

    def __init__(self, generation: str, context: Context | None = None) -> None:
        self.generation = generation
        self.context = context or Context()
        self.memory: Memory | None = None  # rows kept between batches, if the runner keeps them

    @property
    def tracker(self) -> str:
        return f"{self.name}:{self.generation}"

    def t(self, table: str) -> str:
        """The physical name of one of this generation's tables."""
        return f"{self.name}_{table}_{self.generation}"

    @classmethod
    def view(cls, table: str) -> str:
        """The name readers use for a table, whatever generation is live."""
        return f"{cls.name}_{table}"

    def create(self, cur: Cursor) -> None:
        for table, columns in self.tables.items():
            cur.execute(f"CREATE TABLE IF NOT EXISTS {self.t(table)} ({columns})")
        for n, (table, columns) in enumerate(self.indexes):
            index = f"ix_{self.name}_{self.generation}_{n}"
            cur.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {self.t(table)} ({columns})")

    def drop(self, cur: Cursor) -> None:
        for table in self.tables:
            cur.execute(f"DROP TABLE IF EXISTS {self.t(table)}")
        cur.execute("DELETE FROM projection_tracking WHERE tracker = ?", (self.tracker,))

    def select_rows(
        self, cur: Cursor, table: str, columns: Sequence[str], key: str, keys: set[str]
    ) -> Iterator[dict[str, Any]]:
        """The rows of this generation's ``table`` whose ``key`` is among ``keys`` (batched)."""
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            cur.execute(
                f"SELECT {', '.join(columns)} FROM {self.t(table)} "  # noqa: S608
                f"WHERE {key} IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            for values in cur.fetchall():
                yield dict(zip(columns, values, strict=True))

    def held(self, cur: Cursor, table: str, keys: set[str], load: Loader) -> dict[str, Row]:
        """The existing rows of a keyed table for ``keys``: from memory, or read by ``load``."""
        if self.memory is None:
            return load(cur, keys)
        return self.memory.table(table).get(cur, keys, load)

    def changed(self, cur: Cursor, table: str, rows: dict[str, Row], write: Writer) -> None:
        """Rows a batch changed: written by ``write`` now, or kept for :meth:`flush`."""
        if self.memory is None:
            write(cur, list(rows.values()), False)
        else:
            self.memory.table(table).put(cur, rows, write)

    def flush(self, cur: Cursor) -> None:
        """Write whatever memory holds back (the end of a rebuild)."""
        if self.memory is not None:
            self.memory.flush(cur)

    def analyze(self, cur: Cursor) -> None:
        """Give the planner statistics of freshly filled tables (a rebuild, before its swap):
        autovacuum would only gather them some time after readers started using the tables."""
        for table in self.tables:
            cur.execute(f"ANALYZE {self.t(table)}")

    def point_views(self, cur: Cursor) -> None:
        """Make readers see this generation."""
        for table in self.tables:
            cur.execute(f"DROP VIEW IF EXISTS {self.view(table)}")
            cur.execute(f"CREATE VIEW {self.view(table)} AS SELECT * FROM {self.t(table)}")  # noqa: S608

    @abstractmethod
    def apply(self, cur: Cursor, messages: Sequence[Message]) -> None:
        """Change the tables for a batch of messages (in order within each stream)."""
