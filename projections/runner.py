"""Running projections: batches of events and the tracking positions commit together.

Exactly once: each transaction first checks that the live generation and its positions are
what this runner read before the batch (another runner, or a rebuild's swap, may have moved
them); if not, it rolls back and starts over from the stored positions.  A restart therefore
resumes exactly where the last commit left off, and two runners can't apply a batch twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from projections.base import REGISTRY, TRACKING, Context, Projection, new_generation
from projections.sources import Message, Sources
from projections.viewstore import Cursor, ViewStore

log = logging.getLogger(__name__)
Progress = Callable[[int], None]


def install(store: ViewStore) -> None:
    """Create the registry and tracking tables (idempotent)."""
    with store.transaction() as cur:
        cur.execute(REGISTRY)
        cur.execute(TRACKING)


def positions(cur: Cursor, tracker: str) -> dict[str, int]:
    cur.execute("SELECT stream, position FROM projection_tracking WHERE tracker = ?", (tracker,))
    return {stream: int(position) for stream, position in cur.fetchall()}


def live_generation(cur: Cursor, name: str, lock: bool = False) -> tuple[str, int] | None:
    sql = "SELECT generation, version FROM projection_registry WHERE projection = ?"
    cur.execute(sql + (" FOR UPDATE" if lock and _is_pg(cur) else ""), (name,))
    row = cur.fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def _is_pg(cur: Cursor) -> bool:
    return type(cur).__name__ == "_PgCursor"


class Batcher:
    """Reads the next batch for one generation of a projection and applies it."""

    def __init__(self, projection: Projection, sources: Sources, batch: int) -> None:
        self.projection = projection
        self.sources = sources.only(projection.streams)
        self.batch = batch

    def read(self, after: dict[str, int]) -> list[Message]:
        messages: list[Message] = []
        for stream in self.sources.streams:
            messages += self.sources.read(stream, self.sources.start(stream, after), self.batch)
        return messages

    def apply(self, cur: Cursor, messages: list[Message]) -> None:
        self.projection.apply(cur, messages)
        last: dict[str, int] = {}
        for m in messages:
            last[m.stream] = m.position
        for stream, position in last.items():
            cur.execute(
                "INSERT INTO projection_tracking (tracker, stream, position) VALUES (?, ?, ?) "
                "ON CONFLICT (tracker, stream) DO UPDATE SET position = excluded.position",
                (self.projection.tracker, stream, position),
            )


class Projector:
    """Keeps one projection's live generation up to date, in a thread or step by step."""

    def __init__(
        self,
        cls: type[Projection],
        store: ViewStore,
        sources: Sources,
        *,
        batch: int = 2000,
        poll: float = 0.5,
        wake: threading.Event | None = None,
        context: Context | None = None,
    ) -> None:
        self.cls, self.store, self.sources = cls, store, sources
        self.context = context or Context()
        self.batch, self.poll = batch, poll
        self.wake = wake or threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0

    def ensure(self) -> None:
        """Create the first generation, or rebuild if the projection's version changed."""
        with self.store.transaction() as cur:
            live = live_generation(cur, self.cls.name, lock=True)
            if live is None:
                fresh = self.cls(new_generation(), self.context)
                fresh.create(cur)
                fresh.point_views(cur)
                cur.execute(
                    "INSERT INTO projection_registry VALUES (?, ?, ?)",
                    (self.cls.name, fresh.generation, self.cls.version),
                )
                return
        if live[1] != self.cls.version:
            log.info(
                "%s changed (v%d -> v%d): rebuilding", self.cls.name, live[1], self.cls.version
            )
            rebuild(self.cls, self.store, self.sources, context=self.context)

    def step(self) -> int:
        """Apply at most one batch per stream; returns how many events were applied."""
        with self.store.read() as cur:
            generation, _ = live_generation(cur, self.cls.name) or ("", 0)
            projection = self.cls(generation, self.context)
            after = positions(cur, projection.tracker)
        batcher = Batcher(projection, self.sources, self.batch)
        messages = batcher.read(after)
        if not messages:
            return 0
        with self.store.transaction() as cur:
            live = live_generation(cur, self.cls.name, lock=True)
            if live is None or live[0] != generation or positions(cur, projection.tracker) != after:
                return -1  # moved meanwhile (a swap, or another runner): start over
            batcher.apply(cur, messages)
        return len(messages)

    def catch_up(self) -> int:
        """Apply until nothing is left; returns how many events were applied."""
        total = 0
        while (applied := self.step()) != 0:
            total += max(applied, 0)
        return total

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"project-{self.cls.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.step() != 0:
                    continue
            except Exception:  # a store hiccup must not end the follower: retry after a pause
                self.errors += 1
                log.exception("projection %s failed; retrying", self.cls.name)
            self.wake.wait(self.poll)
            self.wake.clear()


def rebuild(
    cls: type[Projection],
    store: ViewStore,
    sources: Sources,
    *,
    batch: int = 5000,
    progress: Progress | None = None,
    context: Context | None = None,
) -> str:
    """Build a fresh generation from position 0, then swap it in atomically; returns it."""
    fresh = cls(new_generation(), context)
    with store.transaction() as cur:
        fresh.create(cur)
    batcher = Batcher(fresh, sources, batch)
    after: dict[str, int] = {}
    while messages := batcher.read(after):  # the bulk, while the live generation answers
        with store.transaction() as cur:
            batcher.apply(cur, messages)
            after = positions(cur, fresh.tracker)
        if progress:
            progress(len(messages))
    with store.transaction() as cur:  # the swap: the live runner waits on the registry lock
        old = live_generation(cur, cls.name, lock=True)
        while messages := batcher.read(after):
            batcher.apply(cur, messages)
            after = positions(cur, fresh.tracker)
            if progress:
                progress(len(messages))
        fresh.point_views(cur)
        cur.execute(
            "INSERT INTO projection_registry VALUES (?, ?, ?) ON CONFLICT (projection) "
            "DO UPDATE SET generation = excluded.generation, version = excluded.version",
            (cls.name, fresh.generation, cls.version),
        )
        if old is not None:
            cls(old[0], context).drop(cur)
    return fresh.generation


def heads(sources: Sources, streams: tuple[str, ...]) -> dict[str, Any]:
    """The newest position of each stream (for progress totals)."""
    return {s: getattr(sources.by_stream[s], "head", lambda _: 0)(s) for s in streams}
